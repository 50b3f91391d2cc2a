import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { EventBus } from "../events/event-bus.js";
import { invalidArgument } from "../../shared/errors.js";
import { ContainerService } from "./container-service.js";
import type { ContainerExtension } from "./container-extension.js";
import type { ContainerRuntime, Task } from "./container-runtime.js";

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

async function fixture(t: { after(fn: () => Promise<void>): void }, extensions: ContainerExtension[], o: { mount?: (target: string) => Promise<string> } = {}) {
  const root = await mkdtemp(join(tmpdir(), "berth-ctr-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const runtime = new FakeRuntime();
  const svc = await ContainerService.open({
    root: join(root, "containers"),
    images: {
      resolve: (n) => { if (n !== "busybox") throw invalidArgument(`no image ${n}`); return { id: "sha256:" + "a".repeat(64), layers: [{ chainId: "sha256:" + "b".repeat(64) }] }; },
      config: async () => ({ architecture: "amd64", os: "linux", config: { Cmd: ["sh"] }, rootfs: { type: "layers", diff_ids: [] } }) as never,
    },
    layers: {
      createRwLayer: async (key) => ({ upper: join(root, key, "upper"), work: join(root, key, "work") }),
      mountRwLayer: async (_key, target) => (o.mount !== undefined ? o.mount(target) : target),
      unmount: async () => undefined,
      removeRwLayer: async () => undefined,
    },
    events: new EventBus(),
    runtime,
    hostCapabilities: () => ["CAP_CHOWN"],
    seccomp: () => undefined,
    hostResolvConf: async () => "nameserver 127.0.0.53\n",
    extensions,
  });
  return { svc, runtime, root };
}

test("extensions are called at create, start, exit, inspect and remove, in order", async (t) => {
  const calls: string[] = [];
  const ext = (name: string): ContainerExtension => ({
    name,
    async create(rec) { calls.push(`${name}.create`); rec.Config.Labels = { ...rec.Config.Labels, [name]: "yes" }; },
    async prepare() { calls.push(`${name}.prepare`); return (spec) => { spec.hostname = `${spec.hostname ?? ""}-${name}`; }; },
    async started(_rec, pid) { calls.push(`${name}.started:${pid}`); },
    async release() { calls.push(`${name}.release`); },
    async remove(_rec, o) { calls.push(`${name}.remove:${o.volumes}`); },
    inspect(_rec, out) { out.Mounts = [...out.Mounts, { Name: name }] as never; },
    summary(_rec, out) { out.Labels = { ...out.Labels, summary: name }; },
  });
  const { svc, runtime, root } = await fixture(t, [ext("a"), ext("b")]);
  const { Id } = await svc.create({ Image: "busybox" });
  assert.deepEqual(svc.inspect(Id).Config.Labels, { a: "yes", b: "yes" });
  // The record as saved carries the extensions' fields.
  const saved = JSON.parse(await readFile(join(root, "containers", Id, "config.v2.json"), "utf8")) as { Config: { Labels: Record<string, string> } };
  assert.deepEqual(saved.Config.Labels, { a: "yes", b: "yes" });
  await svc.start(Id);
  const spec = JSON.parse(await readFile(join(root, "containers", Id, "config.json"), "utf8")) as { hostname: string };
  assert.equal(spec.hostname, `${Id.slice(0, 12)}-a-b`);
  assert.deepEqual(svc.inspect(Id).Mounts, [{ Name: "a" }, { Name: "b" }]);
  assert.equal((await svc.list())[0]?.Labels.summary, "b");
  runtime.exits.get(Id)?.(0);
  await svc.wait(Id, "not-running");
  await new Promise((r) => setTimeout(r, 20));
  await svc.remove(Id, { volumes: true });
  assert.deepEqual(calls, [
    "a.create", "b.create", "a.prepare", "b.prepare", "a.started:4242", "b.started:4242",
    "b.release", "a.release", "b.remove:true", "a.remove:true",
  ]);
});

test("a refusing create hook undoes the earlier ones and leaves nothing behind", async (t) => {
  const calls: string[] = [];
  const { svc, root } = await fixture(t, [
    { name: "a", async create() { calls.push("a.create"); }, async remove(_r, o) { calls.push(`a.remove:${o.volumes}`); } },
    { name: "b", async create(_r, body) { if (body.Labels?.refuse !== undefined) throw invalidArgument("invalid mount config"); }, async remove() { calls.push("b.remove"); } },
  ]);
  await assert.rejects(svc.create({ Image: "busybox", Labels: { refuse: "1" } }, "xx"), /invalid mount config/);
  assert.deepEqual(calls, ["a.create", "a.remove:true"]);
  assert.deepEqual(await svc.list({ all: true }), []);
  assert.deepEqual(await readdir(join(root, "containers")), []);
  // The name is free again.
  await svc.create({ Image: "busybox" }, "xx");
  assert.deepEqual(calls, ["a.create", "a.remove:true", "a.create"]);
});

test("a failing prepare fails the start and releases every extension", async (t) => {
  const calls: string[] = [];
  const { svc } = await fixture(t, [
    { name: "a", async prepare() { calls.push("a.prepare"); return undefined; }, async release() { calls.push("a.release"); } },
    { name: "b", async prepare() { throw invalidArgument("no such network"); }, async release() { calls.push("b.release"); } },
  ]);
  const { Id } = await svc.create({ Image: "busybox" });
  await assert.rejects(svc.start(Id), /no such network/);
  assert.deepEqual(calls, ["a.prepare", "b.release", "a.release"]);
  assert.equal(svc.inspect(Id).State.Running, false);
  assert.match(svc.inspect(Id).State.Error, /no such network/);
});

test("an extension whose prepare needs no rootfs prepares during the mount; patches keep the extension order", async (t) => {
  const calls: string[] = [];
  let finishMount!: () => void;
  const ext = (name: string, early: boolean): ContainerExtension => ({
    name,
    ...(early ? { prepareWithoutRootfs: true } : {}),
    async prepare() { calls.push(`${name}.prepare`); return (spec) => { spec.hostname = `${spec.hostname ?? ""}-${name}`; }; },
    async release() { calls.push(`${name}.release`); },
  });
  const { svc, root } = await fixture(t, [ext("volumes", false), ext("net", true)], {
    mount: (target) => {
      calls.push("mount");
      return new Promise((r) => { finishMount = () => { calls.push("mounted"); r(target); }; });
    },
  });
  const { Id } = await svc.create({ Image: "busybox" });
  const started = svc.start(Id);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(calls, ["mount", "net.prepare"], "the early prepare ran while the mount was pending");
  finishMount();
  await started;
  assert.deepEqual(calls, ["mount", "net.prepare", "mounted", "volumes.prepare"]);
  const spec = JSON.parse(await readFile(join(root, "containers", Id, "config.json"), "utf8")) as { hostname: string };
  assert.equal(spec.hostname, `${Id.slice(0, 12)}-volumes-net`);
});

test("a failed mount releases only what was prepared alongside it", async (t) => {
  const calls: string[] = [];
  const { svc } = await fixture(t, [
    { name: "volumes", async prepare() { calls.push("volumes.prepare"); return undefined; }, async release() { calls.push("volumes.release"); } },
    { name: "net", prepareWithoutRootfs: true, async prepare() { calls.push("net.prepare"); return undefined; }, async release() { calls.push("net.release"); } },
  ], { mount: async () => { throw new Error("mount: no space left on device"); } });
  const { Id } = await svc.create({ Image: "busybox" });
  await assert.rejects(svc.start(Id), /no space left/);
  assert.deepEqual(calls, ["net.prepare", "net.release"]);
  assert.equal(svc.inspect(Id).State.Running, false);
});

test("a wait whose client has gone is dropped; the others still get the exit", async (t) => {
  const { svc, runtime } = await fixture(t, []);
  const { Id } = await svc.create({ Image: "busybox" });
  await svc.start(Id);
  const gone = new AbortController();
  const left = svc.wait(Id, "next-exit", gone.signal);
  const kept = svc.wait(Id, "not-running");
  assert.equal(svc.pendingWaits, 2);
  gone.abort();
  await assert.rejects(left, /client went away/);
  assert.equal(svc.pendingWaits, 1);
  runtime.exits.get(Id)?.(7);
  assert.deepEqual(await kept, { StatusCode: 7, Error: null });
  assert.equal(svc.pendingWaits, 0);
});
