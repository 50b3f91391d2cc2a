import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePlan, compileExecPlan, deviceCgroupRules, parseMountOptions, MS, CLONE_NEW, type CompileContext } from "./compile.js";
import { validateSpec } from "../spec/validate.js";
import { defaultSpec, type SpecJson } from "../spec/default-spec.js";
import type { Op, Plan } from "./plan.js";

const ctx: CompileContext = {
  rootfs: "/b/rootfs",
  bundle: "/b",
  execFifo: "/run/c1/exec.fifo",
  cgroupProcs: ["/sys/fs/cgroup/pids/c1/cgroup.procs"],
};

function plan(mutate: (s: SpecJson) => void = () => {}, c: Partial<CompileContext> = {}): Plan {
  const s = defaultSpec({ rootfs: "/b/rootfs" });
  mutate(s);
  return compilePlan(validateSpec(s), { ...ctx, ...c });
}

const names = (p: Plan) => p.ops.map((o) => o.op);
const find = <K extends Op["op"]>(p: Plan, op: K) => p.ops.filter((o): o is Extract<Op, { op: K }> => o.op === op);
const indexOf = (p: Plan, pred: (o: Op) => boolean) => {
  const i = p.ops.findIndex(pred);
  assert.notEqual(i, -1);
  return i;
};

test("parseMountOptions() splits flags, propagation and data", () => {
  const r = parseMountOptions(["nosuid", "noexec", "mode=755", "ro", "rw", "rbind", "rslave", "size=1k", "tmpcopyup"]);
  assert.equal(r.flags, MS.NOSUID | MS.NOEXEC | MS.BIND | MS.REC);
  assert.deepEqual(r.propagation, [MS.SLAVE | MS.REC]);
  assert.equal(r.data, "mode=755,size=1k");
  assert.equal(parseMountOptions(["nodev", "dev", "relatime", "strictatime"]).flags, MS.RELATIME | MS.STRICTATIME);
  for (const [o, f] of [["private", MS.PRIVATE], ["shared", MS.SHARED], ["rshared", MS.SHARED | MS.REC], ["unbindable", MS.UNBINDABLE], ["rprivate", MS.PRIVATE | MS.REC], ["slave", MS.SLAVE]] as const) {
    assert.deepEqual(parseMountOptions([o]).propagation, [f]);
  }
});

test("parseMountOptions() rejects idmapped mounts", () => {
  assert.throws(() => parseMountOptions(["idmap"], "mounts[2].options"), /mounts\[2\]\.options "idmap" is not supported/);
});

test("compilePlan() sets clone flags for new namespaces and leaves cgroup to an unshare op", () => {
  const p = plan();
  assert.equal(p.cloneFlags, CLONE_NEW.pid | CLONE_NEW.network | CLONE_NEW.ipc | CLONE_NEW.uts | CLONE_NEW.mount);
  assert.deepEqual(p.ops[0], { op: "unshare", flags: CLONE_NEW.cgroup });
  assert.deepEqual(p.joinNamespaces, []);
  assert.equal(p.execFifo, "/run/c1/exec.fifo");
  assert.deepEqual(p.cgroupProcs, ctx.cgroupProcs);
});

test("compilePlan() joins namespaces given by path, user namespace first", () => {
  const p = plan((s) => {
    s.linux.namespaces[1].path = "/proc/7/ns/net";
    s.linux.namespaces.push({ type: "user", path: "/proc/7/ns/user" });
  });
  assert.deepEqual(p.joinNamespaces, [
    { nstype: CLONE_NEW.user, path: "/proc/7/ns/user" },
    { nstype: CLONE_NEW.network, path: "/proc/7/ns/net" },
  ]);
  assert.equal(p.cloneFlags & CLONE_NEW.network, 0);
  assert.deepEqual(p.uidMappings, []);
});

test("compilePlan() writes uid/gid mappings and binds devices in a new user namespace", () => {
  const p = plan((s) => {
    s.linux.namespaces.push({ type: "user" });
    s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }];
  });
  assert.ok(p.cloneFlags & CLONE_NEW.user);
  assert.deepEqual(p.uidMappings, [{ containerId: 0, hostId: 100000, size: 65536 }]);
  assert.deepEqual(p.gidMappings, [{ containerId: 0, hostId: 200000, size: 1000 }]);
  assert.equal(find(p, "mknod").length, 0);
  assert.deepEqual(find(p, "bind-device")[0], { op: "bind-device", source: "/dev/null", path: "/b/rootfs/dev/null" });
});

