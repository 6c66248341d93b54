// Renders one set's results as an aligned text table (candidate, median, p90, peak RSS, ratio) plus command lines.

import { formatMb, formatMs, formatRatio, maximum, median, percentile } from './stats.js';
import type { CandidateResult } from './types.js';

const HEADER = ['candidate', 'median ms', 'p90 ms', 'peak RSS MB', 'ratio'] as const;

/** The table's lines; the ratio column divides each median by the reference candidate's median. */
export function renderTable(results: readonly CandidateResult[], reference: string): string[] {
  const referenceRun = results.find((r) => r.name === reference && !r.failure && r.wallMs.length > 0);
  const referenceMedian = referenceRun ? median(referenceRun.wallMs) : undefined;
  const rows = results.map((r) => {
    if (r.failure) return [r.name, 'FAILED', '-', '-', '-'];
    const mid = r.wallMs.length > 0 ? median(r.wallMs) : undefined;
    const p90 = r.wallMs.length > 0 ? percentile(r.wallMs, 90) : undefined;
    return [r.name, formatMs(mid), formatMs(p90), formatMb(maximum(r.rssKb)), formatRatio(mid, referenceMedian)];
  });
  return alignColumns([[...HEADER], ...rows]);
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
