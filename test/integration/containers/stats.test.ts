/** stats through the Engine API, berth and the docker CLI, from the container's real cgroup counters. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { request } from "node:http";
import { CLI_MAIN, httpCall, startDaemon, type TestDaemon } from "../daemon/daemon-helper.js";

interface Sample {
  read: string;
  preread: string;
  name: string;
  id: string;
  cpu_stats: { cpu_usage: { total_usage: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  pids_stats: { current?: number; limit?: number };
  blkio_stats: { io_service_bytes_recursive: unknown[] | null };
}

/** The first `n` samples of a streaming stats request, then the request is dropped. */
function streamSamples(socket: string, id: string, n: number): Promise<Sample[]> {
  return new Promise((resolve, reject) => {
    const out: Sample[] = [];
    const req = request({ socketPath: socket, path: `/containers/${id}/stats`, method: "GET" }, (res) => {
      let buf = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        buf += c;
        for (let i = buf.indexOf("\n"); i !== -1; i = buf.indexOf("\n")) {
          out.push(JSON.parse(buf.slice(0, i)) as Sample);
          buf = buf.slice(i + 1);
          if (out.length === n) {
            req.destroy();
            resolve(out);
          }
        }
      });
      res.on("error", () => undefined);
    });
    req.on("error", (e) => (out.length === n ? undefined : reject(e)));
    req.end();
  });
}

test("stats API: StatsJSON shape, stream/one-shot, memory grows as the container allocates, errors", async (t) => {
  const d = await startDaemon(t);
  const name = `st${process.pid}`;
  const run = await d.docker(["run", "-d", "--name", name, "--memory", "200m", "--pids-limit", "64", "busybox", "sleep", "1000"]);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();

  let started = Date.now();
  const one = await httpCall(d.socket, "GET", `/containers/${name}/stats?stream=false`);
  assert.equal(one.status, 200);
  assert.ok(Date.now() - started >= 900, "stream=false waits for a second sample, as dockerd");
  const s = JSON.parse(one.body) as Sample;
  assert.equal(s.name, `/${name}`);
  assert.equal(s.id, id);
  assert.notEqual(s.preread, "0001-01-01T00:00:00Z");
  assert.ok(Date.parse(s.read) > Date.parse(s.preread));
  assert.ok(s.cpu_stats.cpu_usage.total_usage > 0);
  assert.ok(s.precpu_stats.cpu_usage.total_usage > 0, "precpu_stats is the previous sample");
  assert.ok((s.cpu_stats.system_cpu_usage ?? 0) > (s.precpu_stats.system_cpu_usage ?? 0));
  assert.ok((s.cpu_stats.online_cpus ?? 0) >= 1);
  assert.equal(s.memory_stats.limit, 200 * 1024 * 1024);
  assert.ok((s.memory_stats.usage ?? 0) > 0);
  assert.ok(s.memory_stats.stats !== undefined && Object.keys(s.memory_stats.stats).length > 0);
  assert.deepEqual(s.pids_stats, { current: 1, limit: 64 });
  assert.ok(Array.isArray(s.blkio_stats.io_service_bytes_recursive));

  started = Date.now();
  const shot = JSON.parse((await httpCall(d.socket, "GET", `/containers/${name}/stats?stream=false&one-shot=true`)).body) as Sample;
  assert.ok(Date.now() - started < 900, "one-shot answers at once");
  assert.equal(shot.preread, "0001-01-01T00:00:00Z");
  assert.equal(shot.precpu_stats.cpu_usage.total_usage, 0);

  const [first, second] = await streamSamples(d.socket, name, 2) as [Sample, Sample];
  assert.equal(second.preread, first.read, "each streamed sample carries the previous one");
  const gap = Date.parse(second.read) - Date.parse(first.read);
  assert.ok(gap >= 900 && gap < 3000, `samples one second apart (${gap} ms)`);

  // 40 MB written to /dev/shm (tmpfs) is charged to the container's memory cgroup.
  const before = shot.memory_stats.usage ?? 0;
  const dd = await d.docker(["exec", name, "dd", "if=/dev/zero", "of=/dev/shm/fill", "bs=1M", "count=40"]);
  assert.equal(dd.code, 0, dd.stderr);
  const after = JSON.parse((await httpCall(d.socket, "GET", `/containers/${name}/stats?stream=false&one-shot=true`)).body) as Sample;
  assert.ok((after.memory_stats.usage ?? 0) - before >= 35 * 1024 * 1024, `usage grew from ${before} to ${after.memory_stats.usage}`);

  const bad = await httpCall(d.socket, "GET", `/containers/${name}/stats?stream=true&one-shot=true`);
  assert.equal(bad.status, 400);
  const missing = await httpCall(d.socket, "GET", "/containers/no-such/stats?stream=false");
  assert.equal(missing.status, 404);
  assert.match(missing.body, /No such container: no-such/);
  assert.equal((await d.docker(["create", "--name", `${name}x`, "busybox", "true"])).code, 0);
  const stopped = JSON.parse((await httpCall(d.socket, "GET", `/containers/${name}x/stats`)).body) as Sample;
  assert.equal(stopped.read, "0001-01-01T00:00:00Z", "a container that is not running gets one zero sample");
});

