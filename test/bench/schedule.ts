// Runs a set's candidates in interleaved rounds (warm-up first), so machine noise falls on all candidates alike.

import { measurePeakRss, measureWallTime, type RunOutcome } from './measure.js';
import type { BenchSet, Candidate, CandidateResult } from './types.js';

export interface ScheduleOptions {
  /** Measured wall-time runs per candidate. */
  readonly runs: number;
  /** Unrecorded rounds before measuring (page cache, JIT-free but disk- and dentry-warm start-up). */
  readonly warmup: number;
  /** Runs per candidate under GNU time for peak RSS, after the timed rounds. */
  readonly rssRuns: number;
  /** Progress lines go here (stderr), never into the report. */
  readonly progress: (line: string) => void;
}

/** Indices of count candidates in the order round number `round` runs them: rotated by one each round. */
export function orderForRound(count: number, round: number): number[] {
  return Array.from({ length: count }, (_, i) => (i + round) % count);
}

/** Measures every candidate of the set; a candidate whose run fails is dropped from later rounds and marked failed. */
export function runSet(set: BenchSet, options: ScheduleOptions): CandidateResult[] {
  const state = set.candidates.map((candidate) => ({ candidate, wallMs: [] as number[], rssKb: [] as number[], failure: undefined as string | undefined }));
  const phases = [
    { label: 'warm-up', rounds: options.warmup, measure: measureWallTime, keep: (_s: (typeof state)[number], _v: number) => {} },
    { label: 'timing', rounds: Math.min(options.runs, set.maxRuns ?? options.runs), measure: measureWallTime, keep: (s: (typeof state)[number], v: number) => s.wallMs.push(v) },
    { label: 'peak RSS', rounds: options.rssRuns, measure: measurePeakRss, keep: (s: (typeof state)[number], v: number) => s.rssKb.push(v) },
  ] as const;
  for (const phase of phases) {
    if (phase.rounds === 0) continue;
    options.progress(`${set.name}: ${phase.label}, ${phase.rounds} round(s) of ${state.length} candidate(s)`);
    for (let round = 0; round < phase.rounds; round++) {
      for (const index of orderForRound(state.length, round)) {
        const entry = state[index]!;
        if (entry.failure) continue;
        const outcome: RunOutcome = phase.measure(entry.candidate as Candidate);
        if (outcome.ok) phase.keep(entry, outcome.value);
        else entry.failure = `${phase.label} run: ${outcome.reason}`;
      }
    }
  }
  return state.map((s) => ({ name: s.candidate.name, argv: s.candidate.argv, env: s.candidate.env, wallMs: s.wallMs, rssKb: s.rssKb, failure: s.failure }));
}
