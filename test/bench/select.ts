// Chooses which benchmark sets a `npm run bench -- NAME...` invocation runs.

import type { BenchSet } from './types.js';

/** A bad command line: the runner prints it with the usage and exits 2. */
export class UsageError extends Error {}

/** The sets named on the command line, in registry order (all when none named); throws UsageError on an unknown name. */
export function selectSets(names: readonly string[], sets: readonly BenchSet[]): readonly BenchSet[] {
  if (names.length === 0) return sets;
  const unknown = names.filter((n) => !sets.some((s) => s.name === n));
  if (unknown.length > 0) throw new UsageError(`unknown bench set ${unknown.map((n) => `"${n}"`).join(', ')}`);
  return sets.filter((s) => names.includes(s.name));
}
