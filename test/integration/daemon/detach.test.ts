/**
 * Ctrl-P Ctrl-Q on an attached terminal detaches: the client exits 0 and the container keeps
 * running. Driven through a pty (`script`), with the real docker CLI and with berth.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { CLI_MAIN, startDaemon, type TestDaemon } from "./daemon-helper.js";

/** Attach through a pty, wait for output, type the keys; resolves with the exit code and output. */
function attachAndDetach(cmdline: string, env: NodeJS.ProcessEnv, keys: Buffer): Promise<{ code: number | null; out: string; typedAt: number; exitedAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qec", cmdline, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let typedAt = 0;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the client did not detach within 20 s; output: ${JSON.stringify(out)}`));
    }, 20_000);
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      // The client is attached (and its terminal raw) once the container's output arrives.
      if (typedAt === 0 && /tick/.test(out)) {
        typedAt = Date.now();
        child.stdin.write(keys);
      }
    });
    child.stderr.on("data", (c: Buffer) => { out += c.toString(); });
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out, typedAt, exitedAt: Date.now() });
    });
  });
}

async function ticks(d: TestDaemon, name: string): Promise<number> {
  return ((await d.docker(["logs", name])).stdout.match(/tick/g) ?? []).length;
}

test("Ctrl-P Ctrl-Q detaches docker attach, docker run -it, berth attach and berth run -it; the container keeps running", async (t) => {
  const d = await startDaemon(t);
  const name = `detach-${process.pid}`;
  const run = await d.docker(["run", "-dit", "--name", name, "busybox", "sh", "-c", "while true; do echo tick; sleep 0.2; done"]);
  assert.equal(run.code, 0, run.stderr);
  const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config`, DOCKER_CONTEXT: "" };
  const running = async (n: string) => (await d.docker(["inspect", "-f", "{{.State.Running}}", n])).stdout === "true\n";

  // docker CLI 28 ends `attach` on the escape sequence with "read escape sequence" and
  // status 1 against dockerd as well (checked against Debian's dockerd 20.10).
  const docker = await attachAndDetach(`docker attach ${name}`, env, Buffer.from([0x10, 0x11]));
  assert.equal(docker.code, 1, docker.out);
  assert.match(docker.out, /read escape sequence/);
  assert.ok(docker.typedAt > 0 && docker.exitedAt - docker.typedAt < 5000, "detached soon after the keys");
  assert.ok(await running(name));
  const before = await ticks(d, name);
  await new Promise((r) => setTimeout(r, 700));
  assert.ok(await ticks(d, name) > before, "the container still writes after the client left");

  const custom = await attachAndDetach(`docker attach --detach-keys ctrl-x,x ${name}`, env, Buffer.from([0x18, 0x78]));
  assert.equal(custom.code, 1, custom.out);
  assert.match(custom.out, /read escape sequence/);
  assert.ok(await running(name));

  const berth = await attachAndDetach(`${process.execPath} ${CLI_MAIN} -H ${d.host} attach ${name}`, env, Buffer.from([0x10, 0x11]));
  assert.equal(berth.code, 0, berth.out);
  assert.ok(await running(name));

  // docker run -it: detaching is a success (status 0), the container runs on.
  const runIt = `run-it-${process.pid}`;
  const dockerRun = await attachAndDetach(`docker run -it --name ${runIt} busybox sh -c 'while true; do echo tick; sleep 0.2; done'`, env, Buffer.from([0x10, 0x11]));
  assert.equal(dockerRun.code, 0, dockerRun.out);
  assert.ok(await running(runIt));
  const berthRunIt = `berth-run-it-${process.pid}`;
  const berthRun = await attachAndDetach(`${process.execPath} ${CLI_MAIN} -H ${d.host} run -it --name ${berthRunIt} busybox sh -c 'while true; do echo tick; sleep 0.2; done'`, env, Buffer.from([0x10, 0x11]));
  assert.equal(berthRun.code, 0, berthRun.out);
  assert.ok(await running(berthRunIt));
  assert.equal((await d.docker(["rm", "-f", name, runIt, berthRunIt])).code, 0);
});
