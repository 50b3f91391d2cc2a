// Unit tests of runExecutor()'s protocol handling, with shell scripts standing in for
// berth-init (no root, no kernel objects): what each report, EOF and exit does to the handle.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runExecutor, PlanOpError } from "./executor.js";
import type { Plan } from "./plan.js";

let dir = "";
before(() => { dir = mkdtempSync(join(tmpdir(), "berth-executor-")); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

/**
 * A fake berth-init: `body` runs in sh with fd 3 as the protocol socket. Like the real one
 * it first reads the plan (with `consume`), since closing a unix socket with unread data
 * resets the connection and Node would drop what was sent to it.
 */
function fake(name: string, body: string, consume = true): string {
  const path = join(dir, name);
  const read = consume ? "dd bs=65536 count=1 <&3 >/dev/null 2>&1\n" : "";
  writeFileSync(path, `#!/bin/sh\n${read}${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const basePlan: Plan = {
  joinNamespaces: [],
  cloneFlags: 0,
  uidMappings: [],
  gidMappings: [],
  cgroupProcs: [],
  execFifo: "",
  ops: [{ op: "exec", path: "/bin/true", args: ["true"], env: [] }],
};
const waitStartPlan: Plan = { ...basePlan, ops: [{ op: "wait-start" }, ...basePlan.ops] };

describe("runExecutor()", () => {
  test("runExecutor() sends a length-prefixed plan on fd 3 and passes the mode flag", async () => {
    const out = join(dir, "received");
    const binary = fake("record", `echo "$1" > ${out}.args; dd bs=65536 count=1 <&3 2>/dev/null | head -c 4 | od -An -tu4 > ${out}.len; printf '{"type":"pid","pid":7}\\n' >&3`, false);
    const h = runExecutor({ plan: basePlan, mode: "detach", binary });
    assert.equal(await h.pid, 7);
    assert.equal(await h.exited, 0);
    await h.execed;
    const { readFileSync } = await import("node:fs");
    assert.equal(readFileSync(`${out}.args`, "utf8"), "--detach\n");
    const { encodePlan } = await import("./encode.js");
    assert.equal(Number(readFileSync(`${out}.len`, "utf8").trim()), encodePlan(basePlan).length);
  });

  test("runExecutor() resolves created at EOF when the plan has no wait-start", async () => {
    const h = runExecutor({ plan: basePlan, mode: "wait", binary: fake("eof", `printf '{"type":"pid","pid":42}\\n' >&3; exit 5`) });
    assert.equal(await h.pid, 42);
    await h.created;
    await h.execed;
    assert.equal(await h.exited, 5);
  });

  test("runExecutor() rejects created when fd 3 closes before wait-start announced it", async () => {
    const h = runExecutor({ plan: waitStartPlan, mode: "detach", binary: fake("nocreated", `printf '{"type":"pid","pid":42}\\n' >&3`) });
    assert.equal(await h.pid, 42);
    await assert.rejects(h.created, /ended before wait-start/);
    await assert.rejects(h.execed, /ended before wait-start/);
  });

  test("runExecutor() resolves created at the created report and execed at EOF", async () => {
    const h = runExecutor({
      plan: waitStartPlan,
      mode: "detach",
      binary: fake("created", `printf '{"type":"pid","pid":9}\\n{"type":"created"}\\n' >&3`),
    });
    await h.created;
    await h.execed;
  });

  test("runExecutor() rejects pid with the exit status when berth-init dies before reporting it", async () => {
    const h = runExecutor({ plan: basePlan, mode: "detach", binary: fake("die", "exit 3") });
    await assert.rejects(h.pid, /berth-init ended before reporting the pid \(exit status 3\)/);
    await assert.rejects(h.created);
    assert.equal(await h.exited, 3);
  });

  test("runExecutor() turns an error report into a PlanOpError", async () => {
    const line = '{"type":"error","op":3,"name":"pivot-root","errno":22,"message":"pivot_root `/r`: Invalid argument","path":"/r"}';
    const h = runExecutor({ plan: basePlan, mode: "detach", binary: fake("error", `printf '{"type":"pid","pid":9}\\n%s\\n' '${line}' >&3; exit 1`) });
    assert.equal(await h.pid, 9);
    const err = await h.created.then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PlanOpError);
    assert.equal(err.message, "pivot_root `/r`: Invalid argument");
    assert.equal(err.opIndex, 3);
    assert.equal(err.opName, "pivot-root");
    assert.equal(err.op, "pivot-root");
    assert.equal(err.errno, 22);
    assert.equal(err.code, "EINVAL");
    assert.equal(err.path, "/r");
    await assert.rejects(h.execed, PlanOpError);
  });

  test("runExecutor() rejects a report that is not JSON", async () => {
    const h = runExecutor({ plan: basePlan, mode: "detach", binary: fake("garbage", "echo 'not json' >&3") });
    await assert.rejects(h.pid, /invalid JSON line "not json"/);
  });

  test("runExecutor() rejects everything when the binary cannot be spawned", async () => {
    const h = runExecutor({ plan: basePlan, mode: "detach", binary: join(dir, "missing") });
    await assert.rejects(h.pid, /spawn berth-init/);
    await assert.rejects(h.exited);
  });

  test("runExecutor() refuses a plan that cannot be encoded before spawning anything", () => {
    assert.throws(() => runExecutor({ plan: { ...basePlan, ops: [] }, mode: "detach", binary: "/nonexistent" }), RangeError);
  });
});