test("docker stats and berth stats: columns, CPU % of a busy container, --all, --format, bad input", async (t) => {
  const d = await startDaemon(t);
  const busy = `sb${process.pid}`;
  const idle = `si${process.pid}`;
  assert.equal((await d.docker(["run", "-d", "--name", busy, "--cpus", "0.5", "busybox", "sh", "-c", "while :; do :; done"])).code, 0);
  assert.equal((await d.berth(["run", "-d", "--name", idle, "--memory", "64m", "busybox", "sleep", "1000"])).code, 0);
  assert.equal((await d.berth(["create", "--name", `${idle}c`, "busybox", "true"])).code, 0);

  const ds = await d.docker(["stats", "--no-stream"]);
  assert.equal(ds.code, 0, ds.stderr);
  const lines = ds.stdout.trimEnd().split("\n");
  assert.match(lines[0] ?? "", /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
  assert.equal(lines.length, 3, ds.stdout);
  const idleLine = lines.find((l) => l.includes(idle)) ?? "";
  assert.match(idleLine, /\s\d+(\.\d+)?[KM]iB \/ 64MiB\s+\d+\.\d\d%\s/);

  const cpu = await d.docker(["stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}} {{.PIDs}}", busy]);
  assert.equal(cpu.code, 0, cpu.stderr);
  const m = new RegExp(`^${busy} (\\d+\\.\\d\\d)% 1\\n$`).exec(cpu.stdout);
  assert.ok(m !== null, cpu.stdout);
  const pct = Number(m[1]);
  // The quota caps the loop at 50% of one CPU; other load on the machine may give it less.
  assert.ok(pct > 2 && pct < 65, `a loop limited to half a CPU shows up to about 50% (${pct})`);
  const idlePct = await d.docker(["stats", "--no-stream", "--format", "{{.CPUPerc}}", idle]);
  assert.ok(Number.parseFloat(idlePct.stdout) < 2, `a sleeping container shows about 0% (${idlePct.stdout.trim()})`);

  const bs = await d.berth(["stats", "--no-stream", "--all", "--format", "table {{.Name}}\\t{{.MemUsage}}\\t{{.PIDs}}"]);
  assert.equal(bs.code, 0, bs.stderr);
  const rows = bs.stdout.trimEnd().split("\n");
  assert.match(rows[0] ?? "", /^NAME\s+MEM USAGE \/ LIMIT\s+PIDS$/);
  assert.equal(rows.length, 4, bs.stdout);
  assert.match(bs.stdout, new RegExp(`${idle}c\\s+0B / 0B\\s+0\\n`), "a created container shows zeros with --all");
  const json = await d.berth(["stats", "--no-stream", "--format", "{{json .}}", idle]);
  const obj = JSON.parse(json.stdout) as Record<string, string>;
  assert.deepEqual(Object.keys(obj), ["BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage", "Name", "NetIO", "PIDs"]);
  assert.equal(obj.Name, idle);

  const missing = await d.berth(["stats", "--no-stream", "nope-nope"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such container: nope-nope/);
  const badFormat = await d.berth(["stats", "--no-stream", "--format", "{{.Name", idle]);
  assert.equal(badFormat.code, 1);
  assert.match(badFormat.stderr, /template parsing error/);
  assert.doesNotMatch(badFormat.stderr, /\n\s+at /, "no stack trace");
});

/**
 * Run a streaming stats command until `done(output)` holds (or 30 s), then signal it
 * (the docker CLI ignores a single SIGINT while its stats loop runs: it gets SIGKILL).
 */
function watchStats(cmd: string, args: string[], env: NodeJS.ProcessEnv, done: (out: string) => boolean, signal: NodeJS.Signals = "SIGINT"): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let stopped = false;
    const stop = () => {
      if (stopped || child.pid === undefined) return;
      stopped = true;
      process.kill(child.pid, signal);
    };
    const timer = setTimeout(stop, 30_000);
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (done(out)) stop();
    });
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ out, code });
    });
  });
}

test("streaming stats: berth redraws every second and follows a container started meanwhile; docker stats streams", async (t) => {
  const d: TestDaemon = await startDaemon(t);
  const a = `sa${process.pid}`;
  const b = `sc${process.pid}`;
  assert.equal((await d.berth(["run", "-d", "--name", a, "busybox", "sleep", "1000"])).code, 0);
  let started = false;
  const berth = await watchStats(process.execPath, [CLI_MAIN, "-H", d.host, "stats", "--format", "{{.Name}} {{.PIDs}}"], {}, (out) => {
    if (!started && out.includes(`${a} 1`)) {
      started = true;
      void d.berth(["run", "-d", "--name", b, "busybox", "sleep", "1000"]);
    }
    return out.includes(`${b} 1`);
  });
  assert.equal(berth.code, 0, "berth stats ends cleanly on SIGINT");
  const frames = berth.out.split("\x1b[2J\x1b[H").filter((f) => f !== "");
  assert.ok(frames.length >= 2, `several frames: ${JSON.stringify(berth.out)}`);
  assert.match(frames.at(-1) ?? "", new RegExp(`^${a} 1\n${b} 1\n$|^${b} 1\n${a} 1\n$`), "the last frame has both containers");
  const docker = await watchStats("docker", ["stats", "--format", "{{.Name}} {{.PIDs}}", a], { DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` },
    (out) => out.split(`${a} 1`).length > 2, "SIGKILL");
  assert.ok(docker.out.split(`${a} 1`).length > 2, `docker stats printed several samples: ${JSON.stringify(docker.out)}`);
});
