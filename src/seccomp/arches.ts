// The architectures nsbox can write a seccomp filter for: libseccomp's SCMP_ARCH_* names, the kernel's AUDIT_ARCH_*
// value the filter checks (seccomp_data.arch), the syscall table, and the names Docker's includes/excludes use.

import { AARCH64_SYSCALLS } from './tables/aarch64.js';
import { X86_SYSCALLS } from './tables/x86.js';
import { X86_64_SYSCALLS } from './tables/x86_64.js';

export type ArchName = 'SCMP_ARCH_X86_64' | 'SCMP_ARCH_X86' | 'SCMP_ARCH_AARCH64';

export interface ArchInfo {
  readonly name: ArchName;
  /** AUDIT_ARCH_*: EM_* | __AUDIT_ARCH_64BIT (0x80000000) | __AUDIT_ARCH_LE (0x40000000). */
  readonly audit: number;
  /** Syscall arguments are 64-bit (else only the low word of seccomp_data.args[i] carries the argument). */
  readonly bits: 32 | 64;
  readonly syscalls: Readonly<Record<string, number>>;
  /** How Docker's profiles name this architecture in includes/excludes.arches (Go's GOARCH, and the kernel's). */
  readonly aliases: readonly string[];
}

export const ARCHES: Readonly<Record<ArchName, ArchInfo>> = {
  SCMP_ARCH_X86_64: { name: 'SCMP_ARCH_X86_64', audit: 0xc000003e, bits: 64, syscalls: X86_64_SYSCALLS, aliases: ['amd64', 'x86_64'] },
  SCMP_ARCH_X86: { name: 'SCMP_ARCH_X86', audit: 0x40000003, bits: 32, syscalls: X86_SYSCALLS, aliases: ['x86', '386', 'i386'] },
  SCMP_ARCH_AARCH64: { name: 'SCMP_ARCH_AARCH64', audit: 0xc00000b7, bits: 64, syscalls: AARCH64_SYSCALLS, aliases: ['arm64', 'aarch64'] },
};

/**
 * x32 (the x86_64 ABI with 32-bit pointers) shares AUDIT_ARCH_X86_64 and marks its syscall numbers with this bit.
 * A filter for x86_64 must not read such a number as an x86_64 one: it answers ENOSYS (as a kernel without x32).
 */
export const X32_SYSCALL_BIT = 0x40000000;

/** Every SCMP_ARCH_* name libseccomp knows: a profile may list them; nsbox compiles only those in ARCHES. */
export const KNOWN_ARCH_NAMES: readonly string[] = [
  'SCMP_ARCH_NATIVE', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH',
  'SCMP_ARCH_SHEB',
];

/** The architecture of this machine (Node's process.arch), or undefined where nsbox has no table. */
export function nativeArch(nodeArch: string = process.arch): ArchName | undefined {
  if (nodeArch === 'x64') return 'SCMP_ARCH_X86_64';
  if (nodeArch === 'arm64') return 'SCMP_ARCH_AARCH64';
  if (nodeArch === 'ia32') return 'SCMP_ARCH_X86';
  return undefined;
}
