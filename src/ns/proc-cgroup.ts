// Reads /proc/<pid>/cgroup for `nsbox ns`: one "HIERARCHY:CONTROLLERS:PATH" line per v1 hierarchy, "0::PATH" for cgroup v2.

import { readFileSync } from 'node:fs';
import { parseProcCgroup as parseCgroupEntries } from '../cgroup/detect.js';

export interface CgroupMembership {
  /** Hierarchy ID; 0 is the unified (v2) hierarchy. */
  readonly hierarchy: number;
  /** Controllers bound to the hierarchy ("memory", "cpu", "name=systemd"); empty for v2. */
  readonly controllers: readonly string[];
  /** Path of the cgroup relative to the hierarchy's root (as seen from the reader's cgroup namespace). */
  readonly path: string;
}

/** The memberships listed in a /proc/<pid>/cgroup text (the cgroup module's parser); throws on a malformed line. */
export function parseProcCgroup(text: string): CgroupMembership[] {
  const bad = text.split('\n').find((line) => line.trim() !== '' && !/^\d+:[^:]*:/.test(line));
  if (bad !== undefined) throw new Error(`malformed cgroup line: ${JSON.stringify(bad)}`);
  return parseCgroupEntries(text).map((entry) => ({ hierarchy: entry.id, controllers: entry.controllers, path: entry.path }));
}

/** The cgroups of `pid`, read under `procRoot` (normally /proc). */
export function readProcCgroup(procRoot: string, pid: number): CgroupMembership[] {
  return parseProcCgroup(readFileSync(`${procRoot}/${pid}/cgroup`, 'utf8'));
}
