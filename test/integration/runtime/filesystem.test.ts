import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sh, type SpecJson } from "../../helpers/bundle.js";

/** The mountinfo line of `mountPoint` from a container's /proc/self/mountinfo. */
function mountLine(mountinfo: string, mountPoint: string): string {
  const line = mountinfo.split("\n").filter((l) => l.split(" ")[4] === mountPoint).at(-1);
  assert.ok(line !== undefined, `${mountPoint} in\n${mountinfo}`);
  return line;
}

function mountOpts(line: string): string[] {
  return (line.split(" ")[5] ?? "").split(",");
}

function tempDir(t: { after: (fn: () => void) => void }, mounts: string[] = []): string {
  const d = mkdtempSync(join(tmpdir(), "berth-fs-"));
  t.after(() => {
    for (const m of mounts) execFileSync("umount", ["-l", m]);
    rmSync(d, { recursive: true, force: true });
  });
  return d;
}

test("root.readonly makes / read-only", () => {
  const r = sh("cat /proc/self/mountinfo; touch /x 2>/dev/null && echo wrote || echo read-only");
  assert.ok(mountOpts(mountLine(r.stdout, "/")).includes("ro"));
  assert.match(r.stdout, /read-only\n$/);
});

test("root.readonly false leaves / writable", () => {
  const r = sh("cat /proc/self/mountinfo", (s) => (s.root.readonly = false));
  assert.ok(mountOpts(mountLine(r.stdout, "/")).includes("rw"));
});

test("hostname and domainname are set in the uts namespace", () => {
  const r = sh("hostname; cat /proc/sys/kernel/domainname", (s) => {
    s.hostname = "box1";
    s.domainname = "example.test";
  });
  assert.equal(r.stdout, "box1\nexample.test\n");
});

test("a tmpfs mount gets nosuid, nodev, noexec, relatime and its data options", () => {
  const r = sh("cat /proc/self/mountinfo; stat -c %a /data; cp /bin/busybox /data/bb; /data/bb true || echo noexec-works", (s) => {
    s.mounts.push({ destination: "/data", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "noexec", "relatime", "mode=700", "size=16m"] });
  });
  const line = mountLine(r.stdout, "/data");
  for (const o of ["nosuid", "nodev", "noexec", "relatime", "rw"]) assert.ok(mountOpts(line).includes(o), `${o} in ${line}`);
  assert.match(line, / - tmpfs tmpfs .*size=16384k/);
  assert.match(r.stdout, /\n700\n/);
  assert.match(r.stdout, /noexec-works\n$/);
});

test("strictatime and noatime mount options are applied", () => {
  const r = sh("cat /proc/self/mountinfo", (s) => {
    s.mounts.push({ destination: "/a", type: "tmpfs", source: "tmpfs", options: ["noatime"] });
  });
  assert.ok(mountOpts(mountLine(r.stdout, "/a")).includes("noatime"));
});

test("a read-only bind mount shows the host directory and refuses writes", (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "hello"), "from host\n");
  const r = sh("cat /mnt/x/hello; touch /mnt/x/new 2>/dev/null && echo wrote || echo refused; cat /proc/self/mountinfo", (s) => {
    s.mounts.push({ destination: "/mnt/x", type: "bind", source: dir, options: ["rbind", "ro", "nosuid", "nodev"] });
  });
  assert.match(r.stdout, /^from host\nrefused\n/);
  const opts = mountOpts(mountLine(r.stdout, "/mnt/x"));
  for (const o of ["ro", "nosuid", "nodev"]) assert.ok(opts.includes(o), o);
});

test("a writable bind mount of a file writes through to the host", (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "f"), "old\n");
  const r = sh("cat /etc/bound; echo new > /etc/bound", (s) => {
    s.mounts.push({ destination: "/etc/bound", type: "bind", source: join(dir, "f"), options: ["bind"] });
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "old\n");
  assert.equal(execFileSync("cat", [join(dir, "f")], { encoding: "utf8" }), "new\n");
});

test("mount propagation options: rshared, rslave and rprivate", (t) => {
  const mounts: string[] = [];
  const dir = tempDir(t, mounts);
  const src = join(dir, "src");
  mkdirSync(src);
  execFileSync("mount", ["-t", "tmpfs", "tmpfs", src]);
  mounts.push(src);
  execFileSync("mount", ["--make-shared", src]);
  const r = sh("cat /proc/self/mountinfo", (s) => {
    s.mounts.push({ destination: "/sh", type: "tmpfs", source: "tmpfs", options: ["rshared"] });
    s.mounts.push({ destination: "/sl", type: "bind", source: src, options: ["rbind", "rslave"] });
    s.mounts.push({ destination: "/pr", type: "bind", source: src, options: ["rbind", "rprivate"] });
  });
  const fields = (mp: string) => mountLine(r.stdout, mp).split(" - ")[0]?.split(" ").slice(6) ?? [];
  assert.ok(fields("/sh").some((f) => f.startsWith("shared:")), `/sh: ${fields("/sh")}`);
  assert.ok(fields("/sl").some((f) => f.startsWith("master:")), `/sl: ${fields("/sl")}`);
  assert.ok(!fields("/sl").some((f) => f.startsWith("shared:")));
  assert.deepEqual(fields("/pr"), []);
});

test("linux.rootfsPropagation shared makes the container's / shared", () => {
  const r = sh("cat /proc/self/mountinfo", (s) => (s.linux.rootfsPropagation = "shared"));
  assert.equal(r.status, 0, r.stderr);
  const line = mountLine(r.stdout, "/");
  assert.ok((line.split(" - ")[0] ?? "").split(" ").slice(6).some((f) => f.startsWith("shared:")), line);
});

