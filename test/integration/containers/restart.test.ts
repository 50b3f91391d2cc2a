/**
 * Restart policies through the docker CLI and berth: a restart loop with moby's backoff,
 * on-failure:N, stop ending a loop, `always`/`unless-stopped` after a daemon restart (clean
 * stop, and kill -9 of the daemon with the container's process killed meanwhile), bad input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { httpCall, spawnDaemon, startDaemon, type TestDaemon } from "../daemon/daemon-helper.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
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

async function waitPing(socket: string): Promise<void> {
  await until("ping", async () => {
    try {
      return (await httpCall(socket, "GET", "/_ping")).status === 200 ? true : undefined;
    } catch {
      return undefined;
    }
  }, 60_000);
}

test("restart policies: backoff loop, on-failure:N, stop ends the loop, bad input creates nothing", async (t) => {
  const d = await startDaemon(t);
  const since = String(Math.floor(Date.now() / 1000) - 1);

  await t.test("always: RestartCount grows with doubling delays, ps shows Restarting, stop ends it", async () => {
    const run = await d.docker(["run", "-d", "--name", "loop", "--restart", "always", "busybox", "sh", "-c", "echo round; exit 3"]);
    assert.equal(run.code, 0, run.stderr);
    // Rounds start at about 0, +100, +300, +700, +1500 ms (plus the runs themselves).
    // Generous bound: each round is also a container start, slow on a loaded machine.
    await until("3 restarts", async () => (Number(await inspect(d, "loop", "{{.RestartCount}}")) >= 3 ? true : undefined), 60_000);
    const ps = await until("ps shows Restarting", async () => {
      const s = (await d.docker(["ps", "--filter", "name=loop", "--format", "{{.Status}}"])).stdout.trim();
      return s.startsWith("Restarting (3)") ? s : undefined;
    }, 30_000);
    assert.match(ps, /^Restarting \(3\) .* ago$/);
    // Inspect sees the same state between two rounds (the next round may have begun since
    // ps answered: the wait grows, so a later gap is caught).
    await until("inspect shows restarting", async () =>
      (await inspect(d, "loop", "{{.State.Status}} {{.State.Restarting}} {{.State.Running}} {{.State.ExitCode}}")) === "restarting true true 3" ? true : undefined, 30_000);
    const stop = await d.docker(["stop", "loop"]);
    assert.equal(stop.code, 0, stop.stderr);
    const count = await inspect(d, "loop", "{{.RestartCount}}");
    assert.equal(await inspect(d, "loop", "{{.State.Status}} {{.State.Restarting}} {{.State.Running}}"), "exited false false");
    await sleep(1500);
    assert.equal(await inspect(d, "loop", "{{.RestartCount}} {{.State.Status}}"), `${count} exited`, "no restart after stop");
    // Every round wrote to the same log (the stop may catch the last one before its echo).
    const rounds = (await d.docker(["logs", "loop"])).stdout.split("\n").filter((l) => l === "round").length;
    assert.ok(rounds === Number(count) + 1 || rounds === Number(count), `${rounds} rounds logged, RestartCount ${count}`);
    // The events: die/start each round, each start at least the backoff delay after the
    // previous die (100, 200, 400, 800 ms; the save between them makes up to a few ms less).
    const evs = await d.docker(["events", "--since", since, "--until", String(Math.ceil(Date.now() / 1000)), "--filter", "container=loop",
      "--filter", "event=start", "--filter", "event=die", "--format", "{{.Action}} {{.TimeNano}} {{.Actor.Attributes.exitCode}}"]);
    const lines = evs.stdout.trim().split("\n").map((l) => l.split(" "));
    const starts = lines.filter((l) => l[0] === "start").map((l) => Number(BigInt(l[1] as string) / 1_000_000n));
    const dies = lines.filter((l) => l[0] === "die");
    // A stop during a restart's wait ends the loop after RestartCount grew for it.
    assert.ok(starts.length === Number(count) || starts.length === Number(count) + 1, evs.stdout);
    assert.ok(dies.every((l) => l[2] === "3"), evs.stdout);
    assert.ok(dies.length >= Number(count), evs.stdout);
    assert.ok(starts.length >= 3, evs.stdout);
    for (const [i, want] of [100, 200, 400, 800].entries()) {
      if (starts[i + 1] === undefined) break;
      const died = Number(BigInt(dies[i]?.[1] ?? "0") / 1_000_000n);
      const gap = (starts[i + 1] as number) - died;
      assert.ok(gap >= want - 50 && gap < want + 5000, `round ${i + 1}: start ${gap} ms after the die (${evs.stdout})`);
    }
    // An API start begins a fresh loop from 0 (the container exits at once and may already
    // have been restarted once, 100 ms later, by the time inspect answers; without the
    // reset the count would be above the ${count} >= 3 of the stopped loop).
    assert.equal((await d.docker(["start", "loop"])).code, 0);
    const fresh = Number(await inspect(d, "loop", "{{.RestartCount}}"));
    assert.ok(fresh <= 1, `RestartCount ${fresh} after a new start (was ${count})`);
    assert.equal((await d.docker(["rm", "-f", "loop"])).code, 0);
    await sleep(300);
    assert.equal((await d.docker(["ps", "-aq", "--filter", "name=loop"])).stdout, "");
  });

  await t.test("berth: on-failure:2 restarts twice then stays exited; a zero exit is not restarted", async () => {
    const run = await d.berth(["run", "-d", "--name", "twice", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 5"]);
    assert.equal(run.code, 0, run.stderr);
    await until("on-failure to give up", async () => ((await inspect(d, "twice", "{{.State.Status}} {{.RestartCount}}")) === "exited 2" ? true : undefined));
    await sleep(800);
    assert.equal(await inspect(d, "twice", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}"), "exited 2 5");
    assert.equal(await inspect(d, "twice", "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}"), "on-failure:2");
    const ok = await d.berth(["run", "-d", "--name", "fine", "--restart", "on-failure", "busybox", "true"]);
    assert.equal(ok.code, 0, ok.stderr);
    await until("exit", async () => ((await inspect(d, "fine", "{{.State.Status}}")) === "exited" ? true : undefined));
    await sleep(500);
    assert.equal(await inspect(d, "fine", "{{.State.Status}} {{.RestartCount}}"), "exited 0");
    const ps = (await d.berth(["ps", "-a", "--filter", "name=twice"])).stdout;
    assert.match(ps, /Exited \(5\)/);
    assert.equal((await d.berth(["rm", "twice", "fine"])).code, 0);
  });

  await t.test("bad input: clear errors, nothing created", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["--restart", "sometimes"], /invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'/],
      [["--restart", "on-failure:-1"], /invalid restart policy: maximum retry count cannot be negative/],
      [["--restart", "always:3"], /invalid restart policy: maximum retry count can only be used with 'on-failure'/],
      [["--restart", "on-failure:x"], /invalid restart policy format: maximum retry count must be an integer/],
      [["--rm", "--restart", "always"], /conflicting options: cannot specify both --restart and --rm/],
    ];
    for (const [flags, re] of cases) {
      for (const cli of ["docker", "berth"] as const) {
        const r = await d[cli](["run", "-d", "--name", `bad${process.pid}`, ...flags, "busybox", "true"]);
        assert.notEqual(r.code, 0, `${cli} ${flags.join(" ")}`);
        assert.match(r.stderr, re, `${cli} ${flags.join(" ")}`);
      }
    }
    // The daemon refuses --rm with a policy by itself (a client that does not check).
    const api = await httpCall(d.socket, "POST", "/v1.45/containers/create", JSON.stringify({
      Image: "busybox", Cmd: ["true"], HostConfig: { AutoRemove: true, RestartPolicy: { Name: "unless-stopped" } },
    }));
    assert.equal(api.status, 400);
    assert.equal(JSON.parse(api.body).message, "can't create 'AutoRemove' container with restart policy");
    assert.equal((await d.docker(["ps", "-aq", "--filter", `name=bad${process.pid}`])).stdout, "");
    assert.equal((await d.docker(["ps", "-aq", "--filter", "status=created"])).stdout, "");
  });
});

test("always and unless-stopped after daemon restarts: clean stop, and kill -9 with the container killed meanwhile", async (t) => {
  const d = await startDaemon(t);
  for (const [name, policy] of [["al", "always"], ["us", "unless-stopped"], ["usx", "unless-stopped"], ["nop", "no"]]) {
    const r = await d.docker(["run", "-d", "--name", name as string, "--restart", policy as string, "busybox", "sleep", "1000"]);
    assert.equal(r.code, 0, r.stderr);
  }
  assert.equal((await d.docker(["stop", "-t", "0", "usx"])).code, 0);
  // A clean daemon stop kills the containers; the next start brings back always and
  // unless-stopped, not the one stopped by hand nor the one without a policy.
  await d.stop();
  const again = spawnDaemon(d.dir, d.dataRoot, d.socket);
  let current = again;
  // Stopped here, before the helper's own cleanup removes the data root.
  try {
    await afterRestart();
  } finally {
    if (current.exitCode === null && current.signalCode === null) {
      current.kill("SIGTERM");
      await new Promise((r) => current.once("exit", r));
    }
  }

  async function afterRestart(): Promise<void> {
    await waitPing(d.socket);
    const states = async () => (await d.docker(["inspect", "-f", "{{.Name}} {{.State.Status}}", "al", "us", "usx", "nop"])).stdout;
    await until("policies applied at start", async () => ((await states()) === "/al running\n/us running\n/usx exited\n/nop exited\n" ? true : undefined));
    assert.equal(await inspect(d, "usx", "{{.State.ExitCode}}"), "137");

    // kill -9 of the daemon, then the container's process dies while no daemon runs.
    const pid = Number(await inspect(d, "al", "{{.State.Pid}}"));
    const usPid = Number(await inspect(d, "us", "{{.State.Pid}}"));
    assert.ok(pid > 0);
    again.kill("SIGKILL");
    await new Promise((r) => again.once("exit", r));
    process.kill(pid, "SIGKILL");
    await sleep(300);
    const third = spawnDaemon(d.dir, d.dataRoot, d.socket);
    current = third;
    await waitPing(d.socket);
    await until("always back after its process died", async () => {
      const s = await inspect(d, "al", "{{.State.Status}} {{.State.Pid}}");
      return s.startsWith("running ") && s !== `running ${pid}` ? true : undefined;
    });
    // The one that kept running through the daemon's death is the same process.
    assert.equal(await inspect(d, "us", "{{.State.Status}} {{.State.Pid}}"), `running ${usPid}`);
    assert.equal((await d.docker(["exec", "al", "echo", "ok"])).stdout, "ok\n");
    assert.equal((await d.docker(["rm", "-f", "al", "us", "usx", "nop"])).code, 0);
  }
});
