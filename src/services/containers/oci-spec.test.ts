import { test } from "node:test";
import assert from "node:assert/strict";
import { buildSpec, containerCapabilities, containerEnv, MASKED_PATHS } from "./oci-spec.js";
import { ContainerRecordStore, type ContainerRecord } from "./container-record.js";
import { DOCKER_DEFAULT_CAPABILITIES } from "../../runtime/seccomp/docker-profile.js";
import type { HostConfig } from "../../api/containers.js";

const ID = "a".repeat(64);
const HOST_CAPS = [...DOCKER_DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN", "CAP_NET_ADMIN"];

function rec(hc: HostConfig = {}, cfg: Partial<ContainerRecord["Config"]> = {}): ContainerRecord {
  return {
    ID: ID, Created: "", Path: "sh", Args: ["-c", "true"], Config: { Image: "busybox", Env: ["A=1"], ...cfg }, HostConfig: hc,
    State: { Status: "created", Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: "", StartedAt: "", FinishedAt: "" },
    Image: "sha256:x", ImageChainId: "sha256:y", Name: "/n", RestartCount: 0, LogPath: "", ResolvConfPath: "", HostnamePath: "", HostsPath: "",
  };
}

const paths = new ContainerRecordStore("/data/containers").paths(ID);
const seccompCalls: string[][] = [];
const inputs = {
  paths, user: { uid: 0, gid: 0, additionalGids: [], home: "/" }, hostCapabilities: HOST_CAPS,
  seccomp: (caps: readonly string[]) => {
    seccompCalls.push([...caps]);
    return { defaultAction: "SCMP_ACT_ERRNO" as const, syscalls: [] };
  },
  hostDevices: [{ path: "/dev/sda", type: "b" as const, major: 8, minor: 0, fileMode: 0o660 }],
};

test("buildSpec() gives Docker's defaults: caps, seccomp, masked paths, /dev/shm 64m, etc files, short id hostname", () => {
  const s = buildSpec(rec(), inputs) as unknown as Record<string, any>;
  assert.deepEqual(s.process.args, ["sh", "-c", "true"]);
  assert.deepEqual(s.process.capabilities.bounding, [...DOCKER_DEFAULT_CAPABILITIES]);
  assert.equal(s.hostname, ID.slice(0, 12));
  assert.deepEqual(s.process.env, ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", `HOSTNAME=${ID.slice(0, 12)}`, "A=1"]);
  assert.equal(s.process.cwd, "/");
  assert.deepEqual(s.linux.maskedPaths, [...MASKED_PATHS]);
  assert.ok(s.linux.readonlyPaths.includes("/proc/sys"));
  assert.equal(s.linux.seccomp.defaultAction, "SCMP_ACT_ERRNO");
  assert.deepEqual(seccompCalls.at(-1), [...DOCKER_DEFAULT_CAPABILITIES]);
  const shm = s.mounts.find((m: { destination: string }) => m.destination === "/dev/shm");
  assert.ok(shm.options.includes(`size=${64 * 1024 * 1024}`));
  for (const f of ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"]) {
    const m = s.mounts.find((x: { destination: string }) => x.destination === f);
    assert.equal(m.type, "bind");
    assert.ok(m.source.startsWith(paths.dir));
  }
  assert.ok(s.linux.namespaces.some((n: { type: string }) => n.type === "network"));
  assert.equal(s.root.path, paths.rootfs);
  assert.equal(s.root.readonly, false);
  assert.equal(s.linux.cgroupsPath, `/berth/${ID}`);
});

test("buildSpec() maps resources, read-only rootfs, tty and host networking", () => {
  const s = buildSpec(rec({ Memory: 64 << 20, NanoCpus: 1.5e9, PidsLimit: 20, ReadonlyRootfs: true, NetworkMode: "host" }, { Tty: true, WorkingDir: "/tmp" }), inputs) as unknown as Record<string, any>;
  assert.deepEqual(s.linux.resources.memory, { limit: 64 << 20, swap: 128 << 20 });
  assert.deepEqual(s.linux.resources.cpu, { period: 100000, quota: 150000 });
  assert.deepEqual(s.linux.resources.pids, { limit: 20 });
  assert.equal(s.root.readonly, true);
  assert.equal(s.process.terminal, true);
  assert.ok(s.process.env.includes("TERM=xterm"));
  assert.equal(s.process.cwd, "/tmp");
  assert.ok(!s.linux.namespaces.some((n: { type: string }) => n.type === "network"));
});

test("buildSpec() for a privileged container: every host cap and device, no seccomp, no masked paths", () => {
  const s = buildSpec(rec({ Privileged: true }), inputs) as unknown as Record<string, any>;
  assert.deepEqual(s.process.capabilities.bounding, HOST_CAPS);
  assert.equal(s.linux.seccomp, undefined);
  assert.equal(s.linux.maskedPaths, undefined);
  assert.deepEqual(s.linux.devices.map((d: { path: string }) => d.path), ["/dev/sda"]);
  assert.deepEqual(s.linux.resources.devices, [{ allow: true, access: "rwm" }]);
});

test("containerCapabilities() applies CapAdd/CapDrop with ALL as moby does", () => {
  assert.deepEqual(containerCapabilities([], ["ALL"], false, HOST_CAPS), []);
  assert.deepEqual(containerCapabilities(["NET_ADMIN"], ["ALL"], false, HOST_CAPS), ["CAP_NET_ADMIN"]);
  assert.ok(!containerCapabilities([], ["chown"], false, HOST_CAPS).includes("CAP_CHOWN"));
  assert.deepEqual(containerCapabilities(["ALL"], [], false, HOST_CAPS), HOST_CAPS);
  assert.throws(() => containerCapabilities(["bad cap"], [], false, HOST_CAPS), /invalid capability/);
});

test("containerEnv() lets the config override PATH and drops a bare unset name", () => {
  assert.deepEqual(containerEnv("h", false, ["PATH=/x", "B=2", "HOSTNAME"]), ["PATH=/x", "B=2"]);
});