test("linux.rootfsPropagation private leaves / without propagation", () => {
  const r = sh("cat /proc/self/mountinfo", (s) => (s.linux.rootfsPropagation = "private"));
  assert.deepEqual((mountLine(r.stdout, "/").split(" - ")[0] ?? "").split(" ").slice(6), []);
});

test("maskedPaths hide files and directories, readonlyPaths are read-only", () => {
  // Both have content on the host, so the test fails if masking does nothing.
  assert.ok(readFileSync("/proc/timer_list", "utf8").length > 0);
  assert.ok(readdirSync("/proc/irq").length > 0);
  const r = sh("wc -c < /proc/timer_list; ls /proc/irq | wc -l; echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo wrote || echo refused; cat /proc/self/mountinfo", (s) => {
    s.linux.maskedPaths = ["/proc/timer_list", "/proc/irq", "/does/not/exist"];
    s.linux.readonlyPaths = ["/proc/sys"];
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\s*0\n\s*0\nrefused\n/);
  assert.ok(mountOpts(mountLine(r.stdout, "/proc/sys")).includes("ro"));
});

test("default devices exist with runc's numbers and modes; listed devices are created", () => {
  const r = sh("for d in null zero full tty random urandom fuse; do stat -c '%n %F %t,%T %a %u:%g' /dev/$d; done; ls -l /dev/ptmx /dev/fd /dev/stdin; echo hi > /dev/null && echo null-writable", (s) => {
    s.linux.devices = [{ type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 0o640, uid: 1000, gid: 1001 }];
    s.linux.resources.devices.push({ allow: true, type: "c", major: 10, minor: 229, access: "rwm" });
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.deepEqual(lines.slice(0, 7), [
    "/dev/null character special file 1,3 666 0:0",
    "/dev/zero character special file 1,5 666 0:0",
    "/dev/full character special file 1,7 666 0:0",
    "/dev/tty character special file 5,0 666 0:0",
    "/dev/random character special file 1,8 666 0:0",
    "/dev/urandom character special file 1,9 666 0:0",
    "/dev/fuse character special file a,e5 640 1000:1001",
  ]);
  assert.match(r.stdout, /\/dev\/fd -> \/proc\/self\/fd/);
  assert.match(r.stdout, /\/dev\/ptmx -> pts\/ptmx/);
  assert.match(r.stdout, /\/dev\/stdin -> \/proc\/self\/fd\/0/);
  assert.match(r.stdout, /null-writable\n$/);
});

test("linux.sysctl writes namespaced sysctls", () => {
  const r = sh("cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward", (s) => {
    s.linux.sysctl = { "kernel.shmmax": "12345678", "net.ipv4.ip_forward": "1" };
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "12345678\n1\n");
});

test("the cgroup mount shows the container's own cgroups read-only", () => {
  const r = sh("cat /proc/self/cgroup; ls /sys/fs/cgroup; cat /proc/self/mountinfo");
  assert.equal(r.status, 0, r.stderr);
  // In its cgroup namespace the container sees itself at the root of each hierarchy.
  assert.match(r.stdout, /^\d+:memory:\/$/m);
  for (const c of ["cpu", "memory", "pids", "devices", "freezer"]) assert.match(r.stdout, new RegExp(`^${c}$`, "m"));
  assert.ok(mountOpts(mountLine(r.stdout, "/sys/fs/cgroup/memory")).includes("ro"));
});

test("without a /dev mount, devices are made in the rootfs once and kept on the next run", () => {
  const noDev = (s: SpecJson) => {
    s.mounts = s.mounts.filter((m: { destination: string }) => !m.destination.startsWith("/dev"));
  };
  const first = sh("stat -c '%t,%T' /dev/null", noDev);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout, "1,3\n");
  const second = sh("stat -c '%t,%T' /dev/null", noDev);
  assert.equal(second.status, 0, second.stderr);
  assert.equal(second.stdout, "1,3\n");
});

test("runc's default mounts: proc, sysfs, devpts, shm tmpfs and mqueue with their options", () => {
  const r = sh("cat /proc/self/mountinfo; ls /dev/mqueue >/dev/null && echo mqueue-ok");
  assert.equal(r.status, 0, r.stderr);
  const fs = (mp: string) => mountLine(r.stdout, mp).split(" - ")[1]?.split(" ")[0];
  assert.equal(fs("/proc"), "proc");
  assert.equal(fs("/sys"), "sysfs");
  assert.equal(fs("/dev"), "tmpfs");
  assert.equal(fs("/dev/pts"), "devpts");
  assert.equal(fs("/dev/shm"), "tmpfs");
  assert.equal(fs("/dev/mqueue"), "mqueue");
  for (const o of ["ro", "nosuid", "nodev", "noexec"]) assert.ok(mountOpts(mountLine(r.stdout, "/sys")).includes(o), `/sys ${o}`);
  for (const o of ["nosuid", "noexec"]) assert.ok(mountOpts(mountLine(r.stdout, "/dev/pts")).includes(o), `/dev/pts ${o}`);
  assert.match(mountLine(r.stdout, "/dev/pts"), /ptmxmode=666/);
  assert.match(mountLine(r.stdout, "/dev/shm"), /size=65536k/);
  assert.match(r.stdout, /mqueue-ok\n$/);
});
