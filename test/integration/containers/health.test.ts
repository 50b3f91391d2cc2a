/**
 * Healthchecks through the docker CLI and berth: a probe that turns healthy then unhealthy
 * (ps status, inspect State.Health, health_status events), `(health: starting)`,
 * `--no-healthcheck`, the monitor stopping with the container, and bad input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import tar from "tar-stream";
import { httpCall, spawnDaemon, startDaemon, type TestDaemon } from "../daemon/daemon-helper.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 40_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function inspect(d: TestDaemon, name: string, fmt: string): Promise<string> {
  const r = await d.docker(["inspect", "-f", fmt, name]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** busybox re-tagged as `tag` with `Healthcheck` in its config, as `docker save` → edit → `docker load`. */
async function imageWithHealthcheck(d: TestDaemon, tag: string, healthcheck: Record<string, unknown>): Promise<void> {
  const saved = await d.docker(["save", "busybox"]);
  assert.equal(saved.code, 0, saved.stderr);
  const files = new Map<string, Buffer>();
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on("entry", (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        if (h.type === "file") files.set(h.name, Buffer.concat(chunks));
        next();
      });
      stream.resume();
    });
    ex.on("finish", resolve);
    ex.on("error", reject);
  });
  Readable.from([saved.stdoutBuf]).pipe(ex);
  await done;
  const manifest = JSON.parse((files.get("manifest.json") as Buffer).toString()) as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
  const entry = manifest[0] as { Config: string; RepoTags: string[]; Layers: string[] };
  const config = JSON.parse((files.get(entry.Config) as Buffer).toString()) as { config: Record<string, unknown> };
  config.config.Healthcheck = healthcheck;
  const bytes = Buffer.from(JSON.stringify(config));
  const hex = createHash("sha256").update(bytes).digest("hex");
  const name = entry.Config.startsWith("blobs/") ? `blobs/sha256/${hex}` : `${hex}.json`;
  // Docker's manifest.json only: the OCI index would still name the old config.
  const out = tar.pack();
  for (const [n, b] of files) if (n !== "index.json" && n !== "oci-layout" && n !== "manifest.json" && n !== entry.Config) out.entry({ name: n }, b);
  out.entry({ name }, bytes);
  out.entry({ name: "manifest.json" }, Buffer.from(JSON.stringify([{ ...entry, Config: name, RepoTags: [tag] }])));
  out.finalize();
  const chunks: Buffer[] = [];
  for await (const c of out) chunks.push(c as Buffer);
  const load = await d.docker(["load"], Buffer.concat(chunks));
  assert.equal(load.code, 0, load.stderr);
}

interface HealthJson {
  Status: string;
  FailingStreak: number;
  Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }>;
}

