// Parses /proc/<pid>/uid_map and gid_map: lines of "INSIDE OUTSIDE COUNT" (user_namespaces(7)).

import { readFileSync } from 'node:fs';

export interface IdMapEntry {
  /** First ID inside the process's user namespace (Go's ContainerID). */
  readonly inside: number;
  /** First ID in the parent user namespace (Go's HostID). */
  readonly outside: number;
  readonly count: number;
}

/** The entries of a uid_map/gid_map text; throws on a malformed line. */
export function parseIdMap(text: string): IdMapEntry[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const fields = line.split(/\s+/).map(Number);
      if (fields.length !== 3 || fields.some((n) => !Number.isInteger(n) || n < 0)) {
        throw new Error(`malformed id map line: ${JSON.stringify(line)}`);
      }
      const [inside, outside, count] = fields as [number, number, number];
      return { inside, outside, count };
    });
}

/** True for the initial user namespace's map, "0 0 4294967295": every ID maps to itself. */
export function isIdentityMap(entries: readonly IdMapEntry[]): boolean {
  return entries.length === 1 && entries[0]!.inside === 0 && entries[0]!.outside === 0 && entries[0]!.count === 4294967295;
}

/** One map as a single line, entries separated by commas: "0 1000 1, 1 100000 65536". */
export function formatIdMap(entries: readonly IdMapEntry[]): string {
  if (entries.length === 0) return '(not written yet: no IDs mapped)';
  return entries.map((e) => `${e.inside} ${e.outside} ${e.count}`).join(', ');
}

/** The uid_map or gid_map of `pid`, read under `procRoot` (normally /proc). */
export function readIdMap(procRoot: string, pid: number, which: 'uid_map' | 'gid_map'): IdMapEntry[] {
  return parseIdMap(readFileSync(`${procRoot}/${pid}/${which}`, 'utf8'));
}
