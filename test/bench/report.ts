// Renders one set's results as an aligned text table (candidate, median, p90, peak RSS, ratio) plus command lines.

import { formatMb, formatMs, formatRatio, maximum, median, percentile } from './stats.js';
import type { CandidateResult } from './types.js';

const HEADER = ['candidate', 'median ms', 'p90 ms', 'peak RSS MB', 'ratio'] as const;

/**
 * The table's lines; the ratio column divides each median by the reference candidate's median. With `peer` (e.g.
 * runc), two more columns: each median minus the reference's, and its ratio to the peer's.
 */
export function renderTable(results: readonly CandidateResult[], reference: string, peer?: string): string[] {
  const referenceMedian = medianOf(results, reference);
  const peerMedian = peer === undefined ? undefined : medianOf(results, peer);
  const extra = peer === undefined ? [] : [`+ms over ${reference}`, `vs ${peer}`];
  const rows = results.map((r) => {
    if (r.failure) return [r.name, 'FAILED', '-', '-', '-', ...extra.map(() => '-')];
    const mid = r.wallMs.length > 0 ? median(r.wallMs) : undefined;
    const p90 = r.wallMs.length > 0 ? percentile(r.wallMs, 90) : undefined;
    const over = mid === undefined || referenceMedian === undefined ? '-' : `${mid >= referenceMedian ? '+' : ''}${(mid - referenceMedian).toFixed(1)}`;
    const more = peer === undefined ? [] : [over, formatRatio(mid, peerMedian)];
    return [r.name, formatMs(mid), formatMs(p90), formatMb(maximum(r.rssKb)), formatRatio(mid, referenceMedian), ...more];
  });
  return alignColumns([[...HEADER, ...extra], ...rows]);
}

function medianOf(results: readonly CandidateResult[], name: string): number | undefined {
  const run = results.find((r) => r.name === name && !r.failure && r.wallMs.length > 0);
  return run ? median(run.wallMs) : undefined;
}

/** Each candidate's full command and, for a failed one, why. */
export function renderCommands(results: readonly CandidateResult[]): string[] {
  return results.flatMap((r) => [
    `  ${r.name}: ${[...Object.entries(r.env ?? {}).map(([k, v]) => `${k}=${quoteWord(v)}`), ...r.argv.map(quoteWord)].join(' ')}`,
    ...(r.failure ? [`    failed: ${r.failure}`] : []),
  ]);
}

/** Pads columns: the first left-aligned, the others right-aligned (numbers). */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd(),
  );
}

function quoteWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
