// The Docker-shaped settings a recorded box keeps for its whole life: labels, restart policy, stop signal and
// timeout. Parsed from `run`'s flags (pure), stored in the record, read by stop, start and the supervisor.

import { constants as osConstants } from 'node:os';
import { NsboxError, flagError } from '../errors.js';

export type RestartPolicyName = 'no' | 'on-failure' | 'always' | 'unless-stopped';

/** Docker's HostConfig.RestartPolicy: MaximumRetryCount only counts for on-failure (0: no limit). */
export interface RestartPolicy {
  readonly name: RestartPolicyName;
  readonly maximumRetryCount: number;
}

export interface BoxConfig {
  readonly labels: Readonly<Record<string, string>>;
  readonly restartPolicy: RestartPolicy;
  /** Signal name as the kernel knows it ("SIGTERM"). */
  readonly stopSignal: string;
  /** Seconds between the stop signal and SIGKILL. */
  readonly stopTimeout: number;
}

export const DEFAULT_STOP_SIGNAL = 'SIGTERM';
export const DEFAULT_STOP_TIMEOUT = 10;
export const NO_RESTART: RestartPolicy = { name: 'no', maximumRetryCount: 0 };

/** --label k=v (repeatable; `k` alone is an empty value, as in Docker). */
export function parseLabels(values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const key = eq === -1 ? value : value.slice(0, eq);
    if (key === '' || /\s/.test(key)) throw flagError('--label', value, 'expected KEY=VALUE');
    labels[key] = eq === -1 ? '' : value.slice(eq + 1);
  }
  return labels;
}

/** --restart no|on-failure[:N]|always|unless-stopped */
export function parseRestartPolicy(value: string): RestartPolicy {
  const match = /^(no|on-failure|always|unless-stopped)(?::(\d+))?$/.exec(value);
  if (!match) throw flagError('--restart', value, 'expected no, on-failure[:N], always or unless-stopped');
  const name = match[1] as RestartPolicyName;
  if (match[2] !== undefined && name !== 'on-failure') throw flagError('--restart', value, 'only on-failure takes a retry count');
  const count = match[2] === undefined ? 0 : Number(match[2]);
  if (!Number.isSafeInteger(count)) throw flagError('--restart', value, 'retry count out of range');
  return { name, maximumRetryCount: count };
}

/** --stop-signal TERM, SIGTERM or 15 -> "SIGTERM". */
export function parseSignal(flag: string, value: string): string {
  const signals = osConstants.signals as Record<string, number>;
  if (/^\d+$/.test(value)) {
    const name = Object.keys(signals).find((n) => signals[n] === Number(value));
    if (name) return name;
  } else {
    const name = value.toUpperCase().startsWith('SIG') ? value.toUpperCase() : `SIG${value.toUpperCase()}`;
    if (signals[name] !== undefined) return name;
  }
  throw flagError(flag, value, 'not a signal name or number');
}

/** Seconds, 0 to a day (stop -t's range). */
export function parseStopTimeout(flag: string, value: unknown): number {
  const n = Number(value);
  if (value === '' || !Number.isInteger(n) || n < 0 || n > 86_400) throw flagError(flag, value, 'expected whole seconds from 0 to 86400');
  return n;
}

/** The box's settings from run's flags; `detached`/`autoRemove` decide which combinations Docker refuses. */
export function boxConfigFromFlags(args: Readonly<Record<string, unknown>>): BoxConfig {
  const list = (v: unknown) => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String));
  const restart = args.restart === undefined ? NO_RESTART : parseRestartPolicy(String(args.restart));
  if (restart.name !== 'no' && args.rm === true) throw new NsboxError('conflicting options: --restart and --rm');
  if (restart.name !== 'no' && args.detach !== true) throw flagError('--restart', args.restart, 'needs -d (the box\'s supervisor restarts it in the background)');
  return {
    labels: parseLabels(list(args.label)),
    restartPolicy: restart,
    stopSignal: args['stop-signal'] === undefined ? DEFAULT_STOP_SIGNAL : parseSignal('--stop-signal', String(args['stop-signal'])),
    stopTimeout: args['stop-timeout'] === undefined ? DEFAULT_STOP_TIMEOUT : parseStopTimeout('--stop-timeout', args['stop-timeout']),
  };
}

/**
 * Docker's rule after the box's command ended by itself (never after `stop`): whether the supervisor starts it again.
 * `restarts` is how many times it was restarted already.
 */
export function shouldRestart(policy: RestartPolicy, exitCode: number, restarts: number, stoppedByUser: boolean): boolean {
  if (stoppedByUser) return false;
  switch (policy.name) {
    case 'no':
      return false;
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (policy.maximumRetryCount === 0 || restarts < policy.maximumRetryCount);
  }
}

/** Docker's back-off: 100 ms, doubled per consecutive restart, at most a minute. */
export function restartDelayMs(restarts: number): number {
  return Math.min(100 * 2 ** Math.min(restarts, 20), 60_000);
}
