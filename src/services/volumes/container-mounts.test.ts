import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { FakeHost } from "../../kernel/fake-host.js";
import { invalidArgument } from "../../shared/errors.js";
import { EventBus } from "../events/event-bus.js";
import { ContainerService } from "../containers/container-service.js";
import type { ContainerRuntime, Task } from "../containers/container-runtime.js";
import { containerMounts, mergeTmpfsOptions, withUserMounts } from "./container-mounts.js";
import { VolumeService } from "./volume-service.js";

/** A runtime whose tasks exit when `exit(id, code)` is called. */
class FakeRuntime implements ContainerRuntime {
  readonly writesLog = true;
  readonly exits = new Map<string, (code: number) => void>();
  async start(id: string): Promise<Task> {
    let resolve!: (c: number) => void;
    const exited = new Promise<number>((r) => { resolve = r; });
    const stdout = new PassThrough();
    this.exits.set(id, (c) => { stdout.end(); resolve(c); });
    return { pid: 4242, stdout, stderr: undefined, stdin: undefined, exited, resize: async () => undefined };
  }
  async kill(id: string): Promise<void> { this.exits.get(id)?.(137); }
  async exec(): Promise<Task> { throw new Error("not in this fake"); }
  async pids(): Promise<number[]> { return []; }
  async cleanup(): Promise<void> {}
}

