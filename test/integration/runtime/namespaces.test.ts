import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { cli, makeBundle, sh, uniqueId } from "../../helpers/bundle.js";

const NS = ["pid", "net", "ipc", "uts", "mnt", "cgroup"];

function nsLinks(out: string): Record<string, string> {
  return Object.fromEntries(out.trim().split("\n").filter((l) => l.includes(":[")).map((l) => {
    const [name, link] = l.split("=");
    return [name ?? "", link ?? ""];
  }));
}

const PRINT_NS = `for n in ${NS.join(" ")}; do echo $n=$(readlink /proc/self/ns/$n); done`;

test("every namespace in linux.namespaces is new, and the process is pid 1", () => {
  const r = sh(`${PRINT_NS}; echo pid=$$`);
  assert.equal(r.status, 0, r.stderr);
  const inside = nsLinks(r.stdout);
  for (const n of NS) assert.notEqual(inside[n], readlinkSync(`/proc/self/ns/${n}`), n);
  assert.match(r.stdout, /^pid=1$/m);
});

test("a namespace left out of linux.namespaces is the host's", () => {
  const r = sh(PRINT_NS, (s) => {
    s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== "network" && n.type !== "ipc");
    s.mounts = s.mounts.filter((m: { destination: string }) => m.destination !== "/sys" && m.destination !== "/dev/mqueue");
  });
  assert.equal(r.status, 0, r.stderr);
  const inside = nsLinks(r.stdout);
  assert.equal(inside["net"], readlinkSync("/proc/self/ns/net"));
  assert.equal(inside["ipc"], readlinkSync("/proc/self/ns/ipc"));
  assert.notEqual(inside["pid"], readlinkSync("/proc/self/ns/pid"));
});

test("namespaces given by path are joined", (t) => {
  const a = makeBundle((s) => {
    s.process.args = ["sleep", "600"];
    s.hostname = "first";
  });
  const idA = uniqueId("nsa");
  t.after(() => {
    cli(["--root", a.root, "delete", "--force", idA]);
    a.cleanup();
  });
  const c = cli(["--root", a.root, "run", "-d", "-b", a.dir, "--pid-file", join(a.dir, "pid"), idA]);
  assert.equal(c.status, 0, c.stderr);
  const pidA = Number(readFileSync(join(a.dir, "pid"), "utf8"));
  const r = sh(`${PRINT_NS}; hostname`, (s) => {
    delete s.hostname;
    for (const n of s.linux.namespaces) {
      if (n.type === "network") n.path = `/proc/${pidA}/ns/net`;
      if (n.type === "uts") n.path = `/proc/${pidA}/ns/uts`;
      if (n.type === "ipc") n.path = `/proc/${pidA}/ns/ipc`;
    }
  });
  assert.equal(r.status, 0, r.stderr);
  const inside = nsLinks(r.stdout);
  for (const n of ["net", "uts", "ipc"]) assert.equal(inside[n], readlinkSync(`/proc/${pidA}/ns/${n}`), n);
  assert.notEqual(inside["pid"], readlinkSync(`/proc/${pidA}/ns/pid`));
  assert.match(r.stdout, /first\n$/);
});

test("a user namespace maps ids with linux.uidMappings and gidMappings", () => {
  const r = sh("cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u /bin/busybox; readlink /proc/self/ns/user", (s) => {
    s.linux.namespaces.push({ type: "user" });
    s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/).join(" "));
  assert.deepEqual(lines.slice(0, 4), ["0 100000 65536", "0 200000 65536", "0", "65534"]);
  assert.notEqual(lines[4], readlinkSync("/proc/self/ns/user"));
});

test("exec joins the user namespace and the other namespaces of a running container", (t) => {
  const b = makeBundle((s) => {
    s.process.args = ["sleep", "600"];
    s.linux.namespaces.push({ type: "user" });
    s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  const id = uniqueId("usrexec");
  t.after(() => {
    cli(["--root", b.root, "delete", "--force", id]);
    b.cleanup();
  });
  const c = cli(["--root", b.root, "run", "-d", "-b", b.dir, "--pid-file", join(b.dir, "pid"), id]);
  assert.equal(c.status, 0, c.stderr);
  const pid = Number(readFileSync(join(b.dir, "pid"), "utf8"));
  const e = cli(["--root", b.root, "exec", id, "sh", "-c", `id -u; cat /proc/self/uid_map; ${PRINT_NS}; echo user=$(readlink /proc/self/ns/user)`]);
  assert.equal(e.status, 0, e.stderr);
  const lines = e.stdout.trim().split("\n");
  assert.equal(lines[0], "0");
  assert.equal(lines[1]?.trim().split(/\s+/).join(" "), "0 100000 65536");
  const inside = nsLinks(e.stdout);
  for (const n of [...NS, "user"]) {
    assert.equal(inside[n], readlinkSync(`/proc/${pid}/ns/${n}`), n);
  }
});

test("run --no-pivot uses chroot and still isolates the root", (t) => {
  const b = makeBundle((s) => (s.process.args = ["sh", "-c", "ls /; test -e /work && echo host-visible || echo isolated"]));
  const id = uniqueId("nopivot");
  t.after(() => {
    cli(["--root", b.root, "delete", "--force", id]);
    b.cleanup();
  });
  const r = cli(["--root", b.root, "run", "--no-pivot", "-b", b.dir, id]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^bin$/m);
  assert.match(r.stdout, /isolated\n$/);
});
