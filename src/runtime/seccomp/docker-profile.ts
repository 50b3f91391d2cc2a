/**
 * Docker's seccomp profile format (moby/profiles `seccomp.Seccomp`: `archMap`, per-rule
 * `includes`/`excludes` by capability, architecture and minimum kernel) → an OCI
 * `SeccompProfile` for one container, as moby's `setupSeccomp` does it. Also loads the
 * copy of Docker's default profile that ships with berth.
 */
import { readFileSync } from "node:fs";
import { release } from "node:os";
import { invalidArgument, internal } from "../../shared/errors.js";
import type { SeccompAction, SeccompArg, SeccompProfile, SeccompSyscall } from "./types.js";

/** A Docker profile's `includes`/`excludes` filter. */
export interface DockerSeccompFilter {
  readonly caps?: readonly string[] | null;
  readonly arches?: readonly string[] | null;
  /** "major.minor" */
  readonly minKernel?: string | null;
}

/** One rule of a Docker profile. */
export interface DockerSeccompSyscall {
  readonly names?: readonly string[] | null;
  /** Deprecated single-name form. */
  readonly name?: string;
  readonly action: SeccompAction;
  readonly errnoRet?: number;
  readonly args?: readonly SeccompArg[] | null;
  readonly comment?: string;
  readonly includes?: DockerSeccompFilter | null;
  readonly excludes?: DockerSeccompFilter | null;
}

/** An `archMap` entry: the native architecture and the ones it also runs. */
export interface DockerArchMapEntry {
  readonly architecture: string;
  readonly subArchitectures?: readonly string[] | null;
}

/** A seccomp profile in Docker's format (`docker run --security-opt seccomp=…`). */
export interface DockerSeccompProfile {
  readonly defaultAction?: SeccompAction | "";
  readonly defaultErrnoRet?: number;
  readonly architectures?: readonly string[] | null;
  readonly archMap?: readonly DockerArchMapEntry[] | null;
  readonly flags?: readonly string[] | null;
  readonly listenerPath?: string;
  readonly listenerMetadata?: string;
  readonly syscalls?: readonly DockerSeccompSyscall[] | null;
}

/** The container facts the profile's filters look at. */
export interface DockerProfileContext {
  /** The container's bounding capability set, `CAP_*` names. */
  readonly capabilities: readonly string[];
  /**
   * Node's `process.arch` of the host.
   * @default process.arch
   */
  readonly arch?: string;
  /**
   * The kernel release (`uname -r`), for `minKernel`.
   * @default os.release()
   */
  readonly kernelRelease?: string;
}

/** The capabilities Docker gives a container by default (moby `caps.DefaultCapabilities`). */
export const DOCKER_DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
  "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
];

/** Node's `process.arch` → Docker's "native" arch name (moby `goToNative` after GOARCH). */
const NODE_TO_NATIVE: Readonly<Record<string, string>> = {
  x64: "amd64",
  ia32: "x86",
  arm: "arm",
  arm64: "arm64",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
  mipsel: "mipsel",
  mips64el: "mips64el",
};

/** Docker's native arch name → `SCMP_ARCH_*` (moby `nativeToSeccomp`). */
const NATIVE_TO_SECCOMP: Readonly<Record<string, string>> = {
  x86: "SCMP_ARCH_X86",
  amd64: "SCMP_ARCH_X86_64",
  arm: "SCMP_ARCH_ARM",
  arm64: "SCMP_ARCH_AARCH64",
  mips64: "SCMP_ARCH_MIPS64",
  mips64n32: "SCMP_ARCH_MIPS64N32",
  mipsel64: "SCMP_ARCH_MIPSEL64",
  mips64el: "SCMP_ARCH_MIPSEL64",
  mipsel64n32: "SCMP_ARCH_MIPSEL64N32",
  mipsel: "SCMP_ARCH_MIPSEL",
  ppc64le: "SCMP_ARCH_PPC64LE",
  s390x: "SCMP_ARCH_S390X",
  riscv64: "SCMP_ARCH_RISCV64",
  loong64: "SCMP_ARCH_LOONGARCH64",
};

function parseKernel(text: string, field: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(text);
  if (m === null) throw invalidArgument(`translate seccomp profile: ${field} must look like "major.minor", got "${text}"`);
  return [Number(m[1]), Number(m[2])];
}

/** moby `kernelGreaterEqualThan`: compares major.minor only. */
function kernelAtLeast(current: [number, number], min: [number, number]): boolean {
  return current[0] > min[0] || (current[0] === min[0] && current[1] >= min[1]);
}

const present = <T>(v: readonly T[] | null | undefined): readonly T[] => v ?? [];

/**
 * Turns a Docker-format profile into the OCI `linux.seccomp` for a container with the given
 * bounding capabilities on this host's architecture and kernel, exactly as moby's
 * `setupSeccomp` filters it. Returns undefined when the profile has neither a default
 * action nor rules (Docker treats that as "no seccomp").
 */
