// What a host probe reports (one line of `nsbox doctor`), and the one helper probes use to read the host's files.

import { readFileSync } from 'node:fs';

export type ProbeStatus = 'ok' | 'warn' | 'fail';

export interface ProbeResult {
  /** fail: something nsbox needs is missing; warn: an optional feature is missing or limited. */
  readonly status: ProbeStatus;
  /** What was checked, e.g. "namespace uts" or "tool unshare". */
  readonly what: string;
  readonly detail: string;
  /** The command or change that fixes a fail or warn. */
  readonly fix?: string;
}

/** Text of `path` (absolute, e.g. /proc/filesystems) under `root` ('' on the real host), or undefined if unreadable. */
export function readHostFile(root: string, path: string): string | undefined {
  try {
    return readFileSync(`${root}${path}`, 'utf8');
  } catch {
    return undefined;
  }
}
