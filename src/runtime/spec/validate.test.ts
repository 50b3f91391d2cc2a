import { test } from "node:test";
import assert from "node:assert/strict";
import { validateSpec, parseSpec } from "./validate.js";
import { defaultSpec, type SpecJson } from "./default-spec.js";
import { kindOf } from "../../shared/errors.js";

function rejects(mutate: (s: SpecJson) => void, message: string): void {
  const s = defaultSpec();
  mutate(s);
  assert.throws(() => validateSpec(s), (err: unknown) => {
    assert.equal(kindOf(err), "invalid-argument");
    assert.equal((err as Error).message, `invalid config.json: ${message}`);
    return true;
  });
}

test("validateSpec() accepts runc's default spec", () => {
  const spec = validateSpec(defaultSpec());
  assert.deepEqual(spec.process?.args, ["sh"]);
  assert.equal(spec.root.path, "rootfs");
});

test("parseSpec() reports malformed JSON as invalid config.json", () => {
  assert.throws(() => parseSpec("{"), /^BerthError: invalid config.json: /);
  assert.throws(() => parseSpec("[]"), /invalid config.json: the document must be an object/);
});

const cases: [string, (s: SpecJson) => void, string][] = [
  ["missing ociVersion", (s) => delete s.ociVersion, "ociVersion must be a string"],
  ["ociVersion 2.0", (s) => (s.ociVersion = "2.0.0"), 'ociVersion must be a 1.x version, got "2.0.0"'],
  ["missing root", (s) => delete s.root, "root is required"],
  ["empty root.path", (s) => (s.root.path = ""), "root.path must be a non-empty string"],
  ["root.readonly not bool", (s) => (s.root.readonly = "yes"), "root.readonly must be a boolean"],
  ["empty args", (s) => (s.process.args = []), "process.args must be a non-empty array of strings"],
  ["args not strings", (s) => (s.process.args = ["sh", 1]), "process.args must be a non-empty array of strings"],
  ["missing args", (s) => delete s.process.args, "process.args is required"],
  ["relative cwd", (s) => (s.process.cwd = "tmp"), 'process.cwd must be an absolute path, got "tmp"'],
  ["env without =", (s) => (s.process.env = ["FOO"]), 'process.env[0] must be of the form NAME=value, got "FOO"'],
  ["missing user", (s) => delete s.process.user, "process.user is required"],
  ["negative uid", (s) => (s.process.user.uid = -1), "process.user.uid must be an unsigned 32-bit integer"],
  ["umask too big", (s) => (s.process.user.umask = 0o10000), "process.user.umask must be an integer from 0 to 4095 (0o7777)"],
  ["bad additional gid", (s) => (s.process.user.additionalGids = ["1"]), "process.user.additionalGids[0] must be an unsigned 32-bit integer"],
  ["unknown capability", (s) => s.process.capabilities.bounding.push("CAP_FLY"), 'process.capabilities.bounding[3] names an unknown capability "CAP_FLY"'],
  ["capability without prefix", (s) => (s.process.capabilities.ambient = ["KILL"]), 'process.capabilities.ambient[0] names an unknown capability "KILL"'],
  ["unknown capability set", (s) => (s.process.capabilities.extra = []), "process.capabilities.extra is not a capability set (bounding, effective, inheritable, permitted, ambient)"],
  ["bad rlimit type", (s) => (s.process.rlimits = [{ type: "RLIMIT_FOO", soft: 1, hard: 1 }]), 'process.rlimits[0].type must be a known RLIMIT_* name, got "RLIMIT_FOO"'],
  ["rlimit soft above hard", (s) => (s.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 2, hard: 1 }]), "process.rlimits[0].soft must not exceed hard"],
  ["duplicate rlimit", (s) => s.process.rlimits.push({ type: "RLIMIT_NOFILE", soft: 1, hard: 1 }), "process.rlimits[1].type repeats RLIMIT_NOFILE"],
  ["rlimit without hard", (s) => (s.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 1 }]), "process.rlimits[0].hard is required"],
  ["oomScoreAdj out of range", (s) => (s.process.oomScoreAdj = 1001), "process.oomScoreAdj must be an integer from -1000 to 1000"],
  ["noNewPrivileges not bool", (s) => (s.process.noNewPrivileges = 1), "process.noNewPrivileges must be a boolean"],
  ["consoleSize without width", (s) => (s.process.consoleSize = { height: 1 }), "process.consoleSize.width is required"],
  ["relative mount destination", (s) => s.mounts.push({ destination: "data", type: "tmpfs", source: "tmpfs" }), 'mounts[7].destination must be an absolute path, got "data"'],
  ["mount destination with ..", (s) => s.mounts.push({ destination: "/a/../../etc", type: "tmpfs" }), 'mounts[7].destination must not contain "..", got "/a/../../etc"'],
  ["bind mount without source", (s) => s.mounts.push({ destination: "/x", type: "bind", options: ["rbind"] }), "mounts[7].source is required for a bind mount"],
  ["mount without type", (s) => s.mounts.push({ destination: "/x", source: "tmpfs" }), "mounts[7].type is required for a mount that is not a bind mount"],
  ["mount options not strings", (s) => (s.mounts[0].options = [1]), "mounts[0].options must be an array of strings"],
  ["unknown namespace", (s) => s.linux.namespaces.push({ type: "foo" }), 'linux.namespaces[6].type must be one of pid, network, mount, ipc, uts, user, cgroup, time, got "foo"'],
  ["duplicate namespace", (s) => s.linux.namespaces.push({ type: "pid" }), 'linux.namespaces[6].type repeats the namespace "pid"'],
  ["relative namespace path", (s) => (s.linux.namespaces[0].path = "proc/1/ns/pid"), 'linux.namespaces[0].path must be an absolute path, got "proc/1/ns/pid"'],
  ["uid mappings without user ns", (s) => (s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]), "linux.uidMappings needs a user namespace in linux.namespaces"],
  ["user ns without mappings", (s) => s.linux.namespaces.push({ type: "user" }), "linux.uidMappings must be set for a new user namespace"],
  ["mapping without size", (s) => {
    s.linux.namespaces.push({ type: "user" });
    s.linux.uidMappings = [{ containerID: 0, hostID: 1000 }];
  }, "linux.uidMappings[0].size is required"],
  ["hostname without uts", (s) => (s.linux.namespaces = s.linux.namespaces.filter((n: SpecJson) => n.type !== "uts")), "hostname needs a uts namespace in linux.namespaces"],
  ["device bad type", (s) => (s.linux.devices = [{ type: "x", path: "/dev/x", major: 1, minor: 1 }]), 'linux.devices[0].type must be one of c, b, u, p, got "x"'],
  ["device without major", (s) => (s.linux.devices = [{ type: "c", path: "/dev/x", minor: 1 }]), 'linux.devices[0].major is required for a device of type "c"'],
  ["device outside /dev", (s) => (s.linux.devices = [{ type: "c", path: "/tmp/x", major: 1, minor: 1 }]), 'linux.devices[0].path must be under /dev, got "/tmp/x"'],
  ["device mode too big", (s) => (s.linux.devices = [{ type: "c", path: "/dev/x", major: 1, minor: 1, fileMode: 0o200000 }]), "linux.devices[0].fileMode must be an integer from 0 to 65535 (0o177777)"],
  ["device mode of another file type", (s) => (s.linux.devices = [{ type: "c", path: "/dev/x", major: 1, minor: 1, fileMode: 0o60666 }]), "linux.devices[0].fileMode file type bits 0o60000 do not match type \"c\""],
  ["relative masked path", (s) => s.linux.maskedPaths.push("proc/foo"), 'linux.maskedPaths[10] must be an absolute path, got "proc/foo"'],
  ["sysctl not namespaced", (s) => (s.linux.sysctl = { "vm.swappiness": "1" }), "linux.sysctl.vm.swappiness is not namespaced and cannot be set in a container"],
  ["net sysctl without netns", (s) => {
    s.linux.namespaces = s.linux.namespaces.filter((n: SpecJson) => n.type !== "network");
    s.linux.sysctl = { "net.ipv4.ip_forward": "1" };
  }, "linux.sysctl.net.ipv4.ip_forward needs a network namespace in linux.namespaces"],
  ["sysctl value not string", (s) => (s.linux.sysctl = { "kernel.shmmax": 1 }), "linux.sysctl.kernel.shmmax must be a string"],
  ["bad rootfsPropagation", (s) => (s.linux.rootfsPropagation = "rshared"), 'linux.rootfsPropagation must be one of private, shared, slave, unbindable, got "rshared"'],
  ["bad device cgroup access", (s) => (s.linux.resources.devices = [{ allow: true, access: "rwx" }]), 'linux.resources.devices[0].access must contain only r, w and m, got "rwx"'],
  ["device cgroup without allow", (s) => (s.linux.resources.devices = [{ access: "r" }]), "linux.resources.devices[0].allow must be a boolean"],
  ["pids without limit", (s) => (s.linux.resources.pids = {}), "linux.resources.pids.limit is required"],
  ["swap below limit", (s) => (s.linux.resources.memory = { limit: 2000000, swap: 1000000 }), "linux.resources.memory.swap must be at least memory.limit (it is memory plus swap)"],
  ["bad cpus", (s) => (s.linux.resources.cpu = { cpus: "all" }), 'linux.resources.cpu.cpus must be a list like "0-2,4", got "all"'],
  ["seccomp bad default action", (s) => (s.linux.seccomp = { defaultAction: "ALLOW" }), 'linux.seccomp.defaultAction must be one of SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_NOTIFY, got "ALLOW"'],
  ["seccomp empty names", (s) => (s.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: [], action: "SCMP_ACT_ERRNO" }] }), "linux.seccomp.syscalls[0].names must be a non-empty array of strings"],
  ["seccomp bad operator", (s) => (s.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op: "EQ" }] }] }), 'linux.seccomp.syscalls[0].args[0].op must be one of SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ, got "EQ"'],
  ["seccomp arg index 6", (s) => (s.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO", args: [{ index: 6, value: 1, op: "SCMP_CMP_EQ" }] }] }), "linux.seccomp.syscalls[0].args[0].index must be an integer from 0 to 5"],
  ["seccomp bad arch", (s) => (s.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", architectures: ["x86_64"] }), `linux.seccomp.architectures[0] must be one of ${["SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64"].join(", ")}, got "x86_64"`],
  ["unknown hook kind", (s) => (s.hooks = { prestop: [] }), "hooks.prestop is not a hook kind (prestart, createRuntime, createContainer, startContainer, poststart, poststop)"],
  ["relative hook path", (s) => (s.hooks = { poststart: [{ path: "hook.sh" }] }), 'hooks.poststart[0].path must be an absolute path, got "hook.sh"'],
  ["hook timeout 0", (s) => (s.hooks = { poststop: [{ path: "/bin/true", timeout: 0 }] }), "hooks.poststop[0].timeout must be a positive integer (seconds)"],
  ["mounts without a mount namespace", (s) => (s.linux.namespaces = s.linux.namespaces.filter((n: SpecJson) => n.type !== "mount")), "mounts needs a new mount namespace in linux.namespaces"],
  ["masked paths in a joined mount namespace", (s) => {
    s.linux.namespaces = s.linux.namespaces.map((n: SpecJson) => (n.type === "mount" ? { type: "mount", path: "/proc/1/ns/mnt" } : n));
    s.mounts = [];
  }, "linux.maskedPaths needs a new mount namespace in linux.namespaces"],
  ["annotation not string", (s) => (s.annotations = { a: 1 }), "annotations.a must be a string"],
];

for (const [name, mutate, message] of cases) {
  test(`validateSpec() rejects ${name}`, () => rejects(mutate, message));
}

test("validateSpec() accepts a user namespace with mappings and joined namespaces by path", () => {
  const s = defaultSpec();
  s.linux.namespaces.push({ type: "user" });
  s.linux.namespaces[1].path = "/proc/1/ns/net";
  s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux.sysctl = { "net.ipv4.ip_forward": "1", "kernel.shmmax": "65536" };
  s.hooks = { prestart: [{ path: "/bin/true", args: ["true"], timeout: 5 }] };
  const spec = validateSpec(s);
  assert.equal(spec.linux?.uidMappings?.[0]?.hostID, 100000);
});

test("validateSpec() accepts a device fileMode with matching file-type bits, as podman sends it", () => {
  const s = defaultSpec();
  s.linux.devices = [
    { type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 0o20666 },
    { type: "b", path: "/dev/loop9", major: 7, minor: 9, fileMode: 0o60660 },
    { type: "p", path: "/dev/fifo", fileMode: 0o10600 },
  ];
  const spec = validateSpec(s);
  assert.deepEqual(spec.linux?.devices?.map((d) => d.fileMode), [0o20666, 0o60660, 0o10600]);
});
