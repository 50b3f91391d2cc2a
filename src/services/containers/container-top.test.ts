import { test } from "node:test";
import assert from "node:assert/strict";
import { BerthError } from "../../shared/errors.js";
import { containerTop, parsePsOutput, validatePsArgs } from "./container-top.js";

const PS_EF = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 11:41 ?        00:01:28 /sbin/init
root         400       1  0 11:42 ?        00:00:00 sleep   1000
root         401     400  0 11:42 ?        00:00:00 sh -c echo a  b
`;

test("parsePsOutput() keeps the container's rows and joins the command column", () => {
  assert.deepEqual(parsePsOutput(PS_EF, new Set([400, 401])), {
    Titles: ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
    Processes: [
      ["root", "400", "1", "0", "11:42", "?", "00:00:00", "sleep 1000"],
      ["root", "401", "400", "0", "11:42", "?", "00:00:00", "sh -c echo a b"],
    ],
  });
});

test("parsePsOutput() keeps thread rows (PID '-') after a container row only, and needs a PID column", () => {
  const out = "USER PID TID CMD\nroot 1 - init\nroot - 1 -\nroot 7 - app\nroot - 7 -\nroot - 8 -\n";
  assert.deepEqual(parsePsOutput(out, new Set([7])).Processes, [["root", "7", "-", "app"], ["root", "-", "7", "-"], ["root", "-", "8", "-"]]);
  assert.throws(() => parsePsOutput("USER CMD\nroot init\n", new Set([1])), /Couldn't find PID field in ps output/);
  assert.throws(() => parsePsOutput("PID CMD\nx init\n", new Set([1])), /Unexpected pid 'x'/);
});

test("validatePsArgs() refuses renaming another column to PID, as moby", () => {
  validatePsArgs("aux");
  validatePsArgs("-o pid=PID,comm");
  assert.throws(() => validatePsArgs("-o user=PID"), (e: unknown) => e instanceof BerthError && e.kind === "invalid-argument" && e.message === `specifying "user=PID" is not allowed`);
});

test("containerTop() runs ps with the args and -q<pids>, retries without -q, and reports ps's error line", async () => {
  const calls: string[][] = [];
  const ok = await containerTop([400, 401], "", async (args) => {
    calls.push([...args]);
    return PS_EF;
  });
  assert.deepEqual(calls, [["-ef", "-q400,401"]]);
  assert.equal(ok.Processes.length, 2);

  calls.length = 0;
  const forest = await containerTop([400], "axf", async (args) => {
    calls.push([...args]);
    if (args.some((a) => a.startsWith("-q"))) throw new Error("q/-q/--quick-pid cannot be used together with forest type listings.");
    return "  PID TTY STAT TIME COMMAND\n  400 ? S 0:00 sleep 1000\n  500 ? S 0:00 other\n";
  });
  assert.deepEqual(calls, [["axf", "-q400"], ["axf"]]);
  assert.deepEqual(forest.Processes, [["400", "?", "S", "0:00", "sleep 1000"]]);

  await assert.rejects(containerTop([1], "--bogus", async () => {
    throw new Error("error: unknown gnu long option");
  }), (e: unknown) => e instanceof BerthError && e.kind === "internal" && e.message === "ps: error: unknown gnu long option");
});
