// Parses /proc/<pid>/cgroup: one "HIERARCHY:CONTROLLERS:PATH" line per v1 hierarchy, "0::PATH" for cgroup v2.

import { readFileSync } from 'node:fs';

export interface CgroupMembership {
  /** Hierarchy ID; 0 is the unified (v2) hierarchy. */
  readonly hierarchy: number;
  /** Controllers bound to the hierarchy ("memory", "cpu", "name=systemd"); empty for v2. */
  readonly controllers: readonly string[];
  /** Path of the cgroup relative to the hierarchy's root (as seen from the reader's cgroup namespace). */
  readonly path: string;
}

/** The memberships listed in a /proc/<pid>/cgroup text; throws on a malformed line. */
export function parseProcCgroup(text: string): CgroupMembership[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const match = /^(\d+):([^:]*):(.*)$/.exec(line);
      if (!match) throw new Error(`malformed cgroup line: ${JSON.stringify(line)}`);
      return {
        hierarchy: Number(match[1]),
        controllers: match[2] === '' ? [] : match[2]!.split(','),
        path: match[3]!,
      };
    });
}

/** The cgroups of `pid`, read under `procRoot` (normally /proc). */
export function readProcCgroup(procRoot: string, pid: number): CgroupMembership[] {
  return parseProcCgroup(readFileSync(`${procRoot}/${pid}/cgroup`, 'utf8'));
}
