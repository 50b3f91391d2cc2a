import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { EventBus } from "../events/event-bus.js";
import { invalidArgument } from "../../shared/errors.js";
import { ContainerService } from "./container-service.js";
import type { ContainerRuntime, Task } from "./container-runtime.js";
import { RestartBackoff, validateRestartPolicy } from "./restart-manager.js";

test("restart policies are validated with moby's texts", () => {
  const bad = (RestartPolicy: unknown, re: RegExp, AutoRemove = false) =>
    assert.throws(() => validateRestartPolicy({ RestartPolicy: RestartPolicy as never, AutoRemove }), (e: Error & { kind?: string }) => e.kind === "invalid-argument" && re.test(e.message));
  bad({ Name: "sometimes" }, /^invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'$/);
  bad({ Name: "always", MaximumRetryCount: 3 }, /^invalid restart policy: maximum retry count can only be used with 'on-failure'$/);
  bad({ Name: "no", MaximumRetryCount: -1 }, /^invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative$/);
  bad({ Name: "on-failure", MaximumRetryCount: -2 }, /^invalid restart policy: maximum retry count cannot be negative$/);
  bad({ Name: "always" }, /^can't create 'AutoRemove' container with restart policy$/, true);
  bad({ Name: "on-failure", MaximumRetryCount: 1.5 }, /MaximumRetryCount must be an integer/);
  bad("always", /RestartPolicy must be an object/);
  for (const ok of [{ Name: "no" }, { Name: "" }, { Name: "always" }, { Name: "unless-stopped" }, { Name: "on-failure", MaximumRetryCount: 5 }, { Name: "", MaximumRetryCount: -3 }]) {
    validateRestartPolicy({ RestartPolicy: ok });
  }
  validateRestartPolicy({ RestartPolicy: { Name: "no" }, AutoRemove: true });
  validateRestartPolicy({});
});

test("backoff doubles from 100 ms to 1 min and resets after a 10 s run", () => {
  const b = new RestartBackoff();
  const delays: number[] = [];
  for (let i = 0; i < 12; i++) delays.push(b.decide({ Name: "always" }, { exitCode: 1, manuallyStopped: false, ranMs: 50 }).delayMs);
  assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
  assert.equal(b.count, 12);
  assert.equal(b.decide({ Name: "always" }, { exitCode: 1, manuallyStopped: false, ranMs: 10_000 }).delayMs, 100);
  assert.equal(b.decide({ Name: "always" }, { exitCode: 1, manuallyStopped: false, ranMs: 9_999 }).delayMs, 200);
});

test("each policy decides as moby's", () => {
  const f = (exitCode: number, manuallyStopped = false) => ({ exitCode, manuallyStopped, ranMs: 0 });
  assert.equal(new RestartBackoff().decide({ Name: "no" }, f(1)).restart, false);
  assert.equal(new RestartBackoff().decide(undefined, f(1)).restart, false);
  assert.equal(new RestartBackoff().decide({ Name: "always" }, f(0, true)).restart, true);
  assert.equal(new RestartBackoff().decide({ Name: "unless-stopped" }, f(0)).restart, true);
  assert.equal(new RestartBackoff().decide({ Name: "unless-stopped" }, f(0, true)).restart, false);
  assert.equal(new RestartBackoff().decide({ Name: "on-failure" }, f(0)).restart, false);
  const onf = new RestartBackoff();
  const rounds = [1, 1, 1, 1].map((c) => onf.decide({ Name: "on-failure", MaximumRetryCount: 3 }, f(c)).restart);
  assert.deepEqual(rounds, [true, true, true, false]);
  // The count starts at the container's RestartCount (after a daemon restart).
  assert.equal(new RestartBackoff(3).decide({ Name: "on-failure", MaximumRetryCount: 3 }, f(1)).restart, false);
  assert.equal(new RestartBackoff(50).decide({ Name: "on-failure" }, f(1)).restart, true);
});

/** Tasks that exit when told; `starts` counts runs per container. */
class FakeRuntime implements ContainerRuntime {
  readonly writesLog = true;
  readonly exits = new Map<string, (code: number) => void>();
  readonly starts = new Map<string, number>();
  /** Exit code each started task exits with at once (undefined: it keeps running). */
  autoExit: number | undefined;
  async start(id: string): Promise<Task> {
    this.starts.set(id, (this.starts.get(id) ?? 0) + 1);
    let resolve!: (c: number) => void;
    const exited = new Promise<number>((r) => { resolve = r; });
    const stdout = new PassThrough();
    this.exits.set(id, (c) => { stdout.end(); resolve(c); });
    if (this.autoExit !== undefined) {
      const code = this.autoExit;
      setTimeout(() => this.exits.get(id)?.(code), 5);
    }
    return { pid: 4242, stdout, stderr: undefined, stdin: undefined, exited, resize: async () => undefined };
  }
  async kill(id: string): Promise<void> { this.exits.get(id)?.(137); }
  async exec(): Promise<Task> { throw new Error("not in this fake"); }
  async pids(): Promise<number[]> { return []; }
  async cleanup(): Promise<void> {}
}

async function fixture(t: { after(fn: () => Promise<void>): void }) {
  const root = await mkdtemp(join(tmpdir(), "berth-restart-"));
  const runtime = new FakeRuntime();
  const events = new EventBus();
  const svc = await ContainerService.open({
    root: join(root, "containers"),
    images: {
      resolve: (n) => { if (n !== "busybox") throw invalidArgument(`no image ${n}`); return { id: "sha256:" + "a".repeat(64), layers: [{ chainId: "sha256:" + "b".repeat(64) }] }; },
      config: async () => ({ architecture: "amd64", os: "linux", config: { Cmd: ["sh"] }, rootfs: { type: "layers", diff_ids: [] } }) as never,
    },
    layers: {
      createRwLayer: async (key) => ({ upper: join(root, key, "upper"), work: join(root, key, "work") }),
      mountRwLayer: async (_key, target) => target,
      unmount: async () => undefined,
      removeRwLayer: async () => undefined,
    },
    events, runtime,
    hostCapabilities: () => ["CAP_CHOWN"],
    seccomp: () => undefined,
    hostResolvConf: async () => "nameserver 127.0.0.53\n",
  });
  t.after(async () => {
    await svc.shutdown();
    await rm(root, { recursive: true, force: true });
  });
  return { svc, runtime, events };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await sleep(5);
  }
}

test("on-failure:2 restarts twice with growing delays, then stays exited", async (t) => {
  const { svc, runtime, events } = await fixture(t);
  const { Id } = await svc.create({ Image: "busybox", HostConfig: { RestartPolicy: { Name: "on-failure", MaximumRetryCount: 2 } } });
  runtime.autoExit = 3;
  await svc.start(Id);
  await until(() => runtime.starts.get(Id) === 3 && svc.inspect(Id).State.Status === "exited");
  await sleep(300);
  assert.equal(runtime.starts.get(Id), 3);
  const st = svc.inspect(Id);
  assert.equal(st.RestartCount, 2);
  assert.equal(st.State.ExitCode, 3);
  assert.equal(st.State.Restarting, false);
  assert.equal(st.State.Running, false);
  // die/start each round; start to start is the run plus the delay (100 ms, then 200 ms).
  const evs = events.past({}).filter((e) => e.message.Type === "container" && (e.message.Action === "die" || e.message.Action === "start"));
  assert.deepEqual(evs.map((e) => e.message.Action), ["start", "die", "start", "die", "start", "die"]);
  const ms = (i: number) => Number((evs[i]?.nano ?? 0n) / 1_000_000n);
  const gap1 = ms(2) - ms(0);
  const gap2 = ms(4) - ms(2);
  assert.ok(gap1 >= 100 && gap1 < 600, `first gap ${gap1} ms`);
  assert.ok(gap2 >= 200 && gap2 < 700, `second gap ${gap2} ms`);
});

test("always: restarting between runs, stop ends the loop, API start resets the count", async (t) => {
  const { svc, runtime } = await fixture(t);
  const { Id } = await svc.create({ Image: "busybox", HostConfig: { RestartPolicy: { Name: "always" } } });
  await svc.start(Id);
  const t0 = Date.now();
  runtime.exits.get(Id)?.(0);
  await until(() => svc.inspect(Id).State.Status === "restarting");
  const s = svc.inspect(Id);
  assert.equal(s.State.Restarting, true);
  assert.equal(s.State.Running, true);
  assert.equal(s.RestartCount, 1);
  assert.equal((await svc.list())[0]?.Status.startsWith("Restarting (0)"), true);
  await until(() => svc.inspect(Id).State.Status === "running");
  assert.ok(Date.now() - t0 >= 100, "the first restart waits 100 ms");
  assert.equal(runtime.starts.get(Id), 2);
  // Second round waits 200 ms: stop it while it waits.
  runtime.exits.get(Id)?.(1);
  await until(() => svc.inspect(Id).State.Status === "restarting");
  assert.equal(svc.inspect(Id).RestartCount, 2);
  await svc.stop(Id);
  assert.equal(svc.inspect(Id).State.Status, "exited");
  assert.equal(svc.inspect(Id).State.ExitCode, 1);
  await sleep(350);
  assert.equal(runtime.starts.get(Id), 2, "no start after stop");
  await assert.rejects(svc.stop(Id), /already stopped/);
  await svc.start(Id);
  assert.equal(svc.inspect(Id).RestartCount, 0);
  // A stop of a running container is final too, for `always`.
  await svc.stop(Id, { t: 0 });
  await sleep(250);
  assert.equal(svc.inspect(Id).State.Status, "exited");
  assert.equal(runtime.starts.get(Id), 3);
});

test("kill and rm -f end a restart loop; exec is refused while restarting", async (t) => {
  const { svc, runtime } = await fixture(t);
  const { Id } = await svc.create({ Image: "busybox", HostConfig: { RestartPolicy: { Name: "always" } } });
  await svc.start(Id);
  runtime.exits.get(Id)?.(2);
  await until(() => svc.inspect(Id).State.Status === "restarting");
  assert.throws(() => svc.execCreate(Id, { Cmd: ["true"] }), /is restarting, wait until the container is running/);
  await assert.rejects(svc.top(Id), /is restarting, wait until the container is running/);
  assert.deepEqual(svc.counts(), { total: 1, running: 0, paused: 0, stopped: 1 });
  await assert.rejects(svc.remove(Id), /container is restarting: stop the container before removing or force remove/);
  await svc.kill(Id);
  assert.equal(svc.inspect(Id).State.Status, "exited");
  await sleep(200);
  assert.equal(runtime.starts.get(Id), 1);
  await svc.start(Id);
  runtime.exits.get(Id)?.(2);
  await until(() => svc.inspect(Id).State.Status === "restarting");
  await svc.remove(Id, { force: true });
  await sleep(200);
  assert.equal(runtime.starts.get(Id), 2);
  assert.deepEqual(await svc.list({ all: true }), []);
});