test("healthchecks: healthy, then unhealthy, in ps, inspect and events; starting; none; bad input", async (t) => {
  const d = await startDaemon(t);
  const since = String(Math.floor(Date.now() / 1000) - 1);

  await t.test("docker: a probe that fails turns the container unhealthy after the retries", async () => {
    const run = await d.docker(["run", "-d", "--name", "hc", "--health-cmd", "cat /tmp/ok", "--health-interval", "300ms",
      "--health-retries", "2", "--health-timeout", "5s", "busybox", "sh", "-c", "echo fine > /tmp/ok; exec sleep 1000"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await inspect(d, "hc", "{{json .Config.Healthcheck}}"),
      JSON.stringify({ Test: ["CMD-SHELL", "cat /tmp/ok"], Interval: 300_000_000, Timeout: 5_000_000_000, Retries: 2 }));
    await until("healthy", async () => ((await inspect(d, "hc", "{{.State.Health.Status}}")) === "healthy" ? true : undefined));
    assert.match((await d.docker(["ps", "--filter", "name=hc", "--format", "{{.Status}}"])).stdout, /^Up .* \(healthy\)\n$/);
    const healthy = JSON.parse(await inspect(d, "hc", "{{json .State.Health}}")) as HealthJson;
    assert.equal(healthy.FailingStreak, 0);
    const first = healthy.Log[0];
    assert.equal(first?.ExitCode, 0);
    assert.equal(first?.Output, "fine\n");
    assert.ok(Date.parse(first?.End ?? "") >= Date.parse(first?.Start ?? ""));
    assert.equal((await d.docker(["exec", "hc", "rm", "/tmp/ok"])).code, 0);
    await until("unhealthy", async () => ((await inspect(d, "hc", "{{.State.Health.Status}}")) === "unhealthy" ? true : undefined));
    assert.match((await d.docker(["ps", "--filter", "name=hc", "--format", "{{.Status}}"])).stdout, /^Up .* \(unhealthy\)\n$/);
    assert.match((await d.berth(["ps", "--filter", "name=hc"])).stdout, /Up .* \(unhealthy\)/);
    assert.equal((await d.docker(["ps", "--filter", "health=unhealthy", "--format", "{{.Names}}"])).stdout, "hc\n");
    assert.equal((await d.docker(["ps", "--filter", "health=healthy", "--format", "{{.Names}}"])).stdout, "");
    const badFilter = await d.docker(["ps", "--filter", "health=sick"]);
    assert.notEqual(badFilter.code, 0);
    assert.match(badFilter.stderr, /Unrecognised filter value for health: sick/);
    // More probes: the log keeps the last five.
    await until("five results", async () => ((JSON.parse(await inspect(d, "hc", "{{json .State.Health}}")) as HealthJson).Log.length === 5 ? true : undefined));
    await sleep(700);
    const bad = JSON.parse(await inspect(d, "hc", "{{json .State.Health}}")) as HealthJson;
    assert.equal(bad.Log.length, 5);
    assert.ok(bad.FailingStreak >= 2);
    const last = bad.Log.at(-1);
    assert.equal(last?.ExitCode, 1);
    assert.match(last?.Output ?? "", /cat: can't open '\/tmp\/ok': No such file or directory/);
    const ev = await d.docker(["events", "--since", since, "--until", String(Math.ceil(Date.now() / 1000)), "--filter", "container=hc",
      "--filter", "event=health_status", "--format", "{{.Action}}"]);
    assert.equal(ev.stdout, "health_status: healthy\nhealth_status: unhealthy\n");
    // The monitor ends with the container: no probe runs after stop, health reads unhealthy.
    assert.equal((await d.docker(["stop", "-t", "1", "hc"])).code, 0);
    const stopped = Date.now();
    await sleep(1000);
    const execs = await d.docker(["events", "--since", String(Math.floor(stopped / 1000) + 1), "--until", String(Math.ceil(Date.now() / 1000)),
      "--filter", "container=hc", "--filter", "event=exec_start", "--format", "{{.Action}}"]);
    assert.equal(execs.stdout, "");
    assert.equal(await inspect(d, "hc", "{{.State.Status}} {{.State.Health.Status}}"), "exited unhealthy");
    assert.match((await d.docker(["ps", "-a", "--filter", "name=hc", "--format", "{{.Status}}"])).stdout, /^Exited \(137\) .* ago\n$/);
    assert.equal((await d.docker(["rm", "hc"])).code, 0);
  });

  await t.test("berth: (health: starting) until the first probe; --no-healthcheck has no health", async () => {
    const run = await d.berth(["run", "-d", "--name", "slowhc", "--health-cmd", "true", "--health-interval", "1h", "busybox", "sleep", "1000"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match((await d.berth(["ps", "--filter", "name=slowhc"])).stdout, /Up .* \(health: starting\)/);
    assert.match((await d.docker(["ps", "--filter", "name=slowhc", "--format", "{{.Status}}"])).stdout, /\(health: starting\)\n$/);
    assert.equal(await inspect(d, "slowhc", "{{.State.Health.Status}} {{len .State.Health.Log}}"), "starting 0");
    const none = await d.berth(["run", "-d", "--name", "nohc", "--no-healthcheck", "busybox", "sleep", "1000"]);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(await inspect(d, "nohc", "{{json .Config.Healthcheck.Test}} {{json .State.Health}}"), '["NONE"] null');
    assert.match((await d.docker(["ps", "--filter", "name=nohc", "--format", "{{.Status}}"])).stdout, /^Up [^(]*\n$/);
    assert.equal((await d.docker(["rm", "-f", "slowhc", "nohc"])).code, 0);
  });

  await t.test("a CMD probe through the API: the start interval applies in the start period, whose failures do not count", async () => {
    const create = await httpCall(d.socket, "POST", "/v1.45/containers/create?name=cmdhc", JSON.stringify({
      Image: "busybox", Cmd: ["sleep", "1000"],
      Healthcheck: { Test: ["CMD", "false"], Interval: 3_600_000_000_000, Retries: 1, StartPeriod: 60_000_000_000, StartInterval: 100_000_000 },
    }));
    assert.equal(create.status, 201, create.body);
    assert.equal((await d.docker(["start", "cmdhc"])).code, 0);
    await until("failures logged", async () => ((JSON.parse(await inspect(d, "cmdhc", "{{json .State.Health}}")) as HealthJson).Log.length >= 3 ? true : undefined));
    // Inside the start period a failure does not count: still starting, no streak.
    assert.equal(await inspect(d, "cmdhc", "{{.State.Health.Status}} {{.State.Health.FailingStreak}}"), "starting 0");
    assert.equal(await inspect(d, "cmdhc", "{{(index .State.Health.Log 0).ExitCode}}"), "1");
    assert.equal((await d.docker(["rm", "-f", "cmdhc"])).code, 0);
  });

  await t.test("bad input: clear errors, nothing created", async () => {
    const name = `badhc${process.pid}`;
    const cli: Array<[string[], RegExp]> = [
      [["--health-interval", "1x"], /invalid argument "1x" for "--health-interval" flag: time: unknown unit "x" in duration "1x"/],
      [["--health-timeout", "-1s"], /--health-timeout cannot be negative/],
      [["--health-retries", "-1"], /--health-retries cannot be negative/],
      [["--no-healthcheck", "--health-cmd", "true"], /--no-healthcheck conflicts with --health-\* options/],
    ];
    for (const [flags, re] of cli) {
      for (const c of ["docker", "berth"] as const) {
        const r = await d[c](["run", "-d", "--name", name, ...flags, "busybox", "true"]);
        assert.notEqual(r.code, 0, `${c} ${flags.join(" ")}`);
        assert.match(r.stderr, re, `${c} ${flags.join(" ")}`);
      }
    }
    const api: Array<[Record<string, unknown>, string]> = [
      [{ Test: ["CMD", "true"], Interval: 10 }, "Interval in Healthcheck cannot be less than 1ms"],
      [{ Test: ["CMD", "true"], Timeout: 500 }, "Timeout in Healthcheck cannot be less than 1ms"],
      [{ Test: ["CMD", "true"], Retries: -2 }, "Retries in Healthcheck cannot be negative"],
      [{ Test: ["CMD", "true"], StartPeriod: 1 }, "StartPeriod in Healthcheck cannot be less than 1ms"],
    ];
    for (const [hc, msg] of api) {
      const r = await httpCall(d.socket, "POST", `/v1.45/containers/create?name=${name}`, JSON.stringify({ Image: "busybox", Cmd: ["true"], Healthcheck: hc }));
      assert.equal(r.status, 400, r.body);
      assert.equal(JSON.parse(r.body).message, msg);
    }
    assert.equal((await d.docker(["ps", "-aq", "--filter", `name=${name}`])).stdout, "");
  });

  await t.test("the image's HEALTHCHECK applies; flags override or inherit it; --no-healthcheck disables it", async () => {
    const tag = `hcimage${process.pid}:latest`;
    await imageWithHealthcheck(d, tag, { Test: ["CMD-SHELL", "echo from-image"], Interval: 200_000_000, Retries: 1 });
    assert.equal((await d.docker(["image", "inspect", "-f", "{{json .Config.Healthcheck.Test}}", tag])).stdout, '["CMD-SHELL","echo from-image"]\n');
    assert.equal((await d.docker(["run", "-d", "--name", "imghc", tag, "sleep", "1000"])).code, 0);
    assert.equal((await d.docker(["run", "-d", "--name", "imghc2", "--health-timeout", "2s", tag, "sleep", "1000"])).code, 0);
    assert.equal((await d.docker(["run", "-d", "--name", "imghc3", "--no-healthcheck", tag, "sleep", "1000"])).code, 0);
    await until("healthy from the image", async () => ((await inspect(d, "imghc", "{{.State.Health.Status}}")) === "healthy" ? true : undefined));
    assert.equal(await inspect(d, "imghc", "{{(index .State.Health.Log 0).Output}}"), "from-image");
    // A timing flag alone keeps the image's test and interval.
    assert.equal(await inspect(d, "imghc2", "{{json .Config.Healthcheck}}"),
      JSON.stringify({ Test: ["CMD-SHELL", "echo from-image"], Interval: 200_000_000, Timeout: 2_000_000_000, Retries: 1 }));
    await until("healthy with the inherited test", async () => ((await inspect(d, "imghc2", "{{.State.Health.Status}}")) === "healthy" ? true : undefined));
    assert.equal(await inspect(d, "imghc3", "{{json .Config.Healthcheck.Test}} {{json .State.Health}}"), '["NONE"] null');
    assert.equal((await d.docker(["rm", "-f", "imghc", "imghc2", "imghc3"])).code, 0);
    assert.equal((await d.docker(["rmi", tag])).code, 0);
  });

  await t.test("after a kill -9 of the daemon the healthcheck of a running container goes on", async () => {
    const run = await d.docker(["run", "-d", "--name", "keep", "--health-cmd", "true", "--health-interval", "200ms", "busybox", "sleep", "1000"]);
    assert.equal(run.code, 0, run.stderr);
    await until("healthy", async () => ((await inspect(d, "keep", "{{.State.Health.Status}}")) === "healthy" ? true : undefined));
    process.kill(d.process.pid as number, "SIGKILL");
    await new Promise((r) => d.process.once("exit", r));
    const again = spawnDaemon(d.dir, d.dataRoot, d.socket);
    try {
      await until("ping", async () => (await httpCall(d.socket, "GET", "/_ping").catch(() => ({ status: 0 }))).status === 200 ? true : undefined, 60_000);
      const since = Math.floor(Date.now() / 1000);
      await until("healthy again", async () => ((await inspect(d, "keep", "{{.State.Health.Status}}")) === "healthy" ? true : undefined));
      await sleep(600);
      // Probes run again: exec_start events from the new daemon.
      const ev = await d.docker(["events", "--since", String(since), "--until", String(Math.ceil(Date.now() / 1000)),
        "--filter", "container=keep", "--filter", "event=exec_start", "--format", "{{.Action}}"]);
      assert.ok(ev.stdout.split("\n").filter((l) => l.startsWith("exec_start: /bin/sh -c true")).length >= 1, ev.stdout);
      assert.equal((await d.docker(["rm", "-f", "keep"])).code, 0);
    } finally {
      again.kill("SIGTERM");
      await new Promise((r) => again.once("exit", r));
    }
  });
});