test("compilePlan() emits ops in runc's order", () => {
  const p = plan((s) => {
    s.process.oomScoreAdj = 100;
    s.linux.sysctl = { "net.ipv4.ip_forward": "1" };
    s.domainname = "example.org";
    s.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW" };
    s.hooks = { createContainer: [{ path: "/bin/cc" }], startContainer: [{ path: "/bin/sc" }], prestart: [{ path: "/bin/ps" }] };
  }, { seccomp: { filter: new Uint8Array(8), flags: 0 } });
  const order = [
    "unshare", "write-file", "open-exec-fifo", "mount", "mkdir", "mknod", "symlink", "sync", "run-hook", "pivot-root",
    "mount", "sethostname", "setdomainname", "write-file", "readonly-path", "mask-path", "umask", "rlimit", "set-user",
    "chdir", "capabilities", "no-new-privileges", "wait-start", "seccomp", "run-hook", "exec",
  ];
  let at = -1;
  for (const op of order) {
    const next = p.ops.findIndex((o, i) => i > at && o.op === op);
    assert.ok(next > at, `${op} after index ${at} in ${names(p).join(",")}`);
    at = next;
  }
  assert.equal(p.ops.at(-1)?.op, "exec");
  assert.deepEqual(find(p, "write-file")[0], { op: "write-file", path: "/proc/self/oom_score_adj", data: "100" });
  assert.deepEqual(find(p, "write-file")[1], { op: "write-file", path: "/proc/sys/net/ipv4/ip_forward", data: "1" });
  assert.deepEqual(find(p, "run-hook")[0], { op: "run-hook", path: "/bin/cc", args: ["/bin/cc"], env: [], timeout: 0 });
  assert.deepEqual(find(p, "sync"), [{ op: "sync", phase: "createRuntime" }]);
});

test("compilePlan() makes / rslave, the rootfs parent private and binds the rootfs before the spec mounts", () => {
  const p = plan(() => {}, { rootfsParentMount: "/" });
  const mounts = find(p, "mount");
  assert.deepEqual(mounts[0], { op: "mount", source: "", target: "/", fstype: "", flags: MS.SLAVE | MS.REC, data: "" });
  assert.deepEqual(mounts[1], { op: "mount", source: "", target: "/", fstype: "", flags: MS.PRIVATE, data: "" });
  assert.deepEqual(mounts[2], { op: "mount", source: "/b/rootfs", target: "/b/rootfs", fstype: "", flags: MS.BIND | MS.REC, data: "" });
  assert.deepEqual(mounts[3], { op: "mount", source: "proc", target: "/b/rootfs/proc", fstype: "proc", flags: 0, data: "" });
  assert.deepEqual(mounts[4], { op: "mount", source: "tmpfs", target: "/b/rootfs/dev", fstype: "tmpfs", flags: MS.NOSUID | MS.STRICTATIME, data: "mode=755,size=65536k" });
  const sys = mounts.find((m) => m.target === "/b/rootfs/sys");
  assert.equal(sys?.flags, MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY);
});

test("compilePlan() applies rootfsPropagation before the mounts and again on / after pivot_root", () => {
  const p = plan((s) => (s.linux.rootfsPropagation = "shared"));
  const pivot = indexOf(p, (o) => o.op === "pivot-root");
  assert.deepEqual(p.ops[indexOf(p, (o) => o.op === "mount")], { op: "mount", source: "", target: "/", fstype: "", flags: MS.SHARED | MS.REC, data: "" });
  const after = p.ops.slice(pivot).find((o) => o.op === "mount");
  assert.deepEqual(after, { op: "mount", source: "", target: "/", fstype: "", flags: MS.SHARED, data: "" });
});

