// Byte sizes as Docker's --memory takes them ("100m", "1.5g", "512kb", "1024"): exact parse and short display.
//
// Hand-written rather than a library (bytes, filesize, ...): the grammar is one regex, the arithmetic must be
// exact (BigInt, no float rounding of "1.1g"), and nothing extra loads on the `run` path.

const UNITS: Readonly<Record<string, bigint>> = { '': 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n, p: 1n << 50n };
const SIZE = /^(\d+)(?:\.(\d+))?\s?([kmgtp]?)(?:i?b)?$/i;

export type SizeResult = { readonly ok: true; readonly bytes: bigint } | { readonly ok: false; readonly reason: string };

/** Parse a size with an optional binary unit (b, k, m, g, t, p; kb/kib accepted); fractions floor to whole bytes. */
export function parseSize(text: string): SizeResult {
  const match = SIZE.exec(text.trim());
  if (text.trim() === '' || !match) return { ok: false, reason: 'expected a size such as 100m, 1.5g or 1048576 (units b, k, m, g)' };
  const [, whole, fraction = '', unit = ''] = match;
  const mult = UNITS[unit.toLowerCase()]!;
  const scale = 10n ** BigInt(fraction.length);
  const bytes = BigInt(whole!) * mult + (BigInt(fraction || '0') * mult) / scale;
  return { ok: true, bytes };
}

const SHOW: readonly (readonly [string, number])[] = [['P', 2 ** 50], ['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10]];

/** Short display of a byte count: "100M" when exact, else one decimal ("99.6M"); plain bytes under 1K. */
export function formatSize(bytes: number): string {
  for (const [suffix, size] of SHOW) {
    if (bytes >= size) {
      const value = bytes / size;
      return Number.isInteger(value) ? `${value}${suffix}` : `${value.toFixed(1).replace(/\.0$/, '')}${suffix}`;
    }
  }
  return `${bytes}B`;
}
