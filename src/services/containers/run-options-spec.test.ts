import { test } from "node:test";
import assert from "node:assert/strict";
import type { HostConfig } from "../../api/containers.js";
import type { Spec } from "../../runtime/spec/types.js";
import type { ContainerRecord } from "./container-record.js";
import type { DeepMutable } from "./container-extension.js";
import { applyRunOptions, DOCKER_INIT_PATH } from "./run-options-spec.js";

const ID = "c".repeat(64);

function spec(): DeepMutable<Spec> {
  return {
    ociVersion: "1.2.0",
    process: { terminal: false, user: { uid: 0, gid: 0 }, args: ["sh", "-c", "true"], cwd: "/", capabilities: { bounding: ["CAP_CHOWN"] } },
    root: { path: "/rootfs" },
    hostname: "c",
    mounts: [{ destination: "/dev/shm", type: "tmpfs", source: "shm" }, { destination: "/dev/mqueue", type: "mqueue", source: "mqueue" }],
    linux: { namespaces: [{ type: "mount" }, { type: "uts" }, { type: "pid" }, { type: "ipc" }, { type: "network" }], resources: { devices: [{ allow: false, access: "rwm" }] }, seccomp: { defaultAction: "SCMP_ACT_ERRNO" } },
  } as unknown as DeepMutable<Spec>;
}

function apply(hc: HostConfig, inp: Parameters<typeof applyRunOptions>[2] = {}): DeepMutable<Spec> {
  const s = spec();
  applyRunOptions(s, { ID, HostConfig: hc } as unknown as ContainerRecord, inp);
  return s;
}

test("--init bind-mounts the binary read-only and prepends it with --; daemon default and Init false", () => {
  const s = apply({ Init: true }, { initBinary: "/opt/init" });
  assert.deepEqual(s.process?.args, [DOCKER_INIT_PATH, "--", "sh", "-c", "true"]);
  assert.deepEqual(s.mounts?.at(-1), { destination: DOCKER_INIT_PATH, type: "bind", source: "/opt/init", options: ["bind", "ro"] });
  assert.deepEqual(apply({}, { initBinary: "/opt/init", initDefault: true }).process?.args?.[0], DOCKER_INIT_PATH);
  assert.deepEqual(apply({ Init: false }, { initBinary: "/opt/init", initDefault: true }).process?.args, ["sh", "-c", "true"]);
});

test("namespace modes, cgroup parent and peers", () => {
  const s = apply({ IpcMode: "host", PidMode: "host", UTSMode: "host", CgroupnsMode: "private", CgroupParent: "/parent/" });
  assert.deepEqual(s.linux?.namespaces?.map((n) => n.type), ["mount", "network", "cgroup"]);
  assert.equal(s.hostname, undefined);
  assert.deepEqual(s.mounts?.find((m) => m.destination === "/dev/shm"), { destination: "/dev/shm", type: "bind", source: "/dev/shm", options: ["rbind", "rprivate"] });
  assert.equal(s.mounts?.some((m) => m.destination === "/dev/mqueue"), false);
  assert.equal(s.linux?.cgroupsPath, `/parent/${ID}`);
  const peer = (ref: string) => ({ id: ref, pid: ref === "up" ? 4242 : 0 });
  const j = apply({ IpcMode: "container:up", PidMode: "container:up" }, { peer });
  assert.deepEqual(j.linux?.namespaces?.filter((n) => n.path !== undefined), [{ type: "pid", path: "/proc/4242/ns/pid" }, { type: "ipc", path: "/proc/4242/ns/ipc" }]);
  assert.throws(() => apply({ PidMode: "container:down" }, { peer }), /cannot join PID of a non running container: down/);
  assert.equal(apply({ IpcMode: "none" }).mounts?.some((m) => m.destination === "/dev/shm"), false);
});

test("resources, ulimits, oom score, groups, sysctls and security options", () => {
  const s = apply({
    MemoryReservation: 1 << 25, OomKillDisable: true, CpuPeriod: 50000, CpusetCpus: "0", CpusetMems: "0", BlkioWeight: 300,
    Ulimits: [{ Name: "nofile", Soft: 10, Hard: 20 }, { Name: "core", Soft: -1, Hard: -1 }], OomScoreAdj: 300, GroupAdd: ["10", "audio"],
    Sysctls: { "net.core.somaxconn": "64" }, SecurityOpt: ["no-new-privileges", "seccomp=unconfined"],
    Devices: [{ PathOnHost: "/dev/null", PathInContainer: "/dev/n", CgroupPermissions: "r" }],
  }, { groupFile: "root:x:0:\naudio:x:29:\n" });
  assert.deepEqual(s.linux?.resources?.memory, { reservation: 1 << 25, disableOOMKiller: true });
  assert.deepEqual(s.linux?.resources?.cpu, { period: 50000, cpus: "0", mems: "0" });
  assert.deepEqual(s.linux?.resources?.blockIO, { weight: 300 });
  assert.deepEqual(s.process?.rlimits, [{ type: "RLIMIT_NOFILE", soft: 10, hard: 20 }, { type: "RLIMIT_CORE", soft: 2 ** 64 - 1, hard: 2 ** 64 - 1 }]);
  assert.equal(s.process?.oomScoreAdj, 300);
  assert.deepEqual(s.process?.user.additionalGids, [10, 29]);
  assert.deepEqual(s.linux?.sysctl, { "net.core.somaxconn": "64" });
  assert.equal(s.process?.noNewPrivileges, true);
  assert.equal(s.linux?.seccomp, undefined);
  assert.deepEqual(s.linux?.devices, [{ path: "/dev/n", type: "c", major: 1, minor: 3, fileMode: s.linux?.devices?.[0]?.fileMode, uid: 0, gid: 0 }]);
  // /dev/null is a default device: its rule stays rwm as under Docker, with no deny added.
  assert.deepEqual(s.linux?.resources?.devices?.slice(1), [{ allow: true, type: "c", major: 1, minor: 3, access: "r" }]);
  assert.throws(() => apply({ GroupAdd: ["nosuch"] }), /Unable to find group nosuch/);
  const unlimited = spec();
  (unlimited.linux as { resources: Record<string, unknown> }).resources.memory = { limit: 1 << 26, swap: -1 };
  applyRunOptions(unlimited, { ID, HostConfig: { Memory: 1 << 26, MemorySwap: -1 } } as unknown as ContainerRecord, {});
  assert.deepEqual(unlimited.linux?.resources?.memory, { limit: 1 << 26 }, "swap -1 is left unwritten");
  const custom = apply({ SecurityOpt: [`seccomp=${JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }] })}`] });
  assert.equal(custom.linux?.seccomp?.defaultAction, "SCMP_ACT_ALLOW");
  assert.deepEqual(custom.linux?.seccomp?.syscalls?.map((r) => r.names), [["mkdir"]]);
});
