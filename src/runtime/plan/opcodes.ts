/**
 * Constants of the plan wire format, each mirrored in `native/include/plan.h` (the golden
 * files in `native/tests/golden/` are decoded by both sides, so a drift fails a test).
 *
 * Layout (little-endian): header `magic u32, version u16, reserved u16, nrecords u32`,
 * then records `opcode u16, nargs u16, len u32, args...`; an arg is `type u8` followed by
 * a u64, or by `length u32` and bytes. Lists are a u64 count followed by their elements.
 */

/** "BPLN" read as a little-endian u32. Mirror: BERTH_PLAN_MAGIC. */
export const PLAN_MAGIC = 0x4e4c5042;
/** Mirror: BERTH_PLAN_VERSION. */
export const PLAN_VERSION = 1;

/** Mirror: BERTH_PLAN_MAX_SIZE, BERTH_PLAN_MAX_RECORDS, BERTH_PLAN_MAX_LIST. */
export const PLAN_LIMITS = {
  maxSize: 16 * 1024 * 1024,
  maxRecords: 65536,
  maxList: 65536,
} as const;

/** Arg types on the wire. Mirror: the BERTH_ARG_* enum. */
export const ARG_TYPE = {
  u64: 1,
  str: 2,
  bytes: 3,
} as const;

/** Record opcodes. Mirror: `enum berth_opcode` (parent fields below 16, ops from 16). */
export const OPCODE = {
  "join-namespace": 1,
  "clone-flags": 2,
  "uid-mapping": 3,
  "gid-mapping": 4,
  "cgroup-procs": 5,
  "exec-fifo": 6,
  unshare: 16,
  mount: 17,
  mkdir: 18,
  touch: 19,
  symlink: 20,
  mknod: 21,
  "bind-device": 22,
  "pivot-root": 23,
  chroot: 24,
  "mask-path": 25,
  "readonly-path": 26,
  "write-file": 27,
  sethostname: 28,
  setdomainname: 29,
  rlimit: 30,
  umask: 31,
  "open-exec-fifo": 32,
  "connect-console-socket": 33,
  "setup-console": 34,
  sync: 35,
  "run-hook": 36,
  "set-user": 37,
  capabilities: 38,
  "no-new-privileges": 39,
  seccomp: 40,
  chdir: 41,
  "wait-start": 42,
  exec: 43,
} as const;

/** The first opcode that is a child op rather than a parent field. Mirror: BERTH_OP_FIRST. */
export const OP_FIRST = 16;

export type RecordName = keyof typeof OPCODE;

/**
 * Arg schema per record, one letter per decoded arg. Mirror: `opinfos[]` in
 * `native/plan/decode.c`. `u` u64, `i` u64 below 2^32, `s` string (no NUL), `b` bytes,
 * `S` list of strings, `I` list of 32-bit values.
 */
export const SCHEMA: Readonly<Record<RecordName, string>> = {
  "join-namespace": "is",
  "clone-flags": "i",
  "uid-mapping": "iii",
  "gid-mapping": "iii",
  "cgroup-procs": "s",
  "exec-fifo": "s",
  unshare: "i",
  mount: "sssisi",
  mkdir: "si",
  touch: "si",
  symlink: "ss",
  mknod: "siiiii",
  "bind-device": "ss",
  "pivot-root": "s",
  chroot: "s",
  "mask-path": "s",
  "readonly-path": "s",
  "write-file": "sb",
  sethostname: "s",
  setdomainname: "s",
  rlimit: "iuu",
  umask: "i",
  "open-exec-fifo": "s",
  "connect-console-socket": "s",
  "setup-console": "ii",
  sync: "s",
  "run-hook": "sSSi",
  "set-user": "iiI",
  capabilities: "uuuuu",
  "no-new-privileges": "",
  seccomp: "bi",
  chdir: "s",
  "wait-start": "",
  exec: "sSS",
};

/** Record name by opcode number. */
export const RECORD_NAME: ReadonlyMap<number, RecordName> = new Map(
  (Object.entries(OPCODE) as [RecordName, number][]).map(([name, code]) => [code, name]),
);
