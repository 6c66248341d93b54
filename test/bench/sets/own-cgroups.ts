// Reads which cgroups this process is in, per cgroup v1 controller, so a set can make its cgroups below them.

import { readFileSync } from 'node:fs';

/** This process's cgroup path per v1 controller, from /proc/self/cgroup text ("4:memory:/a/b"). */
export function readOwnV1Cgroups(text: string): ReadonlyMap<string, string> {
  const own = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]+):(.*)$/.exec(line);
    if (match) for (const controller of match[1]!.split(',')) own.set(controller, match[2]!);
  }
  return own;
}

/** The same for this process, read now; empty when /proc/self/cgroup cannot be read. */
export function loadOwnV1Cgroups(): ReadonlyMap<string, string> {
  try {
    return readOwnV1Cgroups(readFileSync('/proc/self/cgroup', 'utf8'));
  } catch {
    return new Map();
  }
}
