import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { loadConfig } from "./config.js";
import { lockDataRoot } from "./data-root-lock.js";

const noFile = async () => { throw Object.assign(new Error("missing"), { code: "ENOENT" }); };

test("loadConfig() uses dockerd-like defaults without a config file", async () => {
  const c = await loadConfig({}, noFile);
  assert.deepEqual(c, {
    dataRoot: "/var/lib/berth", execRoot: "/run/berth", hosts: ["unix:///run/berth/berth.sock"],
    logLevel: "info", pidfile: undefined, configFile: "/etc/berth/daemon.json",
    insecureRegistries: [], registryMirrors: [],
    network: { bridge: "berth0", bip: undefined, defaultAddressPools: undefined, ipForward: true, ipMasq: true, iptables: true, nftTable: "berth" },
  });
});

test("loadConfig() reads daemon.json keys and lets flags fill the rest", async () => {
  const c = await loadConfig({ pidfile: "/p" }, async () => JSON.stringify({ "data-root": "/d", hosts: ["unix:///a", "tcp://127.0.0.1:1"], "log-level": "debug", "unknown-key": 1 }));
  assert.equal(c.dataRoot, "/d");
  assert.deepEqual(c.hosts, ["unix:///a", "tcp://127.0.0.1:1"]);
  assert.equal(c.logLevel, "debug");
  assert.equal(c.pidfile, "/p");
});

test("loadConfig() refuses a directive given as flag and in the file, bad JSON and a missing explicit file", async () => {
  await assert.rejects(loadConfig({ dataRoot: "/x" }, async () => '{"data-root":"/y"}'), /specified both as a flag and in the configuration file: data-root/);
  await assert.rejects(loadConfig({}, async () => "{bad"), /read config file/);
  await assert.rejects(loadConfig({ configFile: "/nope.json" }, noFile), /missing/);
  await assert.rejects(loadConfig({ logLevel: "loud" }, noFile), /invalid log level "loud"/);
});

test("lockDataRoot() refuses a live owner and takes over a stale lock", async (t) => {
  const d = await mkdtemp(join(tmpdir(), "berth-lock-"));
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
  t.after(async () => {
    child.kill("SIGKILL");
    await rm(d, { recursive: true, force: true });
  });
  await writeFile(join(d, "berthd.lock"), `${child.pid}\n`);
  await assert.rejects(lockDataRoot(d), new RegExp(`another berthd \\(pid ${child.pid}\\) is already using the data root`));
  await writeFile(join(d, "berthd.lock"), "999999999\n");
  const lock = await lockDataRoot(d);
  assert.equal((await readFile(join(d, "berthd.lock"), "utf8")).trim(), String(process.pid));
  await lock.release();
  await assert.rejects(readFile(join(d, "berthd.lock")));
});

test("loadConfig() reads insecure-registries and registry-mirrors from daemon.json or flags", async () => {
  const c = await loadConfig({}, async () => JSON.stringify({
    "insecure-registries": ["registry.local:5000", "10.0.0.0/8"], "registry-mirrors": ["http://127.0.0.1:5000/"],
  }));
  assert.deepEqual(c.insecureRegistries, ["registry.local:5000", "10.0.0.0/8"]);
  assert.deepEqual(c.registryMirrors, ["http://127.0.0.1:5000"]);
  const f = await loadConfig({ insecureRegistry: ["a:1"], registryMirror: ["https://m.example"] }, noFile);
  assert.deepEqual([f.insecureRegistries, f.registryMirrors], [["a:1"], ["https://m.example"]]);
  await assert.rejects(loadConfig({ registryMirror: ["ftp://m"] }, noFile), /invalid mirror: unsupported scheme "ftp"/);
  await assert.rejects(loadConfig({ registryMirror: ["http://m/v2"] }, noFile), /invalid mirror: path, query, or fragment/);
  await assert.rejects(loadConfig({}, async () => '{"registry-mirrors":"http://m"}'), /"registry-mirrors" must be a list of strings/);
  await assert.rejects(loadConfig({ insecureRegistry: ["x"] }, async () => '{"insecure-registries":["y"]}'), /specified both as a flag and in the configuration file: insecure-registries/);
});
