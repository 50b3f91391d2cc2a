import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runHook, runHooks } from "./hooks.js";
import type { State } from "./spec/types.js";

const state: State = { ociVersion: "1.2.0", id: "c1", status: "creating", pid: 7, bundle: "/b" };

test("runHook() passes args[0] as argv0, only the hook's env, and the state on stdin", (t) => {
  const d = mkdtempSync(join(tmpdir(), "berth-hook-"));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const out = join(d, "out");
  return runHook("prestart", {
    path: "/bin/sh",
    args: ["my-hook", "-c", `echo "$(cut -d '' -f1 /proc/$$/cmdline | tr '\\0' ' ')|$0|$FOO|$HOME" > ${out}; cat >> ${out}`, "zero"],
    env: ["FOO=bar"],
  }, state).then(() => {
    const [line, json] = readFileSync(out, "utf8").split("\n");
    assert.equal(line, "my-hook|zero|bar|");
    assert.deepEqual(JSON.parse(json ?? ""), state);
  });
});

test("runHook() fails with the exit status and the last stderr line", async () => {
  await assert.rejects(runHook("poststop", { path: "/bin/sh", args: ["sh", "-c", "echo first >&2; echo last >&2; exit 4"] }, state),
    /run poststop hook "\/bin\/sh": exit status 4: last/);
});

test("runHook() kills a hook that outlives its timeout", async () => {
  const t0 = Date.now();
  await assert.rejects(runHook("createRuntime", { path: "/bin/sleep", args: ["sleep", "30"], timeout: 1 }, state), /timed out after 1s/);
  assert.ok(Date.now() - t0 < 5000);
});

test("runHook() reports a missing hook binary", async () => {
  await assert.rejects(runHook("prestart", { path: "/no/such/hook" }, state), /run prestart hook "\/no\/such\/hook": spawn \/no\/such\/hook ENOENT/);
});

test("runHooks() stops at the first failing hook", async () => {
  const d = mkdtempSync(join(tmpdir(), "berth-hook-"));
  try {
    await assert.rejects(runHooks("prestart", [
      { path: "/bin/false" },
      { path: "/bin/sh", args: ["sh", "-c", `touch ${d}/second`] },
    ], state), /exit status 1/);
    assert.throws(() => readFileSync(join(d, "second")));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
