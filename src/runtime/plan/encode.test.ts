// Unit tests of encodePlan()/decodePlan(): round trips, the golden bytes shared with the
// C decoder tests (native/tests/golden/), and rejection of values the wire cannot carry.
// BERTH_UPDATE_GOLDEN=1 rewrites the golden files from the plans below.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { decodePlan, encodePlan } from "./encode.js";
import { DEFAULT_BERTH_INIT } from "./executor.js";
import { OPCODE, PLAN_MAGIC, SCHEMA } from "./opcodes.js";
import type { Op, Plan } from "./plan.js";

const GOLDEN_DIR = fileURLToPath(new URL("../../../../native/tests/golden/", import.meta.url));

/** The smallest valid plan: exec only. */
const minimal: Plan = {
  joinNamespaces: [],
  cloneFlags: 0,
  uidMappings: [],
  gidMappings: [],
  cgroupProcs: [],
  execFifo: "",
  ops: [{ op: "exec", path: "/bin/true", args: ["true"], env: [] }],
};

/** Every record and op once; the C test (native/tests/unit_decode.c) checks these values. */
const full: Plan = {
  joinNamespaces: [
    { nstype: 0x10000000, path: "/proc/42/ns/user" },
    { nstype: 0x00020000, path: "/proc/42/ns/mnt" },
  ],
  cloneFlags: 0x20000000 | 0x00020000,
  uidMappings: [{ containerId: 0, hostId: 100000, size: 65536 }],
  gidMappings: [{ containerId: 0, hostId: 200000, size: 65536 }],
  cgroupProcs: ["/sys/fs/cgroup/memory/berth/c1/cgroup.procs"],
  execFifo: "/run/berth/c1/exec.fifo",
  ops: [
    { op: "unshare", flags: 0x02000000 },
    { op: "mount", source: "proc", target: "/rootfs/proc", fstype: "proc", flags: 14, data: "", optional: true },
    { op: "mkdir", path: "/rootfs/dev/pts", mode: 0o755 },
    { op: "touch", path: "/rootfs/etc/hosts", mode: 0o644 },
    { op: "symlink", target: "/proc/self/fd", path: "/rootfs/dev/fd" },
    { op: "mknod", path: "/rootfs/dev/null", mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 0 },
    { op: "bind-device", source: "/dev/zero", path: "/rootfs/dev/zero" },
    { op: "pivot-root", root: "/rootfs" },
    { op: "chroot", root: "/" },
    { op: "mask-path", path: "/proc/kcore" },
    { op: "readonly-path", path: "/proc/sys" },
    { op: "write-file", path: "/proc/sys/net/ipv4/ip_forward", data: "1" },
    { op: "sethostname", name: "héllo" },
    { op: "setdomainname", name: "example" },
    { op: "rlimit", resource: 7, soft: 1024n, hard: 0xffffffffffffffffn },
    { op: "umask", mask: 0o022 },
    { op: "open-exec-fifo", path: "/run/berth/c1/exec.fifo" },
    { op: "connect-console-socket", path: "/run/console.sock" },
    { op: "setup-console", rows: 24, cols: 80 },
    { op: "sync", phase: "createRuntime" },
    { op: "run-hook", path: "/bin/hook", args: ["hook", "a b"], env: ["X=1"], timeout: 5 },
    { op: "set-user", uid: 1000, gid: 1000, additionalGids: [10, 20, 30] },
    { op: "capabilities", bounding: 0xa80425fbn, effective: 1n, permitted: 2n, inheritable: 0n, ambient: 1n << 40n },
    { op: "no-new-privileges" },
    { op: "seccomp", filter: new Uint8Array([6, 0, 0, 0, 0, 0, 0xff, 0x7f]), flags: 1 },
    { op: "chdir", path: "/home" },
    { op: "wait-start" },
    { op: "exec", path: "sh", args: ["sh", "-c", "echo hi"], env: ["PATH=/bin", "TERM=xterm"] },
  ],
};

const GOLDEN: Record<string, Plan> = { minimal, full };

