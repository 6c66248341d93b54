// Evaluates a set's targets against measured results and words each one as a `target: ...` line.

import { formatMb, formatMs, maximum, median } from './stats.js';
import type { CandidateResult, Target, TargetOutcome } from './types.js';

/** One target's verdict and line; a target whose candidates failed or were never measured is "unchecked". */
export function evaluateTarget(target: Target, results: readonly CandidateResult[]): TargetOutcome {
  return TARGET_KINDS[target.kind](target as never, results);
}

type Evaluator<T extends Target> = (target: T, results: readonly CandidateResult[]) => TargetOutcome;

const TARGET_KINDS: { readonly [K in Target['kind']]: Evaluator<Extract<Target, { kind: K }>> } = {
  'median-within': (t, results) => {
    const head = `target: ${t.subject} median <= ${t.reference} + ${t.slackMs} ms`;
    const missing = findMissing(results, [t.subject, t.reference], (r) => r.wallMs.length > 0);
    if (missing) return { line: `${head}: not checked (${missing})`, verdict: 'unchecked' };
    const subject = median(find(results, t.subject)!.wallMs);
    const reference = median(find(results, t.reference)!.wallMs);
    const ok = subject <= reference + t.slackMs;
    return { line: `${head}: ${formatMs(subject)} <= ${formatMs(reference)} + ${t.slackMs} -> ${ok ? 'ok' : 'MISSED'}`, verdict: ok ? 'ok' : 'missed' };
  },
  'median-ratio': (t, results) => {
    const head = `target: ${t.subject} median <= ${t.factor}x ${t.reference}`;
    const missing = findMissing(results, [t.subject, t.reference], (r) => r.wallMs.length > 0);
    if (missing) return { line: `${head}: not checked (${missing})`, verdict: 'unchecked' };
    const subject = median(find(results, t.subject)!.wallMs);
    const reference = median(find(results, t.reference)!.wallMs);
    const ok = subject <= reference * t.factor;
    return { line: `${head}: ${formatMs(subject)} <= ${formatMs(reference * t.factor)} (${(subject / reference).toFixed(2)}x) -> ${ok ? 'ok' : 'MISSED'}`, verdict: ok ? 'ok' : 'missed' };
  },
  'rss-below': (t, results) => {
    const head = `target: ${t.subject} peak RSS < ${t.limitMb} MB`;
    const missing = findMissing(results, [t.subject], (r) => r.rssKb.length > 0);
    if (missing) return { line: `${head}: not checked (${missing})`, verdict: 'unchecked' };
    const peakMb = maximum(find(results, t.subject)!.rssKb)! / 1024;
    const ok = peakMb < t.limitMb;
    return { line: `${head}: ${formatMb(peakMb * 1024)} < ${t.limitMb} -> ${ok ? 'ok' : 'MISSED'}`, verdict: ok ? 'ok' : 'missed' };
  },
};

function find(results: readonly CandidateResult[], name: string): CandidateResult | undefined {
  return results.find((r) => r.name === name);
}

/** Why a target cannot be checked: a named candidate absent, failed, or without the numbers it needs. */
function findMissing(results: readonly CandidateResult[], names: readonly string[], hasData: (r: CandidateResult) => boolean): string | undefined {
  for (const name of names) {
    const result = find(results, name);
    if (!result) return `no candidate "${name}"`;
    if (result.failure) return `${name} failed`;
    if (!hasData(result)) return `${name} not measured`;
  }
  return undefined;
}