async function fixture(t: { after(fn: () => Promise<void>): void }) {
  const root = await mkdtemp(join(tmpdir(), "berth-mounts-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const host = join(root, "host");
  await mkdir(host);
  const volumes = await VolumeService.open({ root: join(root, "volumes"), host: new FakeHost(), mountsUnder: async () => [] });
  let svc: ContainerService | undefined;
  const runtime = new FakeRuntime();
  svc = await ContainerService.open({
    root: join(root, "containers"),
    images: {
      resolve: (n) => { if (n !== "busybox") throw invalidArgument(`no image ${n}`); return { id: "sha256:" + "a".repeat(64), layers: [{ chainId: "sha256:" + "b".repeat(64) }] }; },
      config: async () => ({ architecture: "amd64", os: "linux", config: { Cmd: ["sh"], Volumes: { "/img": {} } }, rootfs: { type: "layers", diff_ids: [] } }) as never,
    },
    layers: {
      createRwLayer: async (key) => ({ upper: join(root, key, "upper"), work: join(root, key, "work") }),
      mountRwLayer: async (_key, target) => target,
      unmount: async () => undefined,
      removeRwLayer: async () => undefined,
    },
    events: new EventBus(),
    runtime,
    hostCapabilities: () => ["CAP_CHOWN"],
    seccomp: () => undefined,
    hostResolvConf: async () => "nameserver 127.0.0.53\n",
    extensions: [containerMounts({ volumes, containers: () => svc })],
  });
  return { svc, runtime, root, host, volumes };
}

type Mounts = Array<{ Type: string; Name?: string; Source: string; Destination: string; RW: boolean; Mode: string; Propagation: string; Driver?: string }>;

test("create records the mounts, creates named and anonymous volumes; start copies up and patches the spec", async (t) => {
  const { svc, runtime, root, host, volumes } = await fixture(t);
  const { Id } = await svc.create({
    Image: "busybox",
    HostConfig: {
      Binds: ["named:/n", `${host}:/h:ro,rslave`, `${host}/made:/made`],
      Mounts: [{ Type: "tmpfs", Target: "/m", TmpfsOptions: { SizeBytes: 1 << 20 } }],
      Tmpfs: { "/t": "size=64k,exec" },
    },
  });
  const mounts = svc.inspect(Id).Mounts as Mounts;
  const anon = mounts.find((m) => m.Destination === "/img");
  assert.match(anon?.Name ?? "", /^[0-9a-f]{64}$/);
  assert.deepEqual(mounts.map((m) => [m.Type, m.Destination, m.RW, m.Propagation]), [
    ["bind", "/h", false, "rslave"], ["volume", "/img", true, ""], ["tmpfs", "/m", true, ""], ["bind", "/made", true, "rprivate"],
    ["volume", "/n", true, ""],
  ], "HostConfig.Tmpfs mounts are not mount points (dockerd)");
  assert.deepEqual(mounts.find((m) => m.Destination === "/n"), {
    Type: "volume", Name: "named", Source: volumes.dataPath("named"), Destination: "/n", Driver: "local", Mode: "", RW: true, Propagation: "",
  });
  assert.deepEqual(volumes.list({ dangling: ["false"] }).map((v) => v.Name).sort(), [anon?.Name, "named"].sort());
  assert.equal((await svc.list({ all: true }))[0]?.Mounts.length, 5);
  // The image has content at /img: it is copied into the new volume at start.
  const rootfs = join(root, "containers", Id, "rootfs");
  await mkdir(join(rootfs, "img", "sub"), { recursive: true });
  await writeFile(join(rootfs, "img", "sub", "seed"), "seed");
  await svc.start(Id);
  assert.equal(await readFile(join(volumes.dataPath(anon?.Name ?? ""), "sub", "seed"), "utf8"), "seed");
  assert.deepEqual(await readdir(join(host, "made")), [], "a missing -v host directory is created");
  const spec = JSON.parse(await readFile(join(root, "containers", Id, "config.json"), "utf8")) as { mounts: Array<{ destination: string; type: string; source: string; options: string[] }> };
  const user = spec.mounts.filter((m) => ["/h", "/img", "/m", "/made", "/n", "/t"].includes(m.destination));
  assert.deepEqual(user.map((m) => [m.destination, m.type, m.options.join(",")]), [
    ["/h", "bind", "rbind,ro,rslave"], ["/img", "bind", "rbind,rprivate"], ["/m", "tmpfs", "noexec,nosuid,nodev,rprivate,size=1m"],
    ["/made", "bind", "rbind,rprivate"], ["/n", "bind", "rbind,rprivate"], ["/t", "tmpfs", "nosuid,nodev,rprivate,size=64k,exec"],
  ]);
  runtime.exits.get(Id)?.(0);
  await svc.wait(Id, "not-running");
  // rm without -v keeps every volume (only the users go); the anonymous one is now dangling.
  await svc.remove(Id);
  assert.deepEqual(volumes.list({ dangling: ["true"] }).map((v) => v.Name).sort(), [anon?.Name, "named"].sort());
});

test("--volumes-from shares the mounts (ro when asked); rm -v removes anonymous volumes only when unused", async (t) => {
  const { svc, volumes } = await fixture(t);
  const a = await svc.create({ Image: "busybox", HostConfig: { Binds: ["keep:/k"] } }, "ca");
  const b = await svc.create({ Image: "busybox", HostConfig: { VolumesFrom: ["ca:ro"], Binds: ["other:/k2"] } }, "cb");
  const mb = svc.inspect(b.Id).Mounts as Mounts;
  assert.deepEqual(mb.map((m) => [m.Destination, m.RW]), [["/img", false], ["/k", false], ["/k2", true]]);
  const anon = mb.find((m) => m.Destination === "/img")?.Name ?? "";
  assert.equal((svc.inspect(a.Id).Mounts as Mounts).find((m) => m.Destination === "/img")?.Name, anon, "the same volume");
  await svc.remove(a.Id, { volumes: true });
  assert.ok(volumes.has(anon), "still used by b");
  await svc.remove(b.Id, { volumes: true });
  assert.equal(volumes.has(anon), false);
  assert.deepEqual(volumes.list().map((v) => v.Name), ["keep", "other"]);
  await svc.create({ Image: "busybox", HostConfig: { Tmpfs: { "/tm": "" }, Mounts: [{ Type: "tmpfs", Target: "/mt" }] } }, "cc");
  const c = await svc.create({ Image: "busybox", HostConfig: { VolumesFrom: ["cc"] } }, "cd");
  assert.deepEqual((svc.inspect(c.Id).Mounts as Mounts).map((m) => m.Destination), ["/img", "/mt"], "--tmpfs is not passed on, --mount tmpfs is");
  await assert.rejects(svc.create({ Image: "busybox", HostConfig: { VolumesFrom: ["gone"] } }), { kind: "not-found", message: "No such container: gone" });
});

test("bad mounts refuse the create and leave no container and no volume", async (t) => {
  const { svc, volumes, root } = await fixture(t);
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ Binds: ["ok:/x", "bad$:/y"] }, /"bad\$" includes invalid characters/],
    [{ Binds: ["ok:/x"], Mounts: [{ Type: "volume", Source: "ok2", Target: "/x" }] }, /^Duplicate mount point: \/x$/],
    [{ Binds: ["ok:/x"], Mounts: [{ Type: "bind", Source: "/no/such/berth/dir", Target: "/b" }] }, /bind source path does not exist: \/no\/such\/berth\/dir/],
    [{ Binds: ["ok:/x"], Tmpfs: { "/t": "bogus" } }, /invalid tmpfs option/],
    [{ Binds: ["ok:/x"], Tmpfs: ["/t"] }, /HostConfig.Tmpfs must map/],
    [{ Binds: ["ok:/x"], Mounts: [{ Type: "volume", Source: "xv", Target: "/y", VolumeOptions: { DriverConfig: { Options: { bogus: "1" } } } }] }, /invalid option: "bogus"/],
  ];
  for (const [hc, re] of bad) {
    await assert.rejects(svc.create({ Image: "busybox", HostConfig: hc }), { kind: "invalid-argument", message: re });
  }
  assert.deepEqual(volumes.list(), []);
  assert.deepEqual(await readdir(join(root, "containers")), []);
});

test("AutoRemove (--rm) removes anonymous volumes; withUserMounts and mergeTmpfsOptions", async (t) => {
  const { svc, runtime, volumes } = await fixture(t);
  const { Id } = await svc.create({ Image: "busybox", HostConfig: { AutoRemove: true, Binds: ["named:/n"] } });
  await svc.start(Id);
  runtime.exits.get(Id)?.(0);
  await svc.wait(Id, "removed");
  assert.deepEqual(volumes.list().map((v) => v.Name), ["named"]);

  const spec = [{ destination: "/proc" }, { destination: "/etc/hosts" }, { destination: "/dev/shm" }, { destination: "/dev" }];
  assert.deepEqual(withUserMounts(spec, [{ destination: "/etc" }, { destination: "/dev/shm", user: true } as { destination: string }]).map((m) => m.destination),
    ["/proc", "/dev", "/etc", "/dev/shm", "/etc/hosts"]);
  assert.deepEqual(mergeTmpfsOptions(["noexec", "nosuid", "size=1m", "exec", "size=2m", "ro"]), ["nosuid", "exec", "size=2m", "ro"]);
});
