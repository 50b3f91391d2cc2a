/**
 * `run -it` on a terminal shows the container's output as the container's pty wrote it:
 * "\r\n" line ends, not "\r\r\n" (the local terminal's output post-processing is off in raw
 * mode, as docker's MakeRaw does). Driven through a pty (`script`), berth and the docker CLI.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { CLI_MAIN, startDaemon } from "./daemon-helper.js";

/** Run a command line on a fresh pty; resolves with the exit code and the raw bytes it showed. */
function onPty(cmdline: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qec", cmdline, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmdline}: no exit within 20 s; output: ${JSON.stringify(Buffer.concat(chunks).toString())}`));
    }, 20_000);
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out: Buffer.concat(chunks) });
    });
  });
}

test("run -it prints the container's lines with \\r\\n, through berth and the docker CLI alike", async (t) => {
  const d = await startDaemon(t);
  const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config`, DOCKER_CONTEXT: "", TERM: "xterm" };
  const cmd = "run --rm -it busybox sh -c 'echo first; echo second'";
  const berth = await onPty(`${process.execPath} ${CLI_MAIN} -H ${d.host} ${cmd}`, env);
  const docker = await onPty(`docker ${cmd}`, env);
  for (const [who, r] of [["berth", berth], ["docker", docker]] as const) {
    assert.equal(r.code, 0, `${who}: ${r.out.toString()}`);
    const s = r.out.toString();
    assert.match(s, /first\r\nsecond\r\n/, `${who}: ${JSON.stringify(s)}`);
    assert.doesNotMatch(s, /\r\r\n/, `${who}: ${JSON.stringify(s)}`);
  }
});
