#!/usr/bin/env node
// Enforces the dependency direction of docs/ARCHITECTURE.md ("Layering rules") on the
// TypeScript sources: which top-level folder of src/ may import which. Deno's
// check_circular_package_dependencies is the model. Exit 1 with one line per violation.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, dirname, resolve } from "node:path";

const root = resolve(new URL("..", import.meta.url).pathname);
const src = join(root, "src");

// folder → folders it may import (besides itself). `daemon/wire.ts` is the composition root.
const allowed = {
  api: [],
  shared: [],
  fixtures: ["shared"],
  kernel: ["shared"],
  runtime: ["kernel", "shared", "fixtures"],
  store: ["kernel", "shared"],
  distribution: ["store", "api", "shared"],
  registry: ["store", "shared"],
  services: ["store", "runtime", "distribution", "kernel", "shared", "api", "fixtures"],
  daemon: ["services", "api", "shared", "store", "runtime", "kernel", "distribution", "fixtures", "registry"],
  client: ["api", "shared"],
  cli: ["client", "api", "shared"],
};
// Finer rules: these may never import node:http or the daemon.
const noHttp = ["services", "store", "runtime"];

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const problems = [];
const importRe = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
for (const file of walk(src)) {
  const rel = relative(src, file);
  const top = rel.split("/")[0];
  const isTest = /\.test\.ts$/.test(file);
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!spec) continue;
    if (noHttp.includes(top) && !isTest && /^(node:)?https?$/.test(spec)) {
      problems.push(`${rel}: ${top}/ must not import ${spec}`);
    }
    if (!spec.startsWith(".")) continue;
    const target = relative(src, resolve(dirname(file), spec));
    if (target.startsWith("..")) continue; // outside src/ (tests importing test helpers)
    const targetTop = target.split("/")[0];
    if (targetTop === top) continue;
    if (rel === "daemon/wire.ts") continue;
    const ok = allowed[top];
    if (ok === undefined) { problems.push(`${rel}: folder src/${top}/ has no layering rule`); continue; }
    if (!ok.includes(targetTop) && !(isTest && targetTop === "fixtures")) {
      problems.push(`${rel}: ${top}/ may not import ${targetTop}/ (${spec})`);
    }
  }
}
if (problems.length) {
  console.error(problems.join("\n"));
  console.error(`# layering: ${problems.length} violation(s)`);
  process.exit(1);
}
console.log("# layering: ok");
