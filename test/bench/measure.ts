// Runs a candidate once and measures it: wall time of a plain run, or peak RSS of a run under GNU time.

import { spawnSync } from 'node:child_process';
import { RUN_NUMBER, type Candidate } from './types.js';

/** GNU time: reports the maximum resident set size (%M, KiB) of the command from its wait4 rusage. */
export const GNU_TIME = '/usr/bin/time';
const RSS_MARK = 'nsbox-bench-rss';
const RUN_TIMEOUT_MS = 120_000;

/** A run's outcome: the number measured, or why the run does not count. */
export type RunOutcome = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly reason: string };

/** Wall time of one run in ms: from just before the spawn to the child's exit (node's fork+exec cost included, alike for all). */
export function measureWallTime(candidate: Candidate): RunOutcome {
  const env = envOf(candidate);
  const argv = numberRun(candidate.argv);
  const started = process.hrtime.bigint();
  const result = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], timeout: RUN_TIMEOUT_MS, env });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const problem = describeProblem(candidate, result.status, result.signal, result.error, String(result.stderr ?? ''));
  return problem ? { ok: false, reason: problem } : { ok: true, value: ms };
}

/**
 * Peak RSS of one run in KiB, read from GNU time. wait4's rusage covers the command and the descendants it reaped,
 * so for `nsbox run ... -- true` it is the largest of node, its helpers (sh, unshare, setpriv) and `true`: node's.
 */
export function measurePeakRss(candidate: Candidate): RunOutcome {
  const result = spawnSync(GNU_TIME, ['-f', `${RSS_MARK} %M`, '--', ...numberRun(candidate.argv)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: RUN_TIMEOUT_MS,
    env: envOf(candidate),
  });
  const stderr = String(result.stderr ?? '');
  const problem = describeProblem(candidate, result.status, result.signal, result.error, stripTimeLines(stderr));
  if (problem) return { ok: false, reason: problem };
  const kb = parseRssLine(stderr);
  return kb === undefined ? { ok: false, reason: `no "${RSS_MARK}" line from ${GNU_TIME}` } : { ok: true, value: kb };
}

/** The KiB number from GNU time's last `nsbox-bench-rss N` line, or undefined. */
export function parseRssLine(stderr: string): number | undefined {
  const lines = stderr.split('\n').filter((l) => l.startsWith(`${RSS_MARK} `));
  const last = lines.at(-1);
  return last === undefined || !/^\S+ \d+$/.test(last) ? undefined : Number(last.split(' ')[1]);
}

let runs = 0;

/** argv with RUN_NUMBER replaced by a number no earlier run of this bench used. */
function numberRun(argv: readonly string[]): string[] {
  const n = `${process.pid}-${++runs}`;
  return argv.map((word) => word.split(RUN_NUMBER).join(n));
}

function envOf(candidate: Candidate): NodeJS.ProcessEnv {
  return candidate.env ? { ...process.env, ...candidate.env } : process.env;
}

function stripTimeLines(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !l.startsWith(`${RSS_MARK} `) && !l.startsWith('Command exited with non-zero status') && !l.startsWith('Command terminated by signal'))
    .join('\n');
}

function describeProblem(candidate: Candidate, status: number | null, signal: NodeJS.Signals | null, error: Error | undefined, stderr: string): string | undefined {
  const expected = candidate.expectStatus ?? 0;
  if (error) return `cannot run ${candidate.argv[0]}: ${error.message}`;
  if (signal) return `killed by ${signal}${tail(stderr)}`;
  if (status !== expected) return `exit status ${status}, expected ${expected}${tail(stderr)}`;
  return undefined;
}

function tail(stderr: string): string {
  const line = stderr.split('\n').map((l) => l.trim()).filter(Boolean).at(-1);
  return line ? `: ${line}` : '';
}
