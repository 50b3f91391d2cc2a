import { test } from "node:test";
import assert from "node:assert/strict";
import type { ContainerSummary, ExecInspect, Health } from "../../api/containers.js";
import { EventBus } from "../events/event-bus.js";
import type { ContainerRecord } from "./container-record.js";
import {
  applyProbeResult, goDuration, HealthMonitor, LimitedOutput, mergeHealthcheck, probeCommand, validateHealthConfig, type ProbeExec,
} from "./health-monitor.js";

test("healthcheck configs are validated with moby's texts", () => {
  const bad = (h: unknown, re: RegExp) => assert.throws(() => validateHealthConfig(h), (e: Error & { kind?: string }) => e.kind === "invalid-argument" && re.test(e.message));
  bad({ Interval: 10 }, /^Interval in Healthcheck cannot be less than 1ms$/);
  bad({ Timeout: 999_999 }, /^Timeout in Healthcheck cannot be less than 1ms$/);
  bad({ Retries: -1 }, /^Retries in Healthcheck cannot be negative$/);
  bad({ StartPeriod: 5 }, /^StartPeriod in Healthcheck cannot be less than 1ms$/);
  bad({ StartInterval: 5 }, /^StartInterval in Healthcheck cannot be less than 1ms$/);
  bad({ Test: "true" }, /Healthcheck.Test must be a list of strings/);
  bad({ Interval: "1s" }, /Healthcheck.Interval must be an integer/);
  validateHealthConfig(undefined);
  validateHealthConfig({ Test: ["CMD", "true"], Interval: 1_000_000, Retries: 0 });
});

test("the image's healthcheck fills what the container's leaves out", () => {
  const image = { Test: ["CMD-SHELL", "curl -f localhost"], Interval: 5e9, Retries: 4 };
  assert.deepEqual(mergeHealthcheck(undefined, image), image);
  assert.deepEqual(mergeHealthcheck({ Test: [], Timeout: 1e9 }, image), { Test: ["CMD-SHELL", "curl -f localhost"], Timeout: 1e9, Interval: 5e9, Retries: 4 });
  assert.deepEqual(mergeHealthcheck({ Test: ["NONE"] }, image)?.Test, ["NONE"]);
  assert.deepEqual(mergeHealthcheck({ Test: ["CMD", "true"] }, undefined), { Test: ["CMD", "true"] });
});

test("probe commands: CMD, CMD-SHELL through the container's shell, NONE", () => {
  assert.deepEqual(probeCommand({ Healthcheck: { Test: ["CMD", "cat", "/ok"] } }), ["cat", "/ok"]);
  assert.deepEqual(probeCommand({ Healthcheck: { Test: ["CMD-SHELL", "test -f /ok"] } }), ["/bin/sh", "-c", "test -f /ok"]);
  assert.deepEqual(probeCommand({ Shell: ["/bin/ash", "-e", "-c"], Healthcheck: { Test: ["CMD-SHELL", "x"] } }), ["/bin/ash", "-e", "-c", "x"]);
  assert.equal(probeCommand({ Healthcheck: { Test: ["NONE"] } }), undefined);
  assert.equal(probeCommand({ Healthcheck: { Test: [] } }), undefined);
  assert.equal(probeCommand({}), undefined);
});

test("Go duration strings and moby's 4 KiB output limit", () => {
  assert.equal(goDuration(30_000), "30s");
  assert.equal(goDuration(500), "500ms");
  assert.equal(goDuration(90_000), "1m30s");
  assert.equal(goDuration(1500), "1.5s");
  assert.equal(goDuration(3_600_000), "1h0m0s");
  const o = new LimitedOutput();
  o.write(Buffer.alloc(4000, "a"));
  o.write(Buffer.alloc(200, "b"));
  const s = o.toString();
  assert.equal(s.length, 4096 + 3);
  assert.ok(s.endsWith("b".repeat(96) + "..."));
  const small = new LimitedOutput();
  small.write(Buffer.from("ok\n"));
  assert.equal(small.toString(), "ok\n");
});

test("probe results: streak, retries, start period, last five entries", () => {
  const o = { retries: 2, startPeriodMs: 1000, startedAt: 0 };
  let h: Health = { Status: "starting", FailingStreak: 0, Log: [] };
  const r = (exitCode: number, start: number) => ({ exitCode, output: String(start), start, end: start + 1 });
  h = applyProbeResult(h, r(1, 500), o);
  assert.deepEqual([h.Status, h.FailingStreak], ["starting", 0], "a failure inside the start period does not count");
  h = applyProbeResult(h, r(1, 1500), o);
  assert.deepEqual([h.Status, h.FailingStreak], ["starting", 1]);
  h = applyProbeResult(h, r(1, 2500), o);
  assert.deepEqual([h.Status, h.FailingStreak], ["unhealthy", 2]);
  h = applyProbeResult(h, r(0, 3500), o);
  assert.deepEqual([h.Status, h.FailingStreak], ["healthy", 0]);
  h = applyProbeResult(h, r(1, 4500), o);
  assert.deepEqual([h.Status, h.FailingStreak], ["healthy", 1]);
  h = applyProbeResult(h, r(2, 5500), o);
  assert.deepEqual([h.Status, h.FailingStreak], ["unhealthy", 2]);
  assert.equal(h.Log.length, 5);
  assert.deepEqual(h.Log.map((e) => e.Output), ["1500", "2500", "3500", "4500", "5500"]);
  assert.equal(h.Log[0]?.Start, new Date(1500).toISOString());
  assert.equal(h.Log[4]?.ExitCode, 2);
});

