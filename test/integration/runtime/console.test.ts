import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { cli, makeBundle, uniqueId } from "../../helpers/bundle.js";

// Node cannot receive a file descriptor over a unix socket, so a few lines of Python play
// the part of the caller that owns the console socket (conmon, containerd-shim): accept,
// take the pty master from SCM_RIGHTS, print the payload and everything read from it.
const RECEIVER = `
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 4096, 1)
out = b""
while True:
    try:
        d = os.read(fds[0], 4096)
    except OSError:
        break
    if not d:
        break
    out += d
sys.stdout.write("payload=" + msg.decode() + "\\n" + out.decode().replace("\\r", ""))
`;

function python(): string | undefined {
  for (const attempt of [0, 1]) {
    try {
      execFileSync("python3", ["-c", "import socket; socket.recv_fds"], { stdio: "ignore" });
      return "python3";
    } catch {
      if (attempt === 0) {
        try {
          execFileSync("apt-get", ["install", "-y", "-qq", "python3-minimal"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
        } catch {
          // reported by the skip below
        }
      }
    }
  }
  return undefined;
}

const py = python();

function receiver(t: { after: (fn: () => void) => void }, socketPath: string): { child: ChildProcess; ready: Promise<void>; output: Promise<string> } {
  const child = spawn(py ?? "python3", ["-c", RECEIVER, socketPath], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  let out = "";
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    if (out.startsWith("ready\n")) readyResolve();
  });
  const output = new Promise<string>((resolve) => child.on("exit", () => resolve(out.replace(/^ready\n/, ""))));
  return { child, ready, output };
}

test("--console-socket receives the pty master (SCM_RIGHTS) of a container with a terminal", { skip: py === undefined ? "python3 (for a SCM_RIGHTS receiver) cannot be installed" : false }, async (t) => {
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
  assert.equal(out, "payload=/dev/ptmx\n/dev/pts/0\n24 77\nstdout-is-tty\n");
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
