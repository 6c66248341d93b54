// Pure statistics and number formatting for the bench table: percentiles, ratios, ms and MB.

/** The p-th percentile (0-100) of values, interpolating linearly between the two nearest ranks. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile out of range: ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = ((sorted.length - 1) * p) / 100;
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

/** The median: the mean of the two middle values when their count is even. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** The largest value, or undefined for none. */
export function maximum(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : Math.max(...values);
}

/** "2.35x": value divided by reference; "-" when either is missing or the reference is not positive. */
export function formatRatio(value: number | undefined, reference: number | undefined): string {
  if (value === undefined || reference === undefined || !(reference > 0) || !Number.isFinite(value)) return '-';
  return `${(value / reference).toFixed(2)}x`;
}

/** Milliseconds with one decimal; "-" when missing. */
export function formatMs(ms: number | undefined): string {
  return ms === undefined ? '-' : ms.toFixed(1);
}

/** KiB (as getrusage and GNU time report them) shown as MiB with one decimal; "-" when missing. */
export function formatMb(kb: number | undefined): string {
  return kb === undefined ? '-' : (kb / 1024).toFixed(1);
}

/** A run count from the environment: a positive integer, else the fallback when unset; throws on garbage. */
export function readCount(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, min = 1): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min) throw new Error(`${name} must be an integer >= ${min}, not ${JSON.stringify(text)}`);
  return Number(text);
}