describe("encodePlan()", () => {
  for (const [name, plan] of Object.entries(GOLDEN)) {
    test(`encodePlan() produces the golden bytes of native/tests/golden/${name}.bin`, () => {
      const bytes = encodePlan(plan);
      const file = `${GOLDEN_DIR}${name}.bin`;
      if (process.env.BERTH_UPDATE_GOLDEN === "1") {
        mkdirSync(GOLDEN_DIR, { recursive: true });
        writeFileSync(file, bytes);
      }
      assert.deepEqual(bytes, readFileSync(file));
    });

    test(`decodePlan() inverts encodePlan() for the ${name} plan`, () => {
      assert.deepEqual(decodePlan(encodePlan(plan)), plan);
    });
  }

  test("encodePlan() lays out the header and the first record as documented", () => {
    const b = encodePlan(minimal);
    assert.equal(b.readUInt32LE(0), PLAN_MAGIC);
    assert.equal(b.subarray(0, 4).toString("latin1"), "BPLN");
    assert.equal(b.readUInt16LE(4), 1);
    assert.equal(b.readUInt16LE(6), 0);
    assert.equal(b.readUInt32LE(8), 2); // clone-flags + exec
    assert.equal(b.readUInt16LE(12), OPCODE["clone-flags"]);
    assert.equal(b.readUInt16LE(14), 1);
    assert.equal(b.readUInt32LE(16), 9);
    assert.equal(b.readUInt8(20), 1);
    assert.equal(b.readBigUInt64LE(21), 0n);
  });

  test("every opcode has a schema and every op of plan.ts round-trips", () => {
    for (const name of Object.keys(OPCODE)) assert.equal(typeof SCHEMA[name as keyof typeof SCHEMA], "string", name);
    const names = new Set(full.ops.map((o) => o.op));
    for (const [name, code] of Object.entries(OPCODE)) if (code >= 16) assert.ok(names.has(name as Op["op"]), name);
  });

  const bad: [string, Partial<Plan> | Op[]][] = [
    ["a negative number", [{ op: "umask", mask: -1 }]],
    ["a fraction", [{ op: "mkdir", path: "/x", mode: 1.5 }]],
    ["a 32-bit field over 2^32", [{ op: "set-user", uid: 2 ** 32, gid: 0, additionalGids: [] }]],
    ["a u64 over 2^64", [{ op: "rlimit", resource: 1, soft: 1n << 64n, hard: 0n }]],
    ["a NUL in a string", [{ op: "chdir", path: "/a\0b" }]],
    ["a NUL in an argv element", [{ op: "sethostname", name: "x" }, { op: "exec", path: "/bin/sh", args: ["a\0"], env: [] }]],
  ];
  for (const [what, ops] of bad) {
    test(`encodePlan() rejects ${what}`, () => {
      const list = ops as Op[];
      const withExec = list[list.length - 1]?.op === "exec" ? list : [...list, ...minimal.ops];
      assert.throws(() => encodePlan({ ...minimal, ops: withExec }), RangeError);
    });
  }

  test("encodePlan() rejects a plan whose last op is not exec, or with exec twice", () => {
    assert.throws(() => encodePlan({ ...minimal, ops: [{ op: "wait-start" }] }), /last op is not `exec`/);
    assert.throws(() => encodePlan({ ...minimal, ops: [...minimal.ops, ...minimal.ops] }), /is not the last op/);
    assert.throws(() => encodePlan({ ...minimal, ops: [] }), RangeError);
  });
});

describe("decodePlan()", () => {
  const good = encodePlan(full);

  test("decodePlan() rejects every truncation of a valid plan", () => {
    for (let len = 0; len < good.length; len++) {
      assert.throws(() => decodePlan(good.subarray(0, len)), RangeError, `length ${len}`);
    }
  });

  test("decodePlan() rejects trailing bytes, bad magic, version and reserved field", () => {
    assert.throws(() => decodePlan(Buffer.concat([good, Buffer.from([0])])), /trailing/);
    for (const [at, v, re] of [[0, 0x41, /magic/], [4, 2, /version/], [6, 1, /reserved/]] as const) {
      const b = Buffer.from(good);
      b.writeUInt8(v, at);
      assert.throws(() => decodePlan(b), re);
    }
  });

  test("decodePlan() either decodes or throws RangeError for mutated plans", () => {
    // Deterministic xorshift so a failure reproduces.
    let x = 0x2545f491;
    const rand = (n: number): number => {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      return x % n;
    };
    let decoded = 0;
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(good);
      for (let k = 0; k <= rand(3); k++) b[rand(b.length)] = rand(256);
      const input = rand(4) === 0 ? b.subarray(0, rand(b.length)) : b;
      try {
        const plan = decodePlan(input);
        assert.equal(plan.ops[plan.ops.length - 1]?.op, "exec");
        decoded++;
      } catch (err) {
        assert.ok(err instanceof RangeError, String(err));
      }
    }
    assert.ok(decoded > 0, "no mutation decoded: the mutations never reach past the header");
  });

  test("decodePlan() and the C decoder (berth-init --decode) accept and reject the same inputs", () => {
    let x = 0x1b873593;
    const rand = (n: number): number => {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      return x % n;
    };
    const seeds = [good, encodePlan(minimal)];
    const inputs: Buffer[] = [...seeds];
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(seeds[rand(seeds.length)] as Buffer);
      for (let k = 0; k <= rand(3); k++) b[rand(b.length)] = rand(256);
      inputs.push(rand(4) === 0 ? b.subarray(0, rand(b.length)) : b);
    }
    const framed = Buffer.concat(inputs.flatMap((b) => {
      const head = Buffer.alloc(4);
      head.writeUInt32LE(b.length);
      return [head, b];
    }));
    const r = spawnSync(DEFAULT_BERTH_INIT, ["--decode"], { input: framed, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, `run ${DEFAULT_BERTH_INIT} --decode (built by make -C native): ${String(r.error ?? r.stderr)}`);
    const lines = r.stdout.toString("utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; ops?: number });
    assert.equal(lines.length, inputs.length);
    let accepted = 0;
    inputs.forEach((input, i) => {
      let ts: number | undefined;
      let why = "";
      try {
        ts = decodePlan(input).ops.length;
      } catch (err) {
        assert.ok(err instanceof RangeError);
        why = err.message;
      }
      const c = lines[i];
      assert.equal(c?.type === "decoded" ? c.ops : undefined, ts, `input ${i}: C says ${JSON.stringify(c)}, TS says ${ts ?? `reject: ${why}`}`);
      if (ts !== undefined) accepted++;
    });
    assert.ok(accepted > seeds.length, "no mutated input was accepted by both");
  });

  test("decodePlan() rejects an unknown opcode, a wrong arg count and a wrong arg type", () => {
    const b = Buffer.from(encodePlan(minimal));
    const unknown = Buffer.from(b);
    unknown.writeUInt16LE(99, 12);
    assert.throws(() => decodePlan(unknown), /unknown opcode 99/);
    const count = Buffer.from(b);
    count.writeUInt16LE(2, 14);
    assert.throws(() => decodePlan(count), /declares 2 args/);
    const type = Buffer.from(b);
    type.writeUInt8(2, 20);
    assert.throws(() => decodePlan(type), /arg type 2/);
  });
});
