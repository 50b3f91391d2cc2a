/**
 * TypeScript types for the OCI runtime spec 1.x `config.json` (Linux parts), as described by
 * the JSON schema in `/work/shared/reference/oci-runtime-spec/`. Only `validateSpec()`
 * produces values of these types, so code that holds a `Spec` may rely on the documented
 * invariants (absolute paths, known names, ...).
 */

/** The OCI runtime spec version berth writes in state and `spec` output. */
export const OCI_VERSION = "1.2.0";

export interface IdMappingSpec {
  readonly containerID: number;
  readonly hostID: number;
  readonly size: number;
}

export interface Hook {
  readonly path: string;
  readonly args?: readonly string[];
  readonly env?: readonly string[];
  /** Seconds, at least 1. */
  readonly timeout?: number;
}

export type HookKind = "prestart" | "createRuntime" | "createContainer" | "startContainer" | "poststart" | "poststop";

export type Hooks = { readonly [K in HookKind]?: readonly Hook[] };

export interface Mount {
  readonly destination: string;
  readonly source?: string;
  readonly type?: string;
  readonly options?: readonly string[];
}

export interface Root {
  readonly path: string;
  readonly readonly?: boolean;
}

export interface User {
  readonly uid: number;
  readonly gid: number;
  readonly umask?: number;
  readonly additionalGids?: readonly number[];
  readonly username?: string;
}

export interface Capabilities {
  readonly bounding?: readonly string[];
  readonly effective?: readonly string[];
  readonly inheritable?: readonly string[];
  readonly permitted?: readonly string[];
  readonly ambient?: readonly string[];
}

export interface Rlimit {
  readonly type: string;
  /** uint64 as parsed from JSON: values at or above 2^64-1 (RLIM_INFINITY) arrive rounded up. */
  readonly soft: number;
  readonly hard: number;
}

export interface Process {
  readonly terminal?: boolean;
  readonly consoleSize?: { readonly height: number; readonly width: number };
  readonly user: User;
  readonly args: readonly string[];
  readonly env?: readonly string[];
  readonly cwd: string;
  readonly capabilities?: Capabilities;
  readonly rlimits?: readonly Rlimit[];
  readonly noNewPrivileges?: boolean;
  readonly oomScoreAdj?: number;
  readonly apparmorProfile?: string;
  readonly selinuxLabel?: string;
}

export type NamespaceType = "pid" | "network" | "mount" | "ipc" | "uts" | "user" | "cgroup" | "time";

export interface Namespace {
  readonly type: NamespaceType;
  readonly path?: string;
}

export interface Device {
  readonly type: "c" | "b" | "u" | "p";
  readonly path: string;
  readonly major?: number;
  readonly minor?: number;
  readonly fileMode?: number;
  readonly uid?: number;
  readonly gid?: number;
}

export interface DeviceCgroup {
  readonly allow: boolean;
  readonly type?: string;
  readonly major?: number;
  readonly minor?: number;
  readonly access?: string;
}

export interface BlockIODevice {
  readonly major: number;
  readonly minor: number;
}

export interface Resources {
  readonly devices?: readonly DeviceCgroup[];
  readonly memory?: {
    readonly limit?: number;
    readonly reservation?: number;
    readonly swap?: number;
    readonly kernel?: number;
    readonly kernelTCP?: number;
    readonly swappiness?: number;
    readonly disableOOMKiller?: boolean;
    readonly useHierarchy?: boolean;
    readonly checkBeforeUpdate?: boolean;
  };
  readonly cpu?: {
    readonly shares?: number;
    readonly quota?: number;
    readonly burst?: number;
    readonly period?: number;
    readonly realtimeRuntime?: number;
    readonly realtimePeriod?: number;
    readonly cpus?: string;
    readonly mems?: string;
    readonly idle?: number;
  };
  readonly pids?: { readonly limit: number };
  readonly blockIO?: {
    readonly weight?: number;
    readonly leafWeight?: number;
    readonly weightDevice?: readonly (BlockIODevice & { readonly weight?: number; readonly leafWeight?: number })[];
    readonly throttleReadBpsDevice?: readonly (BlockIODevice & { readonly rate: number })[];
    readonly throttleWriteBpsDevice?: readonly (BlockIODevice & { readonly rate: number })[];
    readonly throttleReadIOPSDevice?: readonly (BlockIODevice & { readonly rate: number })[];
    readonly throttleWriteIOPSDevice?: readonly (BlockIODevice & { readonly rate: number })[];
  };
  readonly hugepageLimits?: readonly { readonly pageSize: string; readonly limit: number }[];
  readonly network?: { readonly classID?: number; readonly priorities?: readonly { readonly name: string; readonly priority: number }[] };
  readonly unified?: { readonly [key: string]: string };
}

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

export type SeccompOperator =
  | "SCMP_CMP_NE"
  | "SCMP_CMP_LT"
  | "SCMP_CMP_LE"
  | "SCMP_CMP_EQ"
  | "SCMP_CMP_GE"
  | "SCMP_CMP_GT"
  | "SCMP_CMP_MASKED_EQ";

export interface SeccompArg {
  readonly index: number;
  readonly value: number;
  readonly valueTwo?: number;
  readonly op: SeccompOperator;
}

export interface SeccompSyscall {
  readonly names: readonly string[];
  readonly action: SeccompAction;
  readonly errnoRet?: number;
  readonly args?: readonly SeccompArg[];
}

export interface Seccomp {
  readonly defaultAction: SeccompAction;
  readonly defaultErrnoRet?: number;
  readonly architectures?: readonly string[];
  readonly flags?: readonly string[];
  readonly listenerPath?: string;
  readonly listenerMetadata?: string;
  readonly syscalls?: readonly SeccompSyscall[];
}

export type Propagation = "private" | "shared" | "slave" | "unbindable";

export interface Linux {
  readonly namespaces?: readonly Namespace[];
  readonly uidMappings?: readonly IdMappingSpec[];
  readonly gidMappings?: readonly IdMappingSpec[];
  readonly devices?: readonly Device[];
  readonly cgroupsPath?: string;
  readonly resources?: Resources;
  readonly rootfsPropagation?: Propagation;
  readonly seccomp?: Seccomp;
  readonly sysctl?: { readonly [key: string]: string };
  readonly maskedPaths?: readonly string[];
  readonly readonlyPaths?: readonly string[];
  readonly mountLabel?: string;
}

/** A validated OCI runtime `config.json`. */
export interface Spec {
  readonly ociVersion: string;
  readonly process?: Process;
  readonly root: Root;
  readonly hostname?: string;
  readonly domainname?: string;
  readonly mounts?: readonly Mount[];
  readonly hooks?: Hooks;
  readonly annotations?: { readonly [key: string]: string };
  readonly linux?: Linux;
}

/** The state of a container as the OCI runtime spec defines it (`state` output, hook stdin). */
export interface State {
  readonly ociVersion: string;
  readonly id: string;
  readonly status: "creating" | "created" | "running" | "stopped" | "paused";
  readonly pid?: number;
  readonly bundle: string;
  readonly annotations?: { readonly [key: string]: string };
}
