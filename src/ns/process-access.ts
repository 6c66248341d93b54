// Tells why a process's namespaces can or cannot be read: it exists, it never existed, it has exited, or access is denied.

import { existsSync, readlinkSync } from 'node:fs';
import { NAMESPACES } from '../host/namespaces.js';
import { NsboxError } from '../errors.js';

export type ProcessAccess = 'readable' | 'missing' | 'exited' | 'denied';

/** Whether /proc/<pid>/ns/* of `pid` can be read under `procRoot` (normally /proc), and if not, why. */
export function checkProcessAccess(procRoot: string, pid: number): ProcessAccess {
  const codes: string[] = [];
  for (const ns of NAMESPACES) {
    try {
      readlinkSync(`${procRoot}/${pid}/ns/${ns.procFile}`);
      return 'readable';
    } catch (error) {
      codes.push((error as NodeJS.ErrnoException).code ?? 'EIO');
    }
  }
  if (!existsSync(`${procRoot}/${pid}`)) return 'missing';
  // ptrace access mode check (proc(5), /proc/pid/ns): another user's process, or a stricter LSM/user namespace.
  if (codes.includes('EACCES') || codes.includes('EPERM')) return 'denied';
  // A zombie keeps its /proc entry but has dropped its namespaces.
  return 'exited';
}

/** The reason, in words, that a process's namespaces cannot be read. */
export function describeAccess(access: Exclude<ProcessAccess, 'readable'>): string {
  const reasons: Readonly<Record<Exclude<ProcessAccess, 'readable'>, string>> = {
    missing: 'no such process',
    exited: 'the process has exited (zombie)',
    denied: 'permission denied',
  };
  return reasons[access];
}

/** Throws a one-line NsboxError unless the namespaces of `pid` can be read; `label` names the argument. */
export function assertProcessReadable(procRoot: string, pid: number, label: string): void {
  const access = checkProcessAccess(procRoot, pid);
  if (access === 'readable') return;
  throw new NsboxError(`cannot inspect ${label} ${pid}: ${describeAccess(access)}`, {
    hint: access === 'denied' ? 'reading /proc/<pid>/ns needs ptrace access to the process (root or its owner; a sandbox may deny even root)' : undefined,
  });
}
