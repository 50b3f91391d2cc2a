/**
 * `validateSpec()`: checks an OCI runtime `config.json` structurally (against the spec's JSON
 * schema) and semantically (what runc or the kernel would reject later, with a worse
 * message), and returns it typed. The first problem found is thrown as one line naming the
 * field: `invalid config.json: process.args must be a non-empty array of strings`.
 */
import { invalidArgument } from "../../shared/errors.js";
import { capabilityNumber } from "../capabilities.js";
import type { NamespaceType, Spec } from "./types.js";

/** RLIMIT_* names understood by Linux, with their resource numbers (asm-generic/resource.h). */
export const RLIMITS: { readonly [name: string]: number } = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

export const NAMESPACE_TYPES: readonly NamespaceType[] = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"];

const SECCOMP_ACTIONS = [
  "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
];
const SECCOMP_OPS = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];
const SECCOMP_FLAGS = [
  "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
];
const SECCOMP_ARCHES = [
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
  "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
];
const HOOK_KINDS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];
const PROPAGATIONS = ["private", "shared", "slave", "unbindable"];
const UINT32_MAX = 4294967295;

type Obj = { readonly [key: string]: unknown };

function fail(field: string, what: string): never {
  throw invalidArgument(`invalid config.json: ${field} ${what}`);
}

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function obj(v: unknown, field: string): Obj {
  if (!isObj(v)) fail(field, "must be an object");
  return v;
}

function optObj(o: Obj, key: string, field: string): Obj | undefined {
  const v = o[key];
  return v === undefined ? undefined : obj(v, field);
}

function optStr(o: Obj, key: string, field: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") fail(field, "must be a string");
  return v;
}

function optBool(o: Obj, key: string, field: string): void {
  const v = o[key];
  if (v !== undefined && typeof v !== "boolean") fail(field, "must be a boolean");
}

function int(v: unknown, field: string, min: number, max: number, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) fail(field, `must be ${what}`);
  return v;
}

/** S_IFMT bits of each OCI device type (`u` is an unbuffered character device). */
const DEVICE_TYPE_BITS: Record<string, number> = { c: 0o020000, u: 0o020000, b: 0o060000, p: 0o010000 };

function optInt(o: Obj, key: string, field: string, min: number, max: number, what: string): number | undefined {
  const v = o[key];
  return v === undefined ? undefined : int(v, field, min, max, what);
}

// uint64/int64 arrive as JS numbers; values near 2^64 are rounded, which is fine for limits.
const uint32 = (o: Obj, key: string, field: string) => optInt(o, key, field, 0, UINT32_MAX, "an unsigned 32-bit integer");
const uint64 = (o: Obj, key: string, field: string) => optInt(o, key, field, 0, 2 ** 64, "an unsigned integer");
const int64 = (o: Obj, key: string, field: string) => optInt(o, key, field, -(2 ** 63), 2 ** 63, "an integer");

function strArray(v: unknown, field: string, nonEmpty = false): readonly string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string") || (nonEmpty && v.length === 0)) {
    fail(field, nonEmpty ? "must be a non-empty array of strings" : "must be an array of strings");
  }
  return v as string[];
}

function optStrArray(o: Obj, key: string, field: string): readonly string[] | undefined {
  const v = o[key];
  return v === undefined ? undefined : strArray(v, field);
}

function arr(v: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(v)) fail(field, "must be an array");
  return v;
}

function optArr(o: Obj, key: string, field: string): readonly unknown[] | undefined {
  const v = o[key];
  return v === undefined ? undefined : arr(v, field);
}

function absPath(v: unknown, field: string): string {
  if (typeof v !== "string" || !v.startsWith("/")) fail(field, `must be an absolute path, got ${JSON.stringify(v)}`);
  return v;
}

