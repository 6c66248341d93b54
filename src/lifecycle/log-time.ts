// The times of `logs --since` and `--until`, as docker reads them: an RFC 3339 time or date ("2026-12-02T10:00:00Z",
// "2026-12-02"), a Unix time in seconds ("1764669600", "1764669600.5"), or a Go duration back from now ("10m",
// "1h30m", "42s", "1.5h").

import { flagError } from '../errors.js';

const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, '\u00b5s': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The time in ms since the epoch that `value` of `flag` names; now: the current time in ms. */
export function parseLogTime(flag: string, value: string, now: number): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  if (/^(\d+(\.\d+)?(ns|us|\u00b5s|ms|s|m|h))+$/.test(value)) {
    let ms = 0;
    for (const [, n, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/g)) ms += Number(n) * UNIT_MS[unit!]!;
    return now - ms;
  }
  const parsed = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(parsed)) throw flagError(flag, value, 'expected a time (2026-12-02T10:00:00Z, 2026-12-02), Unix seconds, or a duration back from now (10m, 1h30m)');
  return parsed;
}