test("compilePlan() remounts a read-only root after pivot_root", () => {
  const p = plan();
  const pivot = indexOf(p, (o) => o.op === "pivot-root");
  const ro = indexOf(p, (o) => o.op === "mount" && o.target === "/" && (o.flags & MS.REMOUNT) !== 0);
  assert.ok(ro > pivot);
  assert.equal((p.ops[ro] as { flags: number }).flags, MS.BIND | MS.REMOUNT | MS.RDONLY);
  const rw = plan((s) => (s.root.readonly = false));
  assert.equal(rw.ops.some((o) => o.op === "mount" && o.target === "/" && (o.flags & MS.REMOUNT) !== 0), false);
});

test("compilePlan() binds, remounts read-only and sets propagation for a bind mount", () => {
  const p = plan((s) => s.mounts.push({ destination: "/data", type: "bind", source: "vol", options: ["rbind", "ro", "nosuid", "rprivate"] }));
  const ops = p.ops.filter((o) => (o.op === "mount" || o.op === "mkdir") && "path" in o ? o.path === "/b/rootfs/data" : "target" in o && o.target === "/b/rootfs/data");
  assert.deepEqual(ops, [
    { op: "mkdir", path: "/b/rootfs/data", mode: 0o755 },
    { op: "mount", source: "/b/vol", target: "/b/rootfs/data", fstype: "", flags: MS.BIND | MS.REC, data: "" },
    { op: "mount", source: "", target: "/b/rootfs/data", fstype: "", flags: MS.RDONLY | MS.NOSUID | MS.BIND | MS.REMOUNT, data: "" },
    { op: "mount", source: "", target: "/b/rootfs/data", fstype: "", flags: MS.PRIVATE | MS.REC, data: "" },
  ]);
});

test("compilePlan() touches a file target for a file bind source and rejects a missing source", () => {
  const kinds: Record<string, "file" | "missing"> = { "/etc/hosts": "file", "/nope": "missing" };
  const sourceKind = (p: string) => kinds[p] ?? "dir";
  const p = plan((s) => s.mounts.push({ destination: "/etc/hosts", type: "bind", source: "/etc/hosts", options: ["bind"] }), { sourceKind });
  const i = indexOf(p, (o) => o.op === "touch");
  assert.deepEqual(p.ops[i], { op: "touch", path: "/b/rootfs/etc/hosts", mode: 0o644 });
  assert.deepEqual(p.ops[i - 1], { op: "mkdir", path: "/b/rootfs/etc", mode: 0o755 });
  assert.throws(() => plan((s) => s.mounts.push({ destination: "/x", type: "bind", source: "/nope" }), { sourceKind }),
    /invalid config.json: mounts\[7\]\.source "\/nope" does not exist/);
});

test("compilePlan() keeps one file type when fileMode already carries it (podman's 0o20666)", () => {
  const p = plan((s) => (s.linux.devices = [{ type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 0o20666 }]));
  const fuse = find(p, "mknod").find((n) => n.path === "/b/rootfs/dev/fuse");
  assert.equal(fuse?.mode, 0o020666);
});

test("compilePlan() creates default and listed devices with exact modes and /dev symlinks", () => {
  const p = plan((s) => (s.linux.devices = [
    { type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 0o600, uid: 5, gid: 6 },
    { type: "b", path: "/dev/disk/loop9", major: 7, minor: 9 },
    { type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 0o600 },
  ]));
  const nodes = find(p, "mknod");
  assert.deepEqual(nodes.map((n) => n.path), [
    "/b/rootfs/dev/zero", "/b/rootfs/dev/full", "/b/rootfs/dev/tty", "/b/rootfs/dev/random", "/b/rootfs/dev/urandom",
    "/b/rootfs/dev/fuse", "/b/rootfs/dev/disk/loop9", "/b/rootfs/dev/null",
  ]);
  assert.deepEqual(nodes[5], { op: "mknod", path: "/b/rootfs/dev/fuse", mode: 0o020600, major: 10, minor: 229, uid: 5, gid: 6 });
  assert.equal(nodes[6]?.mode, 0o060666);
  assert.equal(nodes[7]?.mode, 0o020600);
  assert.ok(p.ops.some((o) => o.op === "mkdir" && o.path === "/b/rootfs/dev/disk"));
  const umask0 = indexOf(p, (o) => o.op === "umask");
  assert.deepEqual(p.ops[umask0], { op: "umask", mask: 0 });
  assert.ok(umask0 < indexOf(p, (o) => o.op === "mknod"));
  const links = find(p, "symlink").map((l) => [l.target, l.path]);
  assert.deepEqual(links, [
    ["/proc/self/fd", "/b/rootfs/dev/fd"], ["/proc/self/fd/0", "/b/rootfs/dev/stdin"], ["/proc/self/fd/1", "/b/rootfs/dev/stdout"],
    ["/proc/self/fd/2", "/b/rootfs/dev/stderr"], ["pts/ptmx", "/b/rootfs/dev/ptmx"],
  ]);
});