export function seccompFromDockerProfile(
  profile: DockerSeccompProfile,
  ctx: Readonly<DockerProfileContext>,
): SeccompProfile | undefined {
  const syscalls = present(profile.syscalls);
  if ((profile.defaultAction ?? "") === "" && syscalls.length === 0) return undefined;
  if (profile.defaultAction === undefined || profile.defaultAction === "") {
    throw invalidArgument("translate seccomp profile: defaultAction is required when syscalls are listed");
  }
  const archMap = present(profile.archMap);
  if (present(profile.architectures).length > 0 && archMap.length > 0) {
    throw invalidArgument("translate seccomp profile: both 'architectures' and 'archMap' are specified, use either 'architectures' or 'archMap'");
  }
  const native = NODE_TO_NATIVE[ctx.arch ?? process.arch] ?? (ctx.arch ?? process.arch);
  const kernel = parseKernel(ctx.kernelRelease ?? release(), "kernel release");
  const caps = new Set(ctx.capabilities);

  const architectures = [...present(profile.architectures)];
  const seccompArch = NATIVE_TO_SECCOMP[native];
  if (seccompArch !== undefined) {
    const entry = archMap.find((a) => a.architecture === seccompArch);
    if (entry !== undefined) architectures.push(entry.architecture, ...present(entry.subArchitectures));
  }

  const out: SeccompSyscall[] = [];
  syscalls.forEach((call, i) => {
    const field = `syscalls[${i}]`;
    let names = present(call.names);
    if (call.name !== undefined && call.name !== "") {
      if (names.length > 0) {
        throw invalidArgument(`translate seccomp profile: ${field} has both 'name' and 'names', use either 'name' or 'names'`);
      }
      names = [call.name];
    }
    const ex = call.excludes ?? undefined;
    if (ex !== undefined) {
      if (present(ex.arches).includes(native)) return;
      if (present(ex.caps).some((c) => caps.has(c))) return;
      if (ex.minKernel != null && kernelAtLeast(kernel, parseKernel(ex.minKernel, `${field}.excludes.minKernel`))) return;
    }
    const inc = call.includes ?? undefined;
    if (inc !== undefined) {
      const arches = present(inc.arches);
      if (arches.length > 0 && !arches.includes(native)) return;
      if (!present(inc.caps).every((c) => caps.has(c))) return;
      if (inc.minKernel != null && !kernelAtLeast(kernel, parseKernel(inc.minKernel, `${field}.includes.minKernel`))) return;
    }
    const rule: { names: readonly string[]; action: SeccompAction; errnoRet?: number; args?: readonly SeccompArg[] } = {
      names,
      action: call.action,
    };
    if (call.errnoRet !== undefined) rule.errnoRet = call.errnoRet;
    if (call.args != null && call.args.length > 0) rule.args = call.args;
    out.push(rule);
  });

  const result: {
    -readonly [K in keyof SeccompProfile]: SeccompProfile[K];
  } = { defaultAction: profile.defaultAction, architectures, syscalls: out };
  if (profile.defaultErrnoRet !== undefined) result.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.flags != null && profile.flags.length > 0) result.flags = profile.flags;
  if (profile.listenerPath !== undefined) result.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata !== undefined) result.listenerMetadata = profile.listenerMetadata;
  return result;
}

let cachedDefault: DockerSeccompProfile | undefined;

/**
 * Docker's default seccomp profile (moby/profiles `seccomp/default.json`), read from the
 * copy beside this module's source (`src/runtime/seccomp/default-profile.json`).
 */
export function loadDefaultDockerProfile(): DockerSeccompProfile {
  if (cachedDefault !== undefined) return cachedDefault;
  // tsc does not copy JSON into dist/, so from dist/src/runtime/seccomp/ look in src/ too.
  const candidates = [
    new URL("./default-profile.json", import.meta.url),
    new URL("../../../../src/runtime/seccomp/default-profile.json", import.meta.url),
  ];
  for (const url of candidates) {
    let text: string;
    try {
      text = readFileSync(url, "utf8");
    } catch {
      continue;
    }
    cachedDefault = JSON.parse(text) as DockerSeccompProfile;
    return cachedDefault;
  }
  throw internal(`load seccomp profile: default-profile.json not found near "${new URL(".", import.meta.url).pathname}"`);
}

/** Docker's default profile translated for a container (`seccompFromDockerProfile(loadDefaultDockerProfile(), ctx)`). */
export function defaultSeccompProfile(ctx: Readonly<DockerProfileContext>): SeccompProfile {
  const p = seccompFromDockerProfile(loadDefaultDockerProfile(), ctx);
  if (p === undefined) throw internal("load seccomp profile: the default profile is empty");
  return p;
}
