/**
 * Log drivers: json-file rotation by berth-shim (max-size/max-file) that `logs` reads across
 * the kept files in order, also while following; the `local` and `none` drivers; daemon.json
 * `log-driver`/`log-opts` defaults; bad options refused with nothing created.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { startDaemon, type TestDaemon } from "../daemon/daemon-helper.js";

async function ok(r: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const res = await r;
  assert.equal(res.code, 0, res.stderr);
  return res.stdout;
}

const LINES = "i=1; while [ $i -le 200 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done";

/** The `line-N` numbers of `logs` output. */
const nums = (out: string) => out.split("\n").filter((l) => l !== "").map((l) => Number(/^line-(\d+)-/.exec(l)?.[1] ?? "NaN"));

function consecutiveUpTo(ns: number[], last: number): void {
  assert.ok(ns.length > 0);
  assert.equal(ns.at(-1), last);
  ns.forEach((n, i) => assert.equal(n, ns[0]! + i, `entry ${i} is line ${n}`));
}

async function logFiles(d: TestDaemon, name: string): Promise<string[]> {
  const path = (await ok(d.docker(["inspect", "-f", "{{.LogPath}}", name]))).trim();
  return readdirSync(dirname(path)).filter((f) => f.startsWith(path.split("/").at(-1)!)).sort();
}

async function count(d: TestDaemon): Promise<number> {
  return (await d.docker(["ps", "-aq"])).stdout.split("\n").filter((l) => l !== "").length;
}