test("compilePlan() adds /dev/pts and /dev/shm when the spec does not mount them", () => {
  const p = plan((s) => (s.mounts = s.mounts.filter((m: SpecJson) => m.destination !== "/dev/pts" && m.destination !== "/dev/shm")));
  const pts = find(p, "mount").find((m) => m.target === "/b/rootfs/dev/pts");
  assert.equal(pts?.fstype, "devpts");
  assert.match(pts?.data ?? "", /newinstance/);
  assert.equal(find(p, "mount").find((m) => m.target === "/b/rootfs/dev/shm")?.fstype, "tmpfs");
});

test("compilePlan() mounts each cgroup v1 hierarchy inside a tmpfs, read-only last", () => {
  const p = plan(() => {}, {
    cgroupMounts: [
      { dir: "cpu,cpuacct", fstype: "cgroup", data: "cpu,cpuacct", hostPath: "/sys/fs/cgroup/cpu,cpuacct/c1", links: ["cpu", "cpuacct"] },
      { dir: "memory", fstype: "cgroup", data: "memory", hostPath: "/sys/fs/cgroup/memory/c1" },
    ],
  });
  const cg = "/b/rootfs/sys/fs/cgroup";
  const ops = p.ops.filter((o) => ("target" in o && typeof o.target === "string" && o.target.startsWith(cg)) || ("path" in o && o.path.startsWith(cg)));
  const ro = MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY;
  assert.deepEqual(ops, [
    { op: "mkdir", path: cg, mode: 0o755 },
    { op: "mount", source: "tmpfs", target: cg, fstype: "tmpfs", flags: ro & ~MS.RDONLY, data: "mode=755" },
    { op: "mkdir", path: `${cg}/cpu,cpuacct`, mode: 0o755 },
    { op: "mount", source: "cgroup", target: `${cg}/cpu,cpuacct`, fstype: "cgroup", flags: ro, data: "cpu,cpuacct" },
    { op: "symlink", target: "cpu,cpuacct", path: `${cg}/cpu` },
    { op: "symlink", target: "cpu,cpuacct", path: `${cg}/cpuacct` },
    { op: "mkdir", path: `${cg}/memory`, mode: 0o755 },
    { op: "mount", source: "cgroup", target: `${cg}/memory`, fstype: "cgroup", flags: ro, data: "memory" },
    { op: "mount", source: "", target: cg, fstype: "", flags: ro | MS.REMOUNT, data: "mode=755" },
  ]);
});

test("compilePlan() binds the container's own cgroup when there is no cgroup namespace", () => {
  const p = plan((s) => (s.linux.namespaces = s.linux.namespaces.filter((n: SpecJson) => n.type !== "cgroup")),
    { cgroupMounts: [{ dir: "", fstype: "cgroup2", data: "", hostPath: "/sys/fs/cgroup/c1" }] });
  assert.equal(p.ops.some((o) => o.op === "unshare"), false);
  const m = find(p, "mount").filter((o) => o.target === "/b/rootfs/sys/fs/cgroup");
  assert.equal(m[0]?.source, "/sys/fs/cgroup/c1");
  assert.equal(m[0]?.flags, MS.BIND | MS.REC);
  assert.ok((m[1]?.flags ?? 0) & MS.RDONLY);
});

