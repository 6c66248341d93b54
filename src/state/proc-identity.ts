// A process identity that survives pid reuse: pid, start time (field 22 of /proc/<pid>/stat) and the boot id.

import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  readonly pid: number;
  /** Clock ticks since boot at which the process started. */
  readonly startTime: number;
  /** /proc/sys/kernel/random/boot_id: after a reboot, no recorded process is alive, whatever its pid. */
  readonly bootId: string;
}

let bootId: string | undefined;

/** This boot's id (cached). */
export function readBootId(): string {
  bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return bootId;
}

/** Field 22 of /proc/<pid>/stat (after the ")" that ends the command name, which may hold spaces). */
export function readStartTime(pid: number, proc = '/proc'): number | undefined {
  try {
    const text = readFileSync(`${proc}/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const value = Number(fields[19]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The identity of a live process now; undefined if it is gone. */
export function identify(pid: number): ProcessIdentity | undefined {
  const startTime = readStartTime(pid);
  return startTime === undefined ? undefined : { pid, startTime, bootId: readBootId() };
}

/** True only if that very process still exists (same boot, same pid, same start time) and is not a zombie. */
export function isAlive(who: ProcessIdentity | undefined, proc = '/proc'): boolean {
  if (!who || who.bootId !== readBootId()) return false;
  try {
    const text = readFileSync(`${proc}/${who.pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]) === who.startTime && fields[0] !== 'Z' && fields[0] !== 'X';
  } catch {
    return false;
  }
}