function oneOf(v: unknown, allowed: readonly string[], field: string): string {
  if (typeof v !== "string" || !allowed.includes(v)) fail(field, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
  return v;
}

function stringMap(o: Obj, key: string, field: string): Obj | undefined {
  const m = optObj(o, key, field);
  if (m === undefined) return undefined;
  for (const [k, v] of Object.entries(m)) {
    if (k === "") fail(field, "must not have an empty key");
    if (typeof v !== "string") fail(`${field}.${k}`, "must be a string");
  }
  return m;
}

function idMappings(o: Obj, key: string, field: string): number {
  const list = optArr(o, key, field);
  if (list === undefined) return 0;
  list.forEach((m, i) => {
    const f = `${field}[${i}]`;
    const e = obj(m, f);
    for (const k of ["containerID", "hostID", "size"]) {
      if (e[k] === undefined) fail(`${f}.${k}`, "is required");
      uint32(e, k, `${f}.${k}`);
    }
    if (e["size"] === 0) fail(`${f}.size`, "must be at least 1");
  });
  return list.length;
}

function validateProcess(p: Obj): void {
  optBool(p, "terminal", "process.terminal");
  const cs = optObj(p, "consoleSize", "process.consoleSize");
  if (cs !== undefined) {
    for (const k of ["height", "width"]) {
      if (cs[k] === undefined) fail(`process.consoleSize.${k}`, "is required");
      optInt(cs, k, `process.consoleSize.${k}`, 0, 65535, "an integer from 0 to 65535");
    }
  }
  if (p["args"] === undefined) fail("process.args", "is required");
  strArray(p["args"], "process.args", true);
  const env = optStrArray(p, "env", "process.env");
  env?.forEach((e, i) => {
    if (!e.includes("=") || e.startsWith("=")) fail(`process.env[${i}]`, `must be of the form NAME=value, got ${JSON.stringify(e)}`);
  });
  if (p["cwd"] === undefined) fail("process.cwd", "is required");
  absPath(p["cwd"], "process.cwd");
  const user = obj(p["user"] ?? fail("process.user", "is required"), "process.user");
  if (user["uid"] === undefined) fail("process.user.uid", "is required");
  if (user["gid"] === undefined) fail("process.user.gid", "is required");
  uint32(user, "uid", "process.user.uid");
  uint32(user, "gid", "process.user.gid");
  optInt(user, "umask", "process.user.umask", 0, 0o7777, "an integer from 0 to 4095 (0o7777)");
  optArr(user, "additionalGids", "process.user.additionalGids")?.forEach((g, i) =>
    int(g, `process.user.additionalGids[${i}]`, 0, UINT32_MAX, "an unsigned 32-bit integer"));
  optStr(user, "username", "process.user.username");
  const caps = optObj(p, "capabilities", "process.capabilities");
  if (caps !== undefined) {
    for (const set of Object.keys(caps)) {
      if (!["bounding", "effective", "inheritable", "permitted", "ambient"].includes(set)) {
        fail(`process.capabilities.${set}`, "is not a capability set (bounding, effective, inheritable, permitted, ambient)");
      }
      strArray(caps[set], `process.capabilities.${set}`).forEach((name, i) => {
        if (capabilityNumber(name) === undefined) fail(`process.capabilities.${set}[${i}]`, `names an unknown capability ${JSON.stringify(name)}`);
      });
    }
  }
  const seen = new Set<string>();
  optArr(p, "rlimits", "process.rlimits")?.forEach((r, i) => {
    const f = `process.rlimits[${i}]`;
    const e = obj(r, f);
    const type = e["type"];
    if (typeof type !== "string" || RLIMITS[type] === undefined) fail(`${f}.type`, `must be a known RLIMIT_* name, got ${JSON.stringify(type)}`);
    if (seen.has(type)) fail(`${f}.type`, `repeats ${type}`);
    seen.add(type);
    if (e["soft"] === undefined) fail(`${f}.soft`, "is required");
    if (e["hard"] === undefined) fail(`${f}.hard`, "is required");
    const soft = uint64(e, "soft", `${f}.soft`) ?? 0;
    const hard = uint64(e, "hard", `${f}.hard`) ?? 0;
    if (soft > hard) fail(`${f}.soft`, "must not exceed hard");
  });
  optBool(p, "noNewPrivileges", "process.noNewPrivileges");
  optInt(p, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000, "an integer from -1000 to 1000");
  optStr(p, "apparmorProfile", "process.apparmorProfile");
  optStr(p, "selinuxLabel", "process.selinuxLabel");
}

function validateMounts(list: readonly unknown[]): void {
  list.forEach((m, i) => {
    const f = `mounts[${i}]`;
    const e = obj(m, f);
    if (e["destination"] === undefined) fail(`${f}.destination`, "is required");
    const dest = absPath(e["destination"], `${f}.destination`);
    if (dest.split("/").includes("..")) fail(`${f}.destination`, `must not contain "..", got ${JSON.stringify(dest)}`);
    const type = optStr(e, "type", `${f}.type`);
    const source = optStr(e, "source", `${f}.source`);
    const options = optStrArray(e, "options", `${f}.options`) ?? [];
    const bind = type === "bind" || options.includes("bind") || options.includes("rbind");
    if (bind) {
      if (source === undefined || source === "") fail(`${f}.source`, "is required for a bind mount");
    } else if (type === undefined || type === "") {
      fail(`${f}.type`, "is required for a mount that is not a bind mount");
    }
    if (e["uidMappings"] !== undefined || e["gidMappings"] !== undefined) {
      fail(`${f}.uidMappings`, "is not supported (idmapped mounts)");
    }
  });
}

function validateHooks(h: Obj): void {
  for (const kind of Object.keys(h)) {
    if (!HOOK_KINDS.includes(kind)) fail(`hooks.${kind}`, `is not a hook kind (${HOOK_KINDS.join(", ")})`);
    arr(h[kind], `hooks.${kind}`).forEach((hook, i) => {
      const f = `hooks.${kind}[${i}]`;
      const e = obj(hook, f);
      if (e["path"] === undefined) fail(`${f}.path`, "is required");
      absPath(e["path"], `${f}.path`);
      optStrArray(e, "args", `${f}.args`);
      optStrArray(e, "env", `${f}.env`);
      optInt(e, "timeout", `${f}.timeout`, 1, 2 ** 31, "a positive integer (seconds)");
    });
  }
}

// Which namespace makes a sysctl container-local (runc libcontainer/configs/validate).
function sysctlNamespace(key: string): NamespaceType | undefined {
  if (key.startsWith("net.")) return "network";
  if (key === "kernel.hostname" || key === "kernel.domainname") return "uts";
  if (["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
    "kernel.shmmni", "kernel.shm_rmid_forced"].includes(key) || key.startsWith("fs.mqueue.")) return "ipc";
  return undefined;
}

function validateResources(r: Obj): void {
  const f = "linux.resources";
  optArr(r, "devices", `${f}.devices`)?.forEach((d, i) => {
    const df = `${f}.devices[${i}]`;
    const e = obj(d, df);
    if (typeof e["allow"] !== "boolean") fail(`${df}.allow`, "must be a boolean");
    if (e["type"] !== undefined) oneOf(e["type"], ["a", "c", "b"], `${df}.type`);
    int64(e, "major", `${df}.major`);
    int64(e, "minor", `${df}.minor`);
    const access = optStr(e, "access", `${df}.access`);
    if (access !== undefined && !/^[rwm]*$/.test(access)) fail(`${df}.access`, `must contain only r, w and m, got ${JSON.stringify(access)}`);
  });
  const mem = optObj(r, "memory", `${f}.memory`);
  if (mem !== undefined) {
    for (const k of ["limit", "reservation", "swap", "kernel", "kernelTCP"]) int64(mem, k, `${f}.memory.${k}`);
    optInt(mem, "swappiness", `${f}.memory.swappiness`, 0, 100, "an integer from 0 to 100");
    for (const k of ["disableOOMKiller", "useHierarchy", "checkBeforeUpdate"]) optBool(mem, k, `${f}.memory.${k}`);
    const limit = mem["limit"] as number | undefined;
    const swap = mem["swap"] as number | undefined;
    if (limit !== undefined && swap !== undefined && limit > 0 && swap > 0 && swap < limit) {
      fail(`${f}.memory.swap`, "must be at least memory.limit (it is memory plus swap)");
    }
  }
  const cpu = optObj(r, "cpu", `${f}.cpu`);
  if (cpu !== undefined) {
    for (const k of ["shares", "period", "realtimePeriod", "burst"]) uint64(cpu, k, `${f}.cpu.${k}`);
    for (const k of ["quota", "realtimeRuntime", "idle"]) int64(cpu, k, `${f}.cpu.${k}`);
    for (const k of ["cpus", "mems"]) {
      const v = optStr(cpu, k, `${f}.cpu.${k}`);
      if (v !== undefined && !/^[0-9,\- ]*$/.test(v)) fail(`${f}.cpu.${k}`, `must be a list like "0-2,4", got ${JSON.stringify(v)}`);
    }
  }
  const pids = optObj(r, "pids", `${f}.pids`);
  if (pids !== undefined) {
    if (pids["limit"] === undefined) fail(`${f}.pids.limit`, "is required");
    int64(pids, "limit", `${f}.pids.limit`);
  }
  const bio = optObj(r, "blockIO", `${f}.blockIO`);
  if (bio !== undefined) {
    for (const k of ["weight", "leafWeight"]) optInt(bio, k, `${f}.blockIO.${k}`, 0, 65535, "an integer from 0 to 65535");
    for (const k of ["weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice", "throttleWriteIOPSDevice"]) {
      optArr(bio, k, `${f}.blockIO.${k}`)?.forEach((d, i) => {
        const df = `${f}.blockIO.${k}[${i}]`;
        const e = obj(d, df);
        for (const n of ["major", "minor"]) {
          if (e[n] === undefined) fail(`${df}.${n}`, "is required");
          int64(e, n, `${df}.${n}`);
        }
        if (k !== "weightDevice") {
          if (e["rate"] === undefined) fail(`${df}.rate`, "is required");
          uint64(e, "rate", `${df}.rate`);
        }
      });
    }
  }
  optArr(r, "hugepageLimits", `${f}.hugepageLimits`)?.forEach((h, i) => {
    const e = obj(h, `${f}.hugepageLimits[${i}]`);
    const size = e["pageSize"];
    if (typeof size !== "string" || !/^[1-9][0-9]*[KMG]B$/.test(size)) fail(`${f}.hugepageLimits[${i}].pageSize`, "must look like \"2MB\"");
    uint64(e, "limit", `${f}.hugepageLimits[${i}].limit`);
  });
  stringMap(r, "unified", `${f}.unified`);
}

function validateSeccomp(s: Obj): void {
  const f = "linux.seccomp";
  oneOf(s["defaultAction"], SECCOMP_ACTIONS, `${f}.defaultAction`);
  uint32(s, "defaultErrnoRet", `${f}.defaultErrnoRet`);
  optArr(s, "architectures", `${f}.architectures`)?.forEach((a, i) => oneOf(a, SECCOMP_ARCHES, `${f}.architectures[${i}]`));
  optArr(s, "flags", `${f}.flags`)?.forEach((a, i) => oneOf(a, SECCOMP_FLAGS, `${f}.flags[${i}]`));
  if (optStr(s, "listenerPath", `${f}.listenerPath`) !== undefined) fail(`${f}.listenerPath`, "is not supported (seccomp notify)");
  optArr(s, "syscalls", `${f}.syscalls`)?.forEach((sc, i) => {
    const sf = `${f}.syscalls[${i}]`;
    const e = obj(sc, sf);
    strArray(e["names"], `${sf}.names`, true);
    const action = oneOf(e["action"], SECCOMP_ACTIONS, `${sf}.action`);
    if (action === "SCMP_ACT_NOTIFY") fail(`${sf}.action`, "SCMP_ACT_NOTIFY is not supported");
    uint32(e, "errnoRet", `${sf}.errnoRet`);
    optArr(e, "args", `${sf}.args`)?.forEach((a, j) => {
      const af = `${sf}.args[${j}]`;
      const ae = obj(a, af);
      if (ae["index"] === undefined) fail(`${af}.index`, "is required");
      optInt(ae, "index", `${af}.index`, 0, 5, "an integer from 0 to 5");
      if (ae["value"] === undefined) fail(`${af}.value`, "is required");
      uint64(ae, "value", `${af}.value`);
      uint64(ae, "valueTwo", `${af}.valueTwo`);
      oneOf(ae["op"], SECCOMP_OPS, `${af}.op`);
    });
  });
  if (s["defaultAction"] === "SCMP_ACT_NOTIFY") fail(`${f}.defaultAction`, "SCMP_ACT_NOTIFY is not supported");
}

function validateLinux(l: Obj, spec: Obj): void {
  const nsTypes = new Set<string>();
  optArr(l, "namespaces", "linux.namespaces")?.forEach((n, i) => {
    const f = `linux.namespaces[${i}]`;
    const e = obj(n, f);
    const type = oneOf(e["type"], NAMESPACE_TYPES, `${f}.type`);
    if (nsTypes.has(type)) fail(`${f}.type`, `repeats the namespace ${JSON.stringify(type)}`);
    nsTypes.add(type);
    if (e["path"] !== undefined) absPath(e["path"], `${f}.path`);
    if (type === "time") fail(`${f}.type`, "time namespaces are not supported");
  });
  const uidMaps = idMappings(l, "uidMappings", "linux.uidMappings");
  const gidMaps = idMappings(l, "gidMappings", "linux.gidMappings");
  const userNs = (l["namespaces"] as Obj[] | undefined)?.find((n) => n["type"] === "user");
  if ((uidMaps > 0 || gidMaps > 0) && userNs === undefined) {
    fail(uidMaps > 0 ? "linux.uidMappings" : "linux.gidMappings", "needs a user namespace in linux.namespaces");
  }
  if (userNs !== undefined && userNs["path"] === undefined && (uidMaps === 0 || gidMaps === 0)) {
    fail(uidMaps === 0 ? "linux.uidMappings" : "linux.gidMappings", "must be set for a new user namespace");
  }
  if (userNs !== undefined && userNs["path"] !== undefined && (uidMaps > 0 || gidMaps > 0)) {
    fail("linux.uidMappings", "must not be set when joining an existing user namespace");
  }
  optArr(l, "devices", "linux.devices")?.forEach((d, i) => {
    const f = `linux.devices[${i}]`;
    const e = obj(d, f);
    const type = oneOf(e["type"], ["c", "b", "u", "p"], `${f}.type`);
    if (e["path"] === undefined) fail(`${f}.path`, "is required");
    const path = absPath(e["path"], `${f}.path`);
    if (!path.startsWith("/dev/")) fail(`${f}.path`, `must be under /dev, got ${JSON.stringify(path)}`);
    for (const k of ["major", "minor"]) {
      if (type !== "p" && e[k] === undefined) fail(`${f}.${k}`, `is required for a device of type ${JSON.stringify(type)}`);
      optInt(e, k, `${f}.${k}`, 0, UINT32_MAX, "a non-negative integer");
    }
    // podman (like runc's own spec tooling) sends the file-type bits too (0o20666 for a
    // character device); accept them when they agree with `type`.
    const mode = optInt(e, "fileMode", `${f}.fileMode`, 0, 0o177777, "an integer from 0 to 65535 (0o177777)");
    const typeBits = mode === undefined ? 0 : mode & 0o170000;
    if (typeBits !== 0 && typeBits !== DEVICE_TYPE_BITS[type]) {
      fail(`${f}.fileMode`, `file type bits 0o${typeBits.toString(8)} do not match type ${JSON.stringify(type)}`);
    }
    uint32(e, "uid", `${f}.uid`);
    uint32(e, "gid", `${f}.gid`);
  });
  optStr(l, "cgroupsPath", "linux.cgroupsPath");
  const res = optObj(l, "resources", "linux.resources");
  if (res !== undefined) validateResources(res);
  if (l["rootfsPropagation"] !== undefined) oneOf(l["rootfsPropagation"], PROPAGATIONS, "linux.rootfsPropagation");
  const sc = optObj(l, "seccomp", "linux.seccomp");
  if (sc !== undefined) validateSeccomp(sc);
  const sysctl = stringMap(l, "sysctl", "linux.sysctl");
  for (const key of Object.keys(sysctl ?? {})) {
    const ns = sysctlNamespace(key);
    if (ns === undefined) fail(`linux.sysctl.${key}`, "is not namespaced and cannot be set in a container");
    if (!nsTypes.has(ns)) fail(`linux.sysctl.${key}`, `needs a ${ns} namespace in linux.namespaces`);
    if (ns === "uts" && (spec["hostname"] !== undefined || spec["domainname"] !== undefined)) {
      fail(`linux.sysctl.${key}`, "conflicts with hostname/domainname");
    }
  }
  for (const k of ["maskedPaths", "readonlyPaths"]) {
    optStrArray(l, k, `linux.${k}`)?.forEach((p, i) => absPath(p, `linux.${k}[${i}]`));
  }
  optStr(l, "mountLabel", "linux.mountLabel");
}

/**
 * Validate a parsed `config.json` and return it typed. Throws a BerthError of kind
 * "invalid-argument" whose message names the first bad field.
 */
export function validateSpec(json: unknown): Spec {
  const spec = obj(json, "the document");
  const version = spec["ociVersion"];
  if (typeof version !== "string") fail("ociVersion", "must be a string");
  if (!/^1\.\d+\.\d+(-[0-9A-Za-z.\-+]*)?$/.test(version)) fail("ociVersion", `must be a 1.x version, got ${JSON.stringify(version)}`);
  const root = obj(spec["root"] ?? fail("root", "is required"), "root");
  const rootPath = root["path"];
  if (typeof rootPath !== "string" || rootPath === "") fail("root.path", "must be a non-empty string");
  optBool(root, "readonly", "root.readonly");
  const proc = optObj(spec, "process", "process");
  if (proc !== undefined) validateProcess(proc);
  const hostname = optStr(spec, "hostname", "hostname");
  const domainname = optStr(spec, "domainname", "domainname");
  const mounts = optArr(spec, "mounts", "mounts");
  if (mounts !== undefined) validateMounts(mounts);
  const hooks = optObj(spec, "hooks", "hooks");
  if (hooks !== undefined) validateHooks(hooks);
  stringMap(spec, "annotations", "annotations");
  const linux = optObj(spec, "linux", "linux");
  if (linux !== undefined) validateLinux(linux, spec);
  const namespaces = (linux?.["namespaces"] as Obj[] | undefined) ?? [];
  const hasUts = namespaces.some((n) => n["type"] === "uts");
  if (hostname !== undefined && hostname !== "" && !hasUts) fail("hostname", "needs a uts namespace in linux.namespaces");
  if (domainname !== undefined && domainname !== "" && !hasUts) fail("domainname", "needs a uts namespace in linux.namespaces");
  // Mounts and path changes need a mount namespace of the container's own.
  const ownMountNs = namespaces.some((n) => n["type"] === "mount" && n["path"] === undefined);
  if (!ownMountNs) {
    const why = "needs a new mount namespace in linux.namespaces";
    if (linux?.["rootfsPropagation"] !== undefined) fail("linux.rootfsPropagation", why);
    if ((mounts?.length ?? 0) > 0) fail("mounts", why);
    if (((linux?.["maskedPaths"] as unknown[] | undefined)?.length ?? 0) > 0) fail("linux.maskedPaths", why);
    if (((linux?.["readonlyPaths"] as unknown[] | undefined)?.length ?? 0) > 0) fail("linux.readonlyPaths", why);
    if (root["readonly"] === true) fail("root.readonly", why);
  }
  return spec as unknown as Spec;
}

/** Parse and validate the text of a `config.json`. */
export function parseSpec(text: string): Spec {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`invalid config.json: ${(err as Error).message}`);
  }
  return validateSpec(json);
}