test("compilePlan() maps capability names to bits, masked by the host's set", () => {
  const p = plan((s) => {
    s.process.capabilities = { bounding: ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_SYS_RESOURCE"], effective: ["CAP_KILL"], ambient: ["CAP_NET_RAW"] };
  }, { hostCapabilities: ~(1n << 24n) & ((1n << 41n) - 1n) });
  assert.deepEqual(find(p, "capabilities")[0], {
    op: "capabilities", bounding: (1n << 0n) | (1n << 21n), effective: 1n << 5n, permitted: 0n, inheritable: 0n, ambient: 1n << 13n,
  });
});

test("compilePlan() turns rlimits into numbers with RLIM_INFINITY for 2^64-1", () => {
  const p = plan((s) => (s.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 100, hard: 200 }, { type: "RLIMIT_CORE", soft: 18446744073709551615, hard: 18446744073709551615 }]));
  assert.deepEqual(find(p, "rlimit"), [
    { op: "rlimit", resource: 7, soft: 100n, hard: 200n },
    { op: "rlimit", resource: 4, soft: 0xffffffffffffffffn, hard: 0xffffffffffffffffn },
  ]);
});

test("compilePlan() sets user, umask, cwd and exec from process", () => {
  const p = plan((s) => {
    s.process.user = { uid: 1000, gid: 100, umask: 0o077, additionalGids: [5, 6] };
    s.process.cwd = "/tmp";
    s.process.args = ["echo", "hi"];
    s.process.env = ["A=1"];
  });
  assert.deepEqual(find(p, "set-user"), [{ op: "set-user", uid: 1000, gid: 100, additionalGids: [5, 6] }]);
  assert.deepEqual(find(p, "umask").at(-1), { op: "umask", mask: 0o077 });
  assert.deepEqual(find(p, "chdir"), [{ op: "chdir", path: "/tmp" }]);
  assert.deepEqual(p.ops.at(-1), { op: "exec", path: "echo", args: ["echo", "hi"], env: ["A=1"] });
});

test("compilePlan() loads seccomp before dropping privileges without noNewPrivileges and CAP_SYS_ADMIN", () => {
  const seccomp = { filter: new Uint8Array(8), flags: 1 };
  const p = plan((s) => (s.process.noNewPrivileges = false), { seccomp });
  assert.ok(indexOf(p, (o) => o.op === "seccomp") < indexOf(p, (o) => o.op === "set-user"));
  assert.equal(p.ops.some((o) => o.op === "no-new-privileges"), false);
  const late = plan((s) => (s.process.noNewPrivileges = true), { seccomp });
  assert.ok(indexOf(late, (o) => o.op === "seccomp") > indexOf(late, (o) => o.op === "wait-start"));
  assert.deepEqual(late.ops[indexOf(late, (o) => o.op === "seccomp")], { op: "seccomp", filter: seccomp.filter, flags: 1 });
});

test("compilePlan() skips the start wait without an exec fifo and handles the console", () => {
  const p = plan((s) => {
    s.process.terminal = true;
    s.process.consoleSize = { height: 40, width: 120 };
  }, { execFifo: "", consoleSocket: "/tmp/console.sock" });
  assert.equal(p.ops.some((o) => o.op === "wait-start" || o.op === "open-exec-fifo"), false);
  assert.ok(indexOf(p, (o) => o.op === "connect-console-socket") < indexOf(p, (o) => o.op === "pivot-root"));
  assert.deepEqual(p.ops[indexOf(p, (o) => o.op === "setup-console")], { op: "setup-console", rows: 40, cols: 120 });
  assert.ok(indexOf(p, (o) => o.op === "setup-console") > indexOf(p, (o) => o.op === "pivot-root"));
});

test("compilePlan() uses chroot with --no-pivot and without a mount namespace", () => {
  assert.ok(find(plan(() => {}, { noPivot: true }), "chroot").length === 1);
  const p = plan((s) => {
    s.linux.namespaces = s.linux.namespaces.filter((n: SpecJson) => n.type !== "mount");
    s.mounts = [];
    s.root.readonly = false;
    s.linux.maskedPaths = [];
    s.linux.readonlyPaths = [];
  });
  assert.deepEqual(find(p, "chroot"), [{ op: "chroot", root: "/b/rootfs" }]);
  assert.equal(find(p, "mount").length, 0);
});

test("compilePlan() emits no sync without hooks that need it", () => {
  assert.equal(plan().ops.some((o) => o.op === "sync"), false);
  assert.equal(plan((s) => (s.hooks = { poststart: [{ path: "/bin/true" }] })).ops.some((o) => o.op === "sync"), false);
});

