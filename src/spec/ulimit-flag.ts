// `--ulimit NAME=SOFT[:HARD]` (docker run's): resource limits of the box's command, in prlimit(1)'s spelling, the
// same OciRlimit that nsbox-runtime takes from process.rlimits. Pure.

import { flagError } from '../errors.js';
import type { OciRlimit, OciRlimitName } from '../oci/container.js';

/** Docker's names (go-units' ulimit table): RLIMIT_AS is not one of them, as in Docker. */
const ULIMIT_NAMES: readonly OciRlimitName[] = [
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
];

/**
 * Each value once parsed; a name given again replaces the earlier one (Docker keeps the last). A single number is both
 * soft and hard; -1 (Docker's word) or "unlimited" (prlimit's) is RLIM_INFINITY.
 */
export function parseUlimits(values: readonly string[]): readonly OciRlimit[] {
  const byName = new Map<OciRlimitName, OciRlimit>();
  for (const value of values) {
    const limit = parseUlimit(value);
    byName.delete(limit.name);
    byName.set(limit.name, limit);
  }
  return [...byName.values()];
}

function parseUlimit(value: string): OciRlimit {
  const match = /^([^=]*)=([^:]*)(?::(.*))?$/.exec(value);
  if (!match) throw flagError('--ulimit', value, 'expected NAME=SOFT[:HARD], e.g. nofile=1024:2048');
  const name = match[1]! as OciRlimitName;
  if (!ULIMIT_NAMES.includes(name)) throw flagError('--ulimit', value, `unknown limit "${match[1]}" (one of ${ULIMIT_NAMES.join(', ')})`);
  const soft = parseAmount(value, match[2]!);
  const hard = match[3] === undefined ? soft : parseAmount(value, match[3]);
  if (hard !== 'unlimited' && (soft === 'unlimited' || soft > hard)) throw flagError('--ulimit', value, 'the soft limit is above the hard limit');
  return { name, soft, hard };
}

function parseAmount(value: string, word: string): number | 'unlimited' {
  if (word === '-1' || word === 'unlimited') return 'unlimited';
  const n = /^\d+$/.test(word) ? Number(word) : NaN;
  if (!Number.isSafeInteger(n)) throw flagError('--ulimit', value, `not a limit: ${JSON.stringify(word)} (a non-negative integer, -1 or unlimited)`);
  return n;
}
