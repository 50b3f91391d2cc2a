/**
 * The syscall ABIs the compiler knows: their `SCMP_ARCH_*` name, the AUDIT_ARCH_* value the
 * kernel puts in `seccomp_data.arch`, the width of syscall arguments libseccomp compares,
 * and the name → number table.
 */
import { AARCH64_SYSCALLS, ARM_SYSCALLS, I386_SYSCALLS, X32_SYSCALLS, X86_64_SYSCALLS } from "./syscall-tables.js";

/** x32 syscalls arrive with this bit set in `nr` and the x86_64 audit arch. */
export const X32_SYSCALL_BIT = 0x40000000;

/** linux/audit.h: EM_* | __AUDIT_ARCH_64BIT (0x80000000) | __AUDIT_ARCH_LE (0x40000000). */
export const AUDIT_ARCH = {
  X86_64: 0xc000003e,
  I386: 0x40000003,
  AARCH64: 0xc00000b7,
  ARM: 0x40000028,
} as const;

export interface SyscallAbi {
  /** The `SCMP_ARCH_*` name. */
  readonly name: string;
  readonly auditArch: number;
  /**
   * 64: arguments compared as two 32-bit halves; 32: only the low half, as libseccomp does
   * for 32-bit ABIs (its x32 definition included).
   */
  readonly argBits: 32 | 64;
  /** The range of `nr` values that belong to this ABI under its audit arch: [lo, hi). */
  readonly nrRange: readonly [number, number];
  readonly syscalls: ReadonlyMap<string, number>;
}

const FULL: readonly [number, number] = [0, 2 ** 32];

/** The ABIs with syscall tables, by `SCMP_ARCH_*` name. */
export const ABIS: ReadonlyMap<string, SyscallAbi> = new Map<string, SyscallAbi>([
  ["SCMP_ARCH_X86_64", { name: "SCMP_ARCH_X86_64", auditArch: AUDIT_ARCH.X86_64, argBits: 64, nrRange: [0, X32_SYSCALL_BIT], syscalls: X86_64_SYSCALLS }],
  ["SCMP_ARCH_X32", { name: "SCMP_ARCH_X32", auditArch: AUDIT_ARCH.X86_64, argBits: 32, nrRange: [X32_SYSCALL_BIT, 2 ** 32], syscalls: X32_SYSCALLS }],
  ["SCMP_ARCH_X86", { name: "SCMP_ARCH_X86", auditArch: AUDIT_ARCH.I386, argBits: 32, nrRange: FULL, syscalls: I386_SYSCALLS }],
  ["SCMP_ARCH_AARCH64", { name: "SCMP_ARCH_AARCH64", auditArch: AUDIT_ARCH.AARCH64, argBits: 64, nrRange: FULL, syscalls: AARCH64_SYSCALLS }],
  ["SCMP_ARCH_ARM", { name: "SCMP_ARCH_ARM", auditArch: AUDIT_ARCH.ARM, argBits: 32, nrRange: FULL, syscalls: ARM_SYSCALLS }],
]);

/** Every `SCMP_ARCH_*` name the OCI schema allows (defs-linux.json SeccompArch). */
export const OCI_ARCHES: readonly string[] = [
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
  "SCMP_ARCH_SH", "SCMP_ARCH_SHEB", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
];

/** Node's `process.arch` → the native `SCMP_ARCH_*` name (only those with tables). */
export const NATIVE_ARCH: Readonly<Record<string, string>> = {
  x64: "SCMP_ARCH_X86_64",
  arm64: "SCMP_ARCH_AARCH64",
  ia32: "SCMP_ARCH_X86",
  arm: "SCMP_ARCH_ARM",
};
