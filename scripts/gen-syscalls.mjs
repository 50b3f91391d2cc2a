#!/usr/bin/env node
// Generates src/runtime/seccomp/syscall-tables.ts (syscall name → number for each ABI the
// seccomp compiler supports) from the kernel's UAPI headers, so the build itself never
// needs the headers. Run it on a Debian/Ubuntu x86_64 machine with gcc, linux-libc-dev and
// linux-libc-dev-armhf-cross (for 32-bit ARM):
//   node scripts/gen-syscalls.mjs
// x86_64, x32 and i386 come from asm/unistd_{64,x32,32}.h. aarch64 uses the generic table
// (asm-generic/unistd.h) with the __ARCH_WANT_* switches that
// arch/arm64/include/uapi/asm/unistd.h sets. 32-bit ARM (EABI) comes from the armhf cross
// headers, including the ARM-private __ARM_NR_* calls (breakpoint, cacheflush, set_tls, …).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const out = join(root, "src", "runtime", "seccomp", "syscall-tables.ts");

/** The `#define`s gcc sees after preprocessing `source`. */
function macros(source, cflags = []) {
  const text = execFileSync("gcc", ["-E", "-dM", ...cflags, "-x", "c", "-"], { input: source, encoding: "utf8" });
  const defs = new Map();
  for (const line of text.split("\n")) {
    const m = /^#define (\w+) (.*)$/.exec(line);
    if (m) defs.set(m[1], m[2].trim());
  }
  return defs;
}

/** Evaluates a macro body made of numbers, macro names, `+`, `-` and parentheses. */
function evaluate(defs, body, depth = 0) {
  if (depth > 16) throw new Error(`macro nesting too deep: ${body}`);
  const expr = body.replace(/\b[A-Za-z_]\w*\b/g, (name) => {
    const inner = defs.get(name);
    if (inner === undefined) throw new Error(`undefined macro ${name} in ${body}`);
    return `(${evaluate(defs, inner, depth + 1)})`;
  });
  if (!/^[\s\d+\-()xXa-fA-F]*$/.test(expr)) throw new Error(`unexpected macro body: ${body}`);
  return Number(Function(`"use strict"; return (${expr});`)());
}

/** Macros that look like syscall numbers but are not syscalls. */
const NOT_SYSCALLS = new Set(["syscalls", "arch_specific_syscall", "SYSCALL_BASE", "OABI_SYSCALL_BASE", "SYSCALL_MASK", "BASE"]);

/** name → number for every `__NR_<name>` (and ARM's `__ARM_NR_<name>`) that is a real syscall. */
function table(source, cflags) {
  const defs = macros(source, cflags);
  const entries = [];
  for (const [name, body] of defs) {
    const m = /^__(?:ARM_)?NR_(.+)$/.exec(name);
    if (m === null) continue;
    const sys = m[1];
    if (NOT_SYSCALLS.has(sys)) continue;
    const nr = evaluate(defs, body);
    if (!Number.isInteger(nr) || nr < 0) throw new Error(`bad syscall number for ${sys}: ${body}`);
    entries.push([sys, nr]);
  }
  entries.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  return entries;
}

const abis = [
  { id: "X86_64", source: "#include <asm/unistd_64.h>\n", what: "x86_64 (asm/unistd_64.h)" },
  { id: "X32", source: "#define __X32_SYSCALL_BIT 0x40000000 /* asm/unistd.h */\n#include <asm/unistd_x32.h>\n", what: "x32 (asm/unistd_x32.h; numbers include __X32_SYSCALL_BIT)" },
  { id: "I386", source: "#include <asm/unistd_32.h>\n", what: "i386 (asm/unistd_32.h)" },
  {
    id: "AARCH64",
    source: [
      "#define __ARCH_WANT_RENAMEAT",
      "#define __ARCH_WANT_NEW_STAT",
      "#define __ARCH_WANT_SET_GET_RLIMIT",
      "#define __ARCH_WANT_TIME32_SYSCALLS",
      "#define __ARCH_WANT_SYS_CLONE3",
      "#define __ARCH_WANT_MEMFD_SECRET",
      "#include <asm-generic/unistd.h>",
      "",
    ].join("\n"),
    what: "aarch64 (asm-generic/unistd.h with arm64's __ARCH_WANT_* switches)",
  },
  {
    id: "ARM",
    source: "#include <asm/unistd.h>\n",
    cflags: ["-nostdinc", "-I/usr/arm-linux-gnueabihf/include", "-D__ARM_EABI__"],
    what: "32-bit ARM EABI (armhf asm/unistd.h, with the __ARM_NR_* private calls)",
  },
];

// Syscalls newer than the installed headers (linux-libc-dev here is 6.1, the kernel is newer).
// Since Linux 5.1 new syscalls get the same number on every architecture (x32 adds
// __X32_SYSCALL_BIT), so they are listed once; the few that exist only on some ABIs say so.
// Source: the kernel's syscall tables (arch/x86/entry/syscalls/*.tbl, scripts/syscall.tbl).
const X32_BIT = 0x40000000;
const newer = [
  ["cachestat", 451], ["fchmodat2", 452], ["futex_wake", 454], ["futex_wait", 455],
  ["futex_requeue", 456], ["statmount", 457], ["listmount", 458], ["lsm_get_self_attr", 459],
  ["lsm_set_self_attr", 460], ["lsm_list_modules", 461], ["mseal", 462], ["setxattrat", 463],
  ["getxattrat", 464], ["listxattrat", 465], ["removexattrat", 466], ["open_tree_attr", 467],
  ["file_getattr", 468], ["file_setattr", 469],
];
const shadowStack = ["map_shadow_stack", 453]; // every table but x32's
const newerOnly = {
  X86_64: [["uretprobe", 335], shadowStack],
  I386: [shadowStack],
  AARCH64: [shadowStack],
  ARM: [shadowStack],
};
function withNewer(id, entries) {
  const have = new Set(entries.map(([n]) => n));
  const add = [...newer, ...(newerOnly[id] ?? [])]
    .filter(([n]) => !have.has(n))
    .map(([n, nr]) => [n, id === "X32" ? nr + X32_BIT : nr]);
  return [...entries, ...add].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
}

const version = execFileSync("dpkg-query", ["-W", "-f", "${Version}", "linux-libc-dev"], { encoding: "utf8" }).trim();
let ts = `// GENERATED by scripts/gen-syscalls.mjs from linux-libc-dev ${version}. Do not edit.\n`;
ts += "// Syscall name → number for each ABI the seccomp compiler knows.\n\n";
for (const abi of abis) {
  const entries = withNewer(abi.id, table(abi.source, abi.cflags ?? []));
  ts += `/** ${abi.what}: ${entries.length} syscalls. */\n`;
  ts += `export const ${abi.id}_SYSCALLS: ReadonlyMap<string, number> = new Map([\n`;
  for (const [name, nr] of entries) ts += `  ["${name}", ${nr}],\n`;
  ts += "]);\n\n";
}
writeFileSync(out, ts.trimEnd() + "\n");
console.log(`wrote ${out}`);
