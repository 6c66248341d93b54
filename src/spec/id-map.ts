// Parses and checks uid/gid map ranges (`INNER:OUTER:COUNT`, Go's SysProcIDMap ContainerID:HostID:Size).

import { flagError } from '../errors.js';
import type { IdMapRange } from './box-description.js';

const MAX_ID = 4294967295; // (uid_t)-1 is invalid; ids run 0 .. 2^32-2
/** The kernel accepts at most 340 lines per map (since Linux 4.15). */
const MAX_RANGES = 340;

/** Parse one `INNER:OUTER:COUNT` value of `flag`. */
export function parseIdMapRange(flag: string, value: string): IdMapRange {
  const parts = value.split(':');
  if (parts.length !== 3 || parts.some((p) => !/^\d{1,10}$/.test(p))) {
    throw flagError(flag, value, 'expected INNER:OUTER:COUNT, three decimal numbers (e.g. 0:100000:65536)');
  }
  const [inside, outside, count] = parts.map(Number) as [number, number, number];
  if (count < 1) throw flagError(flag, value, 'COUNT must be at least 1');
  if (inside + count > MAX_ID || outside + count > MAX_ID) throw flagError(flag, value, `the range passes the largest id (${MAX_ID - 1})`);
  return { inside, outside, count };
}

/** Parse all values of a repeatable map flag and reject ranges that overlap inside or outside. */
export function parseIdMap(flag: string, values: readonly string[]): IdMapRange[] {
  const ranges = values.map((v) => parseIdMapRange(flag, v));
  if (ranges.length > MAX_RANGES) throw flagError(flag, values.join(','), `at most ${MAX_RANGES} ranges`);
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i]!;
      const b = ranges[j]!;
      if (overlaps(a.inside, b.inside, a.count, b.count)) {
        throw flagError(flag, `${values[i]} ${values[j]}`, 'the ranges overlap inside the box');
      }
      if (overlaps(a.outside, b.outside, a.count, b.count)) {
        throw flagError(flag, `${values[i]} ${values[j]}`, 'the ranges overlap on the host');
      }
    }
  }
  return ranges;
}

function overlaps(startA: number, startB: number, countA: number, countB: number): boolean {
  return startA < startB + countB && startB < startA + countA;
}

/** The text of /proc/<pid>/uid_map for these ranges: one "inside outside count" line each. */
export function renderIdMap(ranges: readonly IdMapRange[]): string {
  return ranges.map((r) => `${r.inside} ${r.outside} ${r.count}\n`).join('');
}

/** Which host id does `inside` map to, if any (for checks such as "who owns a file root creates"). */
export function mapToHost(ranges: readonly IdMapRange[], inside: number): number | undefined {
  const r = ranges.find((x) => inside >= x.inside && inside < x.inside + x.count);
  return r ? r.outside + (inside - r.inside) : undefined;
}
