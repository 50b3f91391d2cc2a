import { test } from "node:test";
import assert from "node:assert/strict";
import { sh } from "../../helpers/bundle.js";

function statusField(out: string, name: string): string {
  const m = new RegExp(`^${name}:\\s*(.*)$`, "m").exec(out);
  assert.ok(m, `${name} in ${out}`);
  return (m[1] ?? "").trim();
}

test("process.args, env and cwd reach the container process", () => {
  const r = sh('echo "$0|$1|$FOO|$HOME|$(pwd)"', (s) => {
    s.process.args = ["sh", "-c", 'echo "$0|$1|$FOO|$(pwd)"', "zero", "one"];
    s.process.env = ["PATH=/bin", "FOO=b a r"];
    s.process.cwd = "/tmp";
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "zero|one|b a r|/tmp\n");
});

test("process.cwd is created when missing, as runc does", () => {
  const r = sh("pwd", (s) => {
    s.process.cwd = "/tmp/new/dir";
    s.mounts.push({ destination: "/tmp", type: "tmpfs", source: "tmpfs" });
  });
  assert.equal(r.stdout, "/tmp/new/dir\n", r.stderr);
});

test("process.user sets uid, gid and additional gids", () => {
  const r = sh("cat /proc/self/status", (s) => (s.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 6, 1002] }));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(statusField(r.stdout, "Uid"), "1000\t1000\t1000\t1000");
  assert.equal(statusField(r.stdout, "Gid"), "1001\t1001\t1001\t1001");
  assert.equal(statusField(r.stdout, "Groups"), "5 6 1002");
});

test("process.user.umask sets the umask", () => {
  const r = sh("umask; touch /tmp/f; stat -c %a /tmp/f", (s) => {
    s.process.user.umask = 0o027;
    s.mounts.push({ destination: "/tmp", type: "tmpfs", source: "tmpfs" });
  });
  assert.equal(r.stdout, "0027\n640\n");
});

test("the umask defaults to 0022", () => {
  assert.equal(sh("umask").stdout, "0022\n");
});

test("process.rlimits set soft and hard limits", () => {
  const r = sh("ulimit -n; ulimit -Hn; grep 'Max core' /proc/self/limits", (s) => {
    s.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 123, hard: 456 }, { type: "RLIMIT_CORE", soft: 4096, hard: 8192 }];
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^123\n456\nMax core file size\s+4096\s+8192\s+bytes\s*\n$/);
});

test("process.capabilities set every capability set, ambient ones for a non-root user", () => {
  const r = sh("cat /proc/self/status", (s) => {
    s.process.user = { uid: 1000, gid: 1000 };
    s.process.capabilities = {
      bounding: ["CAP_NET_RAW", "CAP_CHOWN", "CAP_KILL"],
      effective: ["CAP_NET_RAW", "CAP_CHOWN"],
      permitted: ["CAP_NET_RAW", "CAP_CHOWN"],
      inheritable: ["CAP_NET_RAW"],
      ambient: ["CAP_NET_RAW"],
    };
  });
  assert.equal(r.status, 0, r.stderr);
  // sh runs with the ambient set as its permitted/effective set after execve as uid 1000.
  assert.equal(statusField(r.stdout, "CapBnd"), "0000000000002021");
  assert.equal(statusField(r.stdout, "CapAmb"), "0000000000002000");
  assert.equal(statusField(r.stdout, "CapInh"), "0000000000002000");
  assert.equal(statusField(r.stdout, "CapPrm"), "0000000000002000");
  assert.equal(statusField(r.stdout, "CapEff"), "0000000000002000");
});

test("process.capabilities for root keep exactly the listed capabilities", () => {
  const r = sh("cat /proc/self/status; chown 1:1 /dev/null; echo chown=$?", (s) => {
    s.process.capabilities = { bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"] };
  });
  assert.equal(statusField(r.stdout, "CapEff"), "0000000000000020");
  assert.equal(statusField(r.stdout, "CapBnd"), "0000000000000020");
  assert.match(r.stdout, /chown=1/);
});

test("process.noNewPrivileges sets no_new_privs", () => {
  assert.equal(statusField(sh("cat /proc/self/status", (s) => (s.process.noNewPrivileges = true)).stdout, "NoNewPrivs"), "1");
  assert.equal(statusField(sh("cat /proc/self/status", (s) => (s.process.noNewPrivileges = false)).stdout, "NoNewPrivs"), "0");
});

test("process.oomScoreAdj sets oom_score_adj", () => {
  const r = sh("cat /proc/self/oom_score_adj", (s) => (s.process.oomScoreAdj = 537));
  assert.equal(r.stdout, "537\n");
});

test("process.terminal gives the process a pty with process.consoleSize", () => {
  const r = sh("tty; stty size; test -t 0 && echo stdin-is-tty", (s) => {
    s.process.terminal = true;
    s.process.consoleSize = { height: 33, width: 101 };
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.replace(/\r/g, ""), "/dev/pts/0\n33 101\nstdin-is-tty\n");
});
