// Renders doctor results: "ok   what: detail", "FAIL what: detail -> fix: ...", "warn ..."; JSON; the exit code.

import type { ProbeResult, ProbeStatus } from './probe-types.js';

const LABELS: Readonly<Record<ProbeStatus, string>> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

/** One result as one line. */
export function renderProbeLine(result: ProbeResult): string {
  const fix = result.fix && result.status !== 'ok' ? ` -> fix: ${result.fix}` : '';
  return `${LABELS[result.status]} ${result.what}: ${result.detail}${fix}`;
}

/** 0 when nothing required is missing (warnings allowed), 1 otherwise. */
export function computeDoctorExit(results: readonly ProbeResult[]): 0 | 1 {
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}

/** The results as a JSON-ready object with stable keys. */
export function toProbeJson(results: readonly ProbeResult[]): unknown {
  return {
    ok: computeDoctorExit(results) === 0,
    checks: results.map((r) => ({ status: r.status, what: r.what, detail: r.detail, fix: r.fix ?? null })),
  };
}
