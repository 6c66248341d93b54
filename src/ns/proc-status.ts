// Reads the security fields nsbox reports from /proc/<pid>/status: CapEff, NoNewPrivs and Seccomp.

import { readFileSync } from 'node:fs';

export interface ProcessSecurity {
  /** Effective capability mask as the kernel prints it, e.g. "000001ffffffffff". */
  readonly capEff: string | undefined;
  /** The no_new_privs bit (prctl PR_SET_NO_NEW_PRIVS, setpriv --no-new-privs). */
  readonly noNewPrivs: boolean | undefined;
  /** The seccomp mode: 0 disabled, 1 strict, 2 filter; and how many filters are stacked (Seccomp_filters). */
  readonly seccomp: number | undefined;
  readonly seccompFilters: number | undefined;
}

/** The kernel's names of the Seccomp: modes. */
export const SECCOMP_MODES: readonly string[] = ['disabled', 'strict', 'filter'];

/** The CapEff and NoNewPrivs fields of a status file's text; undefined for a field the kernel did not print. */
export function parseProcStatus(text: string): ProcessSecurity {
  const field = (key: string): string | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${key}:`));
    return line?.slice(key.length + 1).trim();
  };
  const noNewPrivs = field('NoNewPrivs');
  const number = (key: string): number | undefined => {
    const v = field(key);
    return v === undefined || !/^\d+$/.test(v) ? undefined : Number(v);
  };
  return {
    capEff: field('CapEff'),
    noNewPrivs: noNewPrivs === undefined ? undefined : noNewPrivs === '1',
    seccomp: number('Seccomp'),
    seccompFilters: number('Seccomp_filters'),
  };
}

/** CapEff and NoNewPrivs of `pid`, read under `procRoot` (normally /proc). */
export function readProcessSecurity(procRoot: string, pid: number): ProcessSecurity {
  return parseProcStatus(readFileSync(`${procRoot}/${pid}/status`, 'utf8'));
}

/** The kernel's highest capability number (/proc/sys/kernel/cap_last_cap); 40 when the file is missing. */
export function readLastCap(procRoot: string): number {
  try {
    const value = Number(readFileSync(`${procRoot}/sys/kernel/cap_last_cap`, 'utf8').trim());
    return Number.isInteger(value) && value >= 0 ? value : 40;
  } catch {
    return 40;
  }
}
