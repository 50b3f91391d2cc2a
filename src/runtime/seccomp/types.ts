/**
 * The OCI runtime spec's `linux.seccomp` object (config-linux schema), readonly. A spec's
 * `linux.seccomp` is assignable to `SeccompProfile`; `value`/`valueTwo` may also be bigints,
 * because JSON numbers cannot carry every u64 exactly.
 */

/** `SCMP_ACT_*` action names. */
export type SeccompAction =
  | "SCMP_ACT_KILL"
  | "SCMP_ACT_KILL_PROCESS"
  | "SCMP_ACT_KILL_THREAD"
  | "SCMP_ACT_TRAP"
  | "SCMP_ACT_ERRNO"
  | "SCMP_ACT_TRACE"
  | "SCMP_ACT_ALLOW"
  | "SCMP_ACT_LOG"
  | "SCMP_ACT_NOTIFY";

/** `SCMP_CMP_*` comparison operators. */
export type SeccompOperator =
  | "SCMP_CMP_NE"
  | "SCMP_CMP_LT"
  | "SCMP_CMP_LE"
  | "SCMP_CMP_EQ"
  | "SCMP_CMP_GE"
  | "SCMP_CMP_GT"
  | "SCMP_CMP_MASKED_EQ";

/** One argument condition. For `SCMP_CMP_MASKED_EQ`, `value` is the mask and `valueTwo` the expected value. */
export interface SeccompArg {
  readonly index: number;
  readonly value: number | bigint;
  readonly valueTwo?: number | bigint;
  readonly op: SeccompOperator;
}

/** A rule: `action` applies to `names` when every condition in `args` holds. */
export interface SeccompSyscall {
  readonly names: readonly string[];
  readonly action: SeccompAction;
  readonly errnoRet?: number;
  readonly args?: readonly SeccompArg[];
}

/** The OCI `linux.seccomp` object. */
export interface SeccompProfile {
  readonly defaultAction: SeccompAction;
  readonly defaultErrnoRet?: number;
  /** `SCMP_ARCH_*` names; the native architecture is always included. */
  readonly architectures?: readonly string[];
  /** `SECCOMP_FILTER_FLAG_*` names. */
  readonly flags?: readonly string[];
  readonly listenerPath?: string;
  readonly listenerMetadata?: string;
  readonly syscalls?: readonly SeccompSyscall[];
}

/** The result of `compileSeccomp`: what the executor passes to seccomp(2). */
export interface CompiledSeccomp {
  /** `struct sock_filter[]`, 8 bytes per instruction, host (little-endian) byte order. */
  readonly filter: Uint8Array;
  /** `SECCOMP_FILTER_FLAG_*` bits for seccomp(SECCOMP_SET_MODE_FILTER, flags, …). */
  readonly flags: number;
}