/** Probes that exit with the next scripted code, printing a line. */
class FakeExec implements ProbeExec {
  readonly codes: number[];
  readonly argvs: string[][] = [];
  private readonly results = new Map<string, number>();
  forgotten = 0;
  private n = 0;
  constructor(codes: number[]) {
    this.codes = codes;
  }
  execCreate(_ref: string, body: unknown): { Id: string } {
    this.argvs.push((body as { Cmd: string[] }).Cmd);
    return { Id: `e${++this.n}` };
  }
  async execStart(id: string, _o: unknown, sink: { data(s: "stdout" | "stderr", c: Buffer): void; end(): void }): Promise<{ tty: boolean }> {
    const code = this.codes.shift() ?? 0;
    this.results.set(id, code);
    setTimeout(() => {
      sink.data("stdout", Buffer.from(`probe ${id} -> ${code}\n`));
      sink.end();
    }, 1);
    return { tty: false };
  }
  execInspect(id: string): ExecInspect {
    return { ExitCode: this.results.get(id) ?? null, Pid: 0 } as ExecInspect;
  }
  execForget(): void {
    this.forgotten++;
  }
}

function record(): ContainerRecord {
  return {
    ID: "c".repeat(64), Created: new Date().toISOString(), Path: "sh", Args: [], Name: "/hc", RestartCount: 0, Image: "sha256:x", ImageChainId: "x",
    Config: { Image: "busybox", Labels: { team: "a" }, Healthcheck: { Test: ["CMD-SHELL", "test -f /ok"], Interval: 20e6, Retries: 2 } },
    HostConfig: {},
    State: {
      Status: "running", Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 1, ExitCode: 0, Error: "",
      StartedAt: new Date().toISOString(), FinishedAt: "0001-01-01T00:00:00Z",
    },
    LogPath: "", ResolvConfPath: "", HostnamePath: "", HostsPath: "",
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("the monitor probes on its interval, turns healthy then unhealthy, publishes health_status and stops at release", async () => {
  const events = new EventBus();
  const exec = new FakeExec([0, 1, 1, 0]);
  const mon = new HealthMonitor({ events, exec: () => exec });
  const rec = record();
  await mon.started(rec);
  assert.equal(rec.State.Health?.Status, "starting");
  const sum = () => {
    const s = { Status: "Up 2 seconds" } as ContainerSummary;
    mon.summary(rec, s);
    return s.Status;
  };
  assert.equal(sum(), "Up 2 seconds (health: starting)");
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 200 && !pred(); i++) await sleep(5);
    assert.ok(pred());
  };
  await until(() => rec.State.Health?.Status === "healthy");
  assert.equal(sum(), "Up 2 seconds (healthy)");
  await until(() => rec.State.Health?.Status === "unhealthy");
  assert.equal(sum(), "Up 2 seconds (unhealthy)");
  assert.equal(rec.State.Health?.FailingStreak, 2);
  assert.match(rec.State.Health?.Log.at(-1)?.Output ?? "", /^probe e3 -> 1\n$/);
  await until(() => rec.State.Health?.Status === "healthy");
  await mon.release(rec);
  const probes = exec.argvs.length;
  await sleep(80);
  assert.equal(exec.argvs.length, probes, "no probe after release");
  assert.deepEqual(exec.argvs[0], ["/bin/sh", "-c", "test -f /ok"]);
  assert.equal(rec.State.Health?.Status, "unhealthy", "a stopped monitor reports unhealthy, as moby's");
  assert.ok(exec.forgotten >= 3);
  const statuses = events.past({}).map((e) => [e.message.Action, e.message.Actor.Attributes.name, e.message.Actor.Attributes.team]);
  assert.deepEqual(statuses, [
    ["health_status: healthy", "hc", "a"], ["health_status: unhealthy", "hc", "a"], ["health_status: healthy", "hc", "a"],
  ]);
  // A new run starts over at "starting" and keeps the log.
  rec.State = { ...rec.State, Status: "exited", Running: false };
  assert.equal(sum(), "Up 2 seconds");
  rec.State = { ...rec.State, Status: "running", Running: true };
  await mon.started(rec);
  assert.equal(rec.State.Health?.Status, "starting");
  assert.equal(rec.State.Health?.Log.length, 4);
  await mon.remove(rec);
});

test("a probe that outlives its timeout fails with moby's message", async () => {
  const events = new EventBus();
  const hang: ProbeExec = {
    execCreate: () => ({ Id: "slow" }),
    execStart: async () => ({ tty: false }),
    execInspect: () => ({ ExitCode: null, Pid: 0 }) as ExecInspect,
  };
  const mon = new HealthMonitor({ events, exec: () => hang });
  const rec = record();
  rec.Config.Healthcheck = { Test: ["CMD", "sleep", "9"], Interval: 10e6, Timeout: 30e6, Retries: 1 };
  await mon.started(rec);
  for (let i = 0; i < 100 && rec.State.Health?.Status !== "unhealthy"; i++) await sleep(5);
  await mon.release(rec);
  const last = rec.State.Health?.Log.at(-1);
  assert.equal(last?.ExitCode, -1);
  assert.equal(last?.Output, "Health check exceeded timeout (30ms)");
});

test("no monitor without a test, or with NONE", async () => {
  const mon = new HealthMonitor({ events: new EventBus(), exec: () => undefined });
  const rec = record();
  rec.Config.Healthcheck = { Test: ["NONE"] };
  await mon.started(rec);
  assert.equal(rec.State.Health, undefined);
  await mon.release(rec);
  assert.equal(rec.State.Health, undefined);
});
