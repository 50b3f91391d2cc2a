import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cli, makeBundle, uniqueId } from "../../helpers/bundle.js";

// Node cannot receive a file descriptor over a unix socket, so native/'s test helper
// console-recv (runc's recvtty) plays the caller that owns the console socket (conmon,
// containerd-shim): it accepts, takes the pty master from SCM_RIGHTS, prints
// "name=<payload>" and then everything the container writes to the pty.
const NATIVE = fileURLToPath(new URL("../../../../native", import.meta.url));
const CONSOLE_RECV = join(NATIVE, "build", "console-recv");

function receiver(t: { after: (fn: () => void) => void }, socketPath: string): { ready: Promise<void>; output: Promise<string> } {
  execFileSync("make", ["-s", "-C", NATIVE, "build/console-recv"], { stdio: "ignore" });
  const child: ChildProcess = spawn(CONSOLE_RECV, [socketPath], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
  // "close", not "exit": exit can come before the last of stdout has been read.
  const output = new Promise<string>((resolve) => child.on("close", () => resolve(out.replace(/\r/g, ""))));
  const ready = (async () => {
    for (let i = 0; i < 500 && !existsSync(socketPath); i++) await new Promise((r) => setTimeout(r, 10));
  })();
  return { ready, output };
}

test("--console-socket receives the pty master (SCM_RIGHTS) of a container with a terminal", async (t) => {
  const b = makeBundle((s) => {
    s.process.terminal = true;
    s.process.consoleSize = { height: 24, width: 77 };
    s.process.args = ["sh", "-c", "tty; stty size; test -t 1 && echo stdout-is-tty"];
  });
  const id = uniqueId("tty");
  t.after(() => {
    cli(["--root", b.root, "delete", "--force", id]);
    b.cleanup();
  });
  const sock = join(b.dir, "console.sock");
  const r = receiver(t, sock);
  await r.ready;
  const c = cli(["--root", b.root, "create", "-b", b.dir, "--console-socket", sock, id]);
  assert.equal(c.status, 0, c.stderr);
  assert.equal(cli(["--root", b.root, "start", id]).status, 0);
  const out = await r.output;
  assert.equal(out, "name=/dev/ptmx\n/dev/pts/0\n24 77\nstdout-is-tty\n");
});

test("create refuses a terminal without a console socket", (t) => {
  const b = makeBundle((s) => (s.process.terminal = true));
  t.after(() => b.cleanup());
  const c = cli(["--root", b.root, "create", "-b", b.dir, uniqueId("tty")]);
  assert.notEqual(c.status, 0);
  assert.match(c.stderr, /process.terminal needs a console socket/);
});

test("exec -t without a console socket relays the exec'd process's own pty", (t) => {
  const b = makeBundle((s) => (s.process.args = ["sleep", "600"]));
  const id = uniqueId("ttyexec");
  t.after(() => {
    cli(["--root", b.root, "delete", "--force", id]);
    b.cleanup();
  });
  assert.equal(cli(["--root", b.root, "run", "-d", "-b", b.dir, id]).status, 0);
  const e = cli(["--root", b.root, "exec", "-t", id, "sh", "-c", "tty; test -t 0 && echo in-exec"]);
  assert.equal(e.status, 0, e.stderr);
  assert.equal(e.stdout.replace(/\r/g, ""), "/dev/pts/0\nin-exec\n");
});

test("exec -t --console-socket sends the exec'd process's pty master to a host socket (docker/podman exec -t)", async (t) => {
  const b = makeBundle((s) => (s.process.args = ["sleep", "600"]));
  const id = uniqueId("ttyexecsock");
  t.after(() => {
    cli(["--root", b.root, "delete", "--force", id]);
    b.cleanup();
  });
  assert.equal(cli(["--root", b.root, "run", "-d", "-b", b.dir, id]).status, 0);
  // The socket lives on the host, outside the container's mount namespace that exec joins.
  const sock = join(b.dir, "exec-console.sock");
  const r = receiver(t, sock);
  await r.ready;
  const e = cli(["--root", b.root, "exec", "-t", "-d", "--console-socket", sock, id, "sh", "-c", "tty; test -t 1 && echo exec-tty"]);
  assert.equal(e.status, 0, e.stderr);
  assert.equal(await r.output, "name=/dev/ptmx\n/dev/pts/0\nexec-tty\n");
});
