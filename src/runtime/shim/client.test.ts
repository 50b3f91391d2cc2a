// Unit tests of the shim client's pieces that need no shim: framing, exit.json, the command line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BerthError } from "../../shared/errors.js";
import { connectShim, encodeFrame, FRAME, FrameDecoder, readExitFile, shimArgs } from "./index.js";
import type { Plan } from "../plan/plan.js";

const emptyPlan: Plan = { joinNamespaces: [], cloneFlags: 0, uidMappings: [], gidMappings: [], cgroupProcs: [], execFifo: "", ops: [] };

test("FrameDecoder reassembles frames split at any byte", () => {
  const bytes = Buffer.concat([encodeFrame(FRAME.stdout, Buffer.from("hello")), encodeFrame(FRAME.reply, Buffer.from("{}")), encodeFrame(FRAME.exit)]);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const d = new FrameDecoder();
    const frames = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
    assert.deepEqual(frames.map((f) => [f.type, f.payload.toString()]), [[1, "hello"], [0x72, "{}"], [0x78, ""]]);
  }
});

test("encodeFrame() writes type and little-endian length", () => {
  assert.deepEqual([...encodeFrame(FRAME.kill, Buffer.from([9, 0, 0, 0]))], [0x4b, 4, 0, 0, 0, 9, 0, 0, 0]);
});

test("readExitFile() reads exit.json and is undefined without one", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-shim-unit-"));
  try {
    assert.equal(readExitFile(dir), undefined);
    writeFileSync(join(dir, "exit.json"), '{"exitCode":137,"signal":9,"exitedAt":"2026-11-25T12:00:00.000000001Z","oomKilled":false}\n');
    assert.deepEqual(readExitFile(dir), { exitCode: 137, signal: 9, exitedAt: "2026-11-25T12:00:00.000000001Z", oomKilled: false });
    writeFileSync(join(dir, "exit.json"), '{"exitCode":"x"}');
    assert.throws(() => readExitFile(dir), TypeError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("shimArgs() passes the log driver, terminal, stdin and rotation options", () => {
  const base = { id: "c1", stateDir: "/run/s/c1", logPath: "/var/log/c1.json", plan: emptyPlan };
  assert.deepEqual(shimArgs({ ...base, logDriver: "json-file", terminal: true, openStdin: true, logMaxSize: 1000, logMaxFile: 3 }), [
    "--id", "c1", "--state-dir", "/run/s/c1", "--log-driver", "json-file", "--log-path", "/var/log/c1.json",
    "--terminal", "--stdin", "--log-max-size", "1000", "--log-max-file", "3", "--shim-log", "/run/s/c1/shim.log",
  ]);
  assert.deepEqual(shimArgs({ ...base, logDriver: "none", terminal: false, openStdin: false }),
    ["--id", "c1", "--state-dir", "/run/s/c1", "--log-driver", "none", "--shim-log", "/run/s/c1/shim.log"]);
});

test("connectShim() calls fail as unavailable when no shim listens", async () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-shim-unit-"));
  try {
    const c = connectShim(dir);
    await assert.rejects(c.state(), (e: unknown) => e instanceof BerthError && e.kind === "unavailable" && /connect shim/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("connectShim() maps error replies to kinds and parses state replies", async () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-shim-unit-"));
  // A fake shim: answers kill with ESRCH and state with a running container.
  const server = createServer((sock) => {
    const d = new FrameDecoder();
    sock.on("data", (chunk: Buffer) => {
      for (const f of d.push(chunk)) {
        const reply = f.type === FRAME.kill ? '{"error":"the container is not running","errno":3}' : '{"pid":42,"status":"running"}';
        sock.write(encodeFrame(FRAME.reply, Buffer.from(reply)));
      }
    });
  });
  await new Promise<void>((r) => server.listen(join(dir, "shim.sock"), r));
  try {
    const c = connectShim(dir);
    await assert.rejects(c.kill("SIGTERM"), (e: unknown) => e instanceof BerthError && e.kind === "failed-precondition"
      && e.message === "kill container: the container is not running");
    assert.deepEqual(await c.state(), { pid: 42, status: "running" });
    await assert.rejects(c.kill("SIGNOPE" as NodeJS.Signals), (e: unknown) => e instanceof BerthError && e.kind === "invalid-argument");
    c.close();
  } finally {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
});
