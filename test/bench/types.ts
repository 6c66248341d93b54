// The data a benchmark set is made of: candidates (commands to time), targets (checks on the results), results.

/** One command to time; `name` is its short label in the table and in targets. */
export interface Candidate {
  readonly name: string;
  readonly argv: readonly string[];
  /** Variables added to the bench's own environment for this candidate's runs. */
  readonly env?: Readonly<Record<string, string>>;
  /** Exit status a correct run ends with (default 0); anything else marks the candidate failed. */
  readonly expectStatus?: number;
}

/** In a candidate's argv, this word is replaced by a number new for every run (a container id for runc/crun). */
export const RUN_NUMBER = '{run}';

/** A check printed under the table; a missed target is reported, never fatal. */
export type Target =
  | {
      /** subject's median wall time <= reference's median + slackMs */
      readonly kind: 'median-within';
      readonly subject: string;
      readonly reference: string;
      readonly slackMs: number;
    }
  | {
      /** subject's median wall time <= factor x reference's median (e.g. 1.3x runc) */
      readonly kind: 'median-ratio';
      readonly subject: string;
      readonly reference: string;
      readonly factor: number;
    }
  | {
      /** subject's peak RSS < limitMb */
      readonly kind: 'rss-below';
      readonly subject: string;
      readonly limitMb: number;
    };

/**
 * A group of candidates timed side by side in one interleaved run. Add a set as its own module under sets/ and
 * list it in sets/index.ts; `npm run bench -- NAME` selects it.
 */
export interface BenchSet {
  readonly name: string;
  /** One line shown above the set's table. */
  readonly title: string;
  /** Candidate the ratio column divides by. */
  readonly reference: string;
  /** A second candidate to compare with (a peer such as runc): adds "+ms over reference" and "vs peer" columns. */
  readonly peer?: string;
  readonly candidates: readonly Candidate[];
  readonly targets: readonly Target[];
  /** At most this many timed runs per candidate (slow candidates such as 50 boxes at once), whatever BENCH_RUNS says. */
  readonly maxRuns?: number;
  /** Checks that are not about the table's numbers (e.g. memory of an idle box, measured in setup), after the run. */
  check?(): readonly TargetOutcome[];
  /** Why the set cannot run on this host (a missing tool, not root, ...), or undefined when it can. */
  available(): string | undefined;
  /** Runs once before the set's first run (e.g. build a bundle); may throw to mark the set broken. */
  setup?(): void;
  /** Runs once after the set, even when it failed; returns warnings to print (e.g. something left behind). */
  teardown?(): readonly string[];
}

/** What was measured for one candidate. */
export interface CandidateResult {
  readonly name: string;
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Wall time of each measured run, in ms (warm-up runs excluded). */
  readonly wallMs: readonly number[];
  /** Maximum resident set size of each RSS run, in KiB. */
  readonly rssKb: readonly number[];
  /** Set when a run ended wrongly: the candidate's numbers are then incomplete and its targets unchecked. */
  readonly failure: string | undefined;
}

/** One target's outcome, ready to print. */
export interface TargetOutcome {
  readonly line: string;
  readonly verdict: 'ok' | 'missed' | 'unchecked';
}