test("log drivers and rotation", async (t) => {
  const d = await startDaemon(t);

  await t.test("json-file max-size/max-file: the shim keeps max-file files and logs reads them all in order", async () => {
    const name = `rot-${process.pid}`;
    await ok(d.docker(["run", "--name", name, "--log-opt", "max-size=2k", "--log-opt", "max-file=3", "busybox", "sh", "-c", LINES]));
    const files = await logFiles(d, name);
    assert.equal(files.length, 3, files.join(","));
    assert.deepEqual(files.map((f) => f.replace(/^[0-9a-f]{64}/, "")), ["-json.log", "-json.log.1", "-json.log.2"]);
    const path = (await ok(d.docker(["inspect", "-f", "{{.LogPath}}", name]))).trim();
    for (const f of files) assert.ok(statSync(join(dirname(path), f)).size <= 2000, `${f} is within max-size`);
    const all = nums(await ok(d.docker(["logs", name])));
    consecutiveUpTo(all, 200);
    assert.ok(all.length > 20 && all.length < 200, `only the kept files: ${all.length} lines`);
    assert.deepEqual(nums(await ok(d.berth(["logs", name]))), all);
    const tail = nums(await ok(d.docker(["logs", "--tail", String(all.length - 3), name])));
    assert.deepEqual(tail, all.slice(3), "tail counts across the rotated files");
    assert.equal((await ok(d.docker(["inspect", "-f", "{{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config \"max-file\"}}", name]))).trim(), "json-file 3");
    await ok(d.docker(["rm", name]));
  });

  await t.test("labels, env and tag become each entry's attrs in the file; logs still reads it", async () => {
    const name = `attrs-${process.pid}`;
    await ok(d.docker(["run", "--name", name, "-l", "app=web", "-l", "other=x", "-e", "FOO=bar<&>", "--log-opt", "labels=app,missing",
      "--log-opt", "env=FOO", "--log-opt", "tag={{.Name}}/{{.ID}}", "busybox", "echo", "hello"]));
    const id = (await ok(d.docker(["inspect", "-f", "{{.Id}}", name]))).trim();
    const path = (await ok(d.docker(["inspect", "-f", "{{.LogPath}}", name]))).trim();
    const line = readFileSync(path, "utf8").trim();
    assert.match(line, /^\{"log":"hello\\n","stream":"stdout","attrs":\{"FOO":"bar\\u003c\\u0026\\u003e","app":"web","tag":"[^"]+"\},"time":"[^"]+"\}$/);
    assert.equal((JSON.parse(line) as { attrs: Record<string, string> }).attrs.tag, `${name}/${id.slice(0, 12)}`);
    assert.equal(await ok(d.berth(["logs", name])), "hello\n");
    await ok(d.docker(["rm", name]));
    const bad = await d.berth(["run", "--rm", "--log-opt", "tag={{.Bogus}}", "busybox", "true"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid log tag template/);
  });

  await t.test("logs -f follows across rotations without losing lines", async () => {
    const name = `follow-${process.pid}`;
    await ok(d.berth(["run", "-d", "--name", name, "--log-opt", "max-size=1k", "--log-opt", "max-file=50", "busybox", "sh", "-c",
      "sleep 0.5; i=1; while [ $i -le 120 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxx; i=$((i+1)); [ $((i % 10)) -eq 0 ] && sleep 0.05; done"]));
    try {
      const followed = nums(await ok(d.docker(["logs", "-f", name])));
      consecutiveUpTo(followed, 120);
      assert.equal(followed[0], 1);
      assert.ok((await logFiles(d, name)).length > 3, "it did rotate");
    } finally {
      await d.docker(["rm", "-f", name]);
    }
  });

  await t.test("local driver: a rotated store with Docker's defaults that logs reads", async () => {
    const name = `local-${process.pid}`;
    await ok(d.docker(["run", "--name", name, "--log-driver", "local", "busybox", "sh", "-c", "echo one; echo two >&2"]));
    assert.equal(await ok(d.docker(["logs", name])), "one\n");
    const path = (await ok(d.docker(["inspect", "-f", "{{.LogPath}}", name]))).trim();
    assert.match(path, /\/local-logs\/container\.log$/);
    assert.ok(existsSync(path));
    assert.equal((await ok(d.docker(["inspect", "-f", "{{.HostConfig.LogConfig.Type}}", name]))).trim(), "local");
    const small = `local-small-${process.pid}`;
    await ok(d.berth(["run", "--name", small, "--log-driver", "local", "--log-opt", "max-size=1k", "--log-opt", "max-file=2", "busybox", "sh", "-c", LINES]));
    const kept = nums(await ok(d.berth(["logs", small])));
    consecutiveUpTo(kept, 200);
    assert.ok(kept.length < 40, `two 1 KiB files: ${kept.length}`);
    await ok(d.docker(["rm", name, small]));
  });

  await t.test("none driver: no log, and logs answers Docker's error", async () => {
    const name = `none-${process.pid}`;
    assert.equal(await ok(d.docker(["run", "--name", name, "--log-driver", "none", "busybox", "echo", "attached"])), "attached\n");
    for (const cli of [d.docker.bind(d), d.berth.bind(d)]) {
      const r = await cli(["logs", name]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /configured logging driver does not support reading/);
    }
    const dir = (await ok(d.docker(["inspect", "-f", "{{.ResolvConfPath}}", name]))).trim();
    assert.deepEqual(readdirSync(dirname(dir)).filter((f) => f.includes("json.log")), []);
    await ok(d.docker(["rm", name]));
  });

  await t.test("bad log options are refused and create nothing", async () => {
    const before = await count(d);
    const cases: Array<[string[], RegExp]> = [
      [["--log-opt", "max-size=-1"], /invalid size: '-1'/],
      [["--log-opt", "max-file=0", "--log-opt", "max-size=1k"], /max-file cannot be less than 1/],
      [["--log-opt", "foo=bar"], /unknown log opt 'foo' for json-file log driver/],
      [["--log-driver", "bogus"], /no log driver named 'bogus' is registered/],
      [["--log-driver", "none", "--log-opt", "max-size=1k"], /invalid logging opts for driver none/],
      [["--log-opt", "compress=true"], /does not compress/],
    ];
    for (const [flags, msg] of cases) {
      for (const cli of [d.docker.bind(d), d.berth.bind(d)]) {
        const r = await cli(["run", "--rm", ...flags, "busybox", "true"]);
        assert.notEqual(r.code, 0, flags.join(" "));
        assert.match(r.stderr, msg);
      }
    }
    assert.equal(await count(d), before);
  });
});

test("daemon.json log-driver and log-opts are the defaults of new containers", async (t) => {
  const d = await startDaemon(t, { daemonJson: { "log-driver": "json-file", "log-opts": { "max-size": "1k", "max-file": "2" } } });
  const name = `dflt-${process.pid}`;
  await ok(d.docker(["run", "--name", name, "busybox", "sh", "-c", LINES]));
  assert.equal((await ok(d.docker(["inspect", "-f", "{{json .HostConfig.LogConfig}}", name]))).trim(), '{"Type":"json-file","Config":{"max-file":"2","max-size":"1k"}}');
  assert.equal((await logFiles(d, name)).length, 2);
  consecutiveUpTo(nums(await ok(d.docker(["logs", name]))), 200);
  const off = `off-${process.pid}`;
  await ok(d.docker(["run", "--name", off, "--log-driver", "none", "busybox", "true"]));
  assert.equal((await ok(d.docker(["inspect", "-f", "{{json .HostConfig.LogConfig}}", off]))).trim(), '{"Type":"none","Config":{}}');
});