test("compileExecPlan() joins the container's namespaces and cgroup and runs the process", () => {
  const spec = validateSpec(defaultSpec());
  const p = compileExecPlan(spec, { ...spec.process!, args: ["ps"], cwd: "/tmp" }, { pid: 42, cgroupProcs: ["/cg/cgroup.procs"] });
  assert.deepEqual(p.joinNamespaces.map((j) => j.path), ["/proc/42/ns/pid", "/proc/42/ns/net", "/proc/42/ns/ipc", "/proc/42/ns/uts", "/proc/42/ns/cgroup", "/proc/42/ns/mnt"]);
  assert.equal(p.cloneFlags, 0);
  assert.equal(p.execFifo, "");
  assert.deepEqual(names(p), ["umask", "rlimit", "set-user", "chdir", "capabilities", "no-new-privileges", "exec"]);
  assert.deepEqual(p.ops.at(-1), { op: "exec", path: "ps", args: ["ps"], env: spec.process!.env });
});

test("deviceCgroupRules() puts the defaults after the leading deny-all and before the spec's other rules", () => {
  const spec = validateSpec(defaultSpec());
  const bare = deviceCgroupRules(spec);
  assert.deepEqual(bare[0], { allow: false, access: "rwm" });
  assert.ok(bare.some((r) => r.allow && r.major === 1 && r.minor === 3 && r.access === "rwm"));
  assert.ok(bare.some((r) => r.allow && r.major === 136 && r.minor === undefined));
  const s = defaultSpec();
  s.linux.devices = [{ type: "b", path: "/dev/loop9", major: 7, minor: 9 }];
  s.linux.resources.devices.push({ allow: false, type: "c", major: 1, minor: 3, access: "rw" });
  const rules = deviceCgroupRules(validateSpec(s));
  assert.deepEqual(rules.at(-2), { allow: true, type: "b", major: 7, minor: 9, access: "rwm" });
  assert.deepEqual(rules.at(-1), { allow: false, type: "c", major: 1, minor: 3, access: "rw" });
  const noDeny = defaultSpec();
  noDeny.linux.resources.devices = [{ allow: false, type: "c", major: 1, minor: 5, access: "r" }];
  assert.deepEqual(deviceCgroupRules(validateSpec(noDeny)).at(-1), { allow: false, type: "c", major: 1, minor: 5, access: "r" });
  assert.equal(deviceCgroupRules(validateSpec(noDeny))[0]?.allow, true);
});

test("compilePlan() keeps device nodes that already exist in a rootfs without a /dev mount", () => {
  const sourceKind = (p: string) => (p === "/b/rootfs/dev/null" ? "file" as const : "missing" as const);
  const noDev = plan((s) => (s.mounts = s.mounts.filter((m: SpecJson) => m.destination !== "/dev")), { sourceKind });
  assert.equal(find(noDev, "mknod").some((n) => n.path === "/b/rootfs/dev/null"), false);
  assert.equal(find(noDev, "mknod").some((n) => n.path === "/b/rootfs/dev/zero"), true);
  // With a tmpfs on /dev the host's view of rootfs/dev is irrelevant: every node is made.
  const withDev = plan(() => {}, { sourceKind });
  assert.equal(find(withDev, "mknod").some((n) => n.path === "/b/rootfs/dev/null"), true);
});

test("compilePlan() mounts cgroup2 at the destination on a pure v2 host, in a user namespace too", () => {
  const v2 = [{ dir: "", fstype: "cgroup2" as const, data: "", hostPath: "/sys/fs/cgroup/berth/c1" }];
  for (const userNs of [false, true]) {
    const p = plan((s) => {
      if (userNs) {
        s.linux.namespaces.push({ type: "user" });
        s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
        s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      }
    }, { cgroupMounts: v2 });
    const m = find(p, "mount").filter((o) => o.target.startsWith("/b/rootfs/sys/fs/cgroup"));
    assert.deepEqual(m, [{ op: "mount", source: "cgroup2", target: "/b/rootfs/sys/fs/cgroup", fstype: "cgroup2", flags: MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY, data: "" }]);
  }
});
