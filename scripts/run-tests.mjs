#!/usr/bin/env node
// Runs berth's test tiers (docs/CONVENTIONS.md): native C tests, unit tests (no root),
// root tests and integration tests (root, real containers). `all` runs every tier and is
// what `npm test` and CI run. Test files are the compiled ones under dist/.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";

const tier = process.argv[2] ?? "all";
const root = new URL("..", import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;

function find(dir, pred, out = []) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, pred, out);
    else if (pred(name)) out.push(p);
  }
  return out;
}

function run(label, files, concurrency) {
  if (files.length === 0) { console.log(`# ${label}: no test files`); return 0; }
  console.log(`# ${label}: ${files.length} files`);
  const r = spawnSync(process.execPath, [
    "--enable-source-maps", "--test", `--test-concurrency=${concurrency}`, ...files,
  ], { stdio: "inherit", cwd: root, env: process.env });
  return r.status ?? 1;
}

function needRoot(label) {
  if (isRoot) return true;
  if (process.env.BERTH_TEST_ROOT === "1") {
    console.error(`# ${label}: BERTH_TEST_ROOT=1 but not running as root`);
    process.exit(1);
  }
  console.log(`# ${label}: skipped, needs root (run as root or set BERTH_TEST_ROOT=1 to require it)`);
  return false;
}

const dist = join(root, "dist");
const tiers = {
  layers: () => spawnSync(process.execPath, [join(root, "scripts/check-layers.mjs")], { stdio: "inherit" }).status ?? 1,
  native: () => {
    const a = spawnSync("make", ["-s", "-C", join(root, "native"), "test"], { stdio: "inherit" });
    const b = spawnSync("make", ["-s", "-C", join(root, "native"), "-f", "shim.mk", "test"], { stdio: "inherit" });
    return (a.status ?? 1) || (b.status ?? 1);
  },
  unit: () => run("unit", find(join(dist, "src"), (n) => n.endsWith(".test.js") && !n.endsWith(".root.test.js")),
    availableParallelism()),
  root: () => needRoot("root") ? run("root", find(join(dist, "src"), (n) => n.endsWith(".root.test.js")), 2) : 0,
  integration: () => needRoot("integration")
    ? run("integration", find(join(dist, "test", "integration"), (n) => n.endsWith(".test.js")),
      // Two files at a time: with three, the 2-core machines ran hot enough for
      // timing-dependent failures; the tier still takes about 8 minutes.
      Number(process.env.BERTH_TEST_CONCURRENCY ?? 2))
    : 0,
};

const order = tier === "all" ? ["layers", "native", "unit", "root", "integration"] : [tier];
let failed = [];
for (const t of order) {
  const fn = tiers[t];
  if (!fn) { console.error(`unknown test tier: ${t}`); process.exit(2); }
  if (fn() !== 0) failed.push(t);
}
if (failed.length) { console.error(`# failed tiers: ${failed.join(", ")}`); process.exit(1); }
