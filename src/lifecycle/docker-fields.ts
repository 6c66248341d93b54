// Docker's words for a box's state ("running", "Up 5 seconds", "Exited (137) 5 seconds ago") and the record fields
// that the restart/label features add (read here once, so inspect and ps show them as soon as records carry them).

import type { BoxRecord } from '../state/record.js';
import type { BoxState } from '../state/status.js';
import { describeDuration } from './format.js';
import { isFrozen } from './freeze-box.js';

/** Record fields other features add; all optional, so older records read as Docker's defaults. */
interface LifecycleRecordFields {
  readonly labels?: Readonly<Record<string, string>>;
  readonly restartPolicy?: { readonly name: string; readonly maximumRetryCount?: number };
  readonly restartCount?: number;
  /** The supervisor is launching the command again (ps: "Restarting (N) ..."). */
  readonly relaunching?: boolean;
  readonly stopSignal?: string;
  readonly stopTimeout?: number;
  /** The entrypoint part of `command` (--entrypoint or the image's). */
  readonly entrypoint?: readonly string[];
  /** ISO time the current (or last) run's command started. */
  readonly startedAt?: string;
}

export interface LifecycleFields {
  readonly labels: Readonly<Record<string, string>>;
  readonly restartPolicy: { readonly Name: string; readonly MaximumRetryCount: number };
  readonly restartCount: number;
  readonly restarting: boolean;
  readonly stopSignal: string;
  readonly stopTimeout: number | undefined;
  readonly entrypoint: readonly string[] | undefined;
  readonly startedAt: string | undefined;
  /** Frozen by `pause` (read from its freezer cgroup now). */
  readonly paused: boolean;
}

/** The optional fields with Docker's defaults. */
export function lifecycleFields(record: BoxRecord): LifecycleFields {
  const r = record as BoxRecord & LifecycleRecordFields;
  return {
    labels: { ...(r.labels ?? {}) },
    restartPolicy: { Name: r.restartPolicy?.name ?? 'no', MaximumRetryCount: r.restartPolicy?.maximumRetryCount ?? 0 },
    restartCount: r.restartCount ?? 0,
    restarting: r.relaunching === true,
    stopSignal: r.stopSignal ?? 'SIGTERM',
    stopTimeout: r.stopTimeout,
    entrypoint: r.entrypoint,
    startedAt: r.startedAt,
    paused: isFrozen(record),
  };
}

/** Docker's State.Status: created, running, paused, restarting, exited or dead. */
export function describeDockerState(state: BoxState, extra: Pick<LifecycleFields, 'restarting'> & Partial<Pick<LifecycleFields, 'paused'>>): string {
  if (extra.restarting || state.status === 'restarting') return 'restarting';
  if (state.status === 'running' && extra.paused) return 'paused';
  return state.status === 'creating' ? 'created' : state.status;
}

/** Docker's STATUS column: "Up 5 seconds", "Up 5 seconds (Paused)", "Exited (137) 5 seconds ago", "Restarting (1) 2 seconds ago", "Created", "Dead". */
export function describeDockerStatus(state: BoxState, startedAt: string, extra: Pick<LifecycleFields, 'restarting'> & Partial<Pick<LifecycleFields, 'paused'>>, now = Date.now()): string {
  const since = (iso: string | undefined) => describeDuration(now - Date.parse(iso ?? startedAt));
  if (extra.restarting || state.status === 'restarting') return `Restarting (${state.exitCode ?? 0}) ${since(state.finishedAt)} ago`;
  switch (state.status) {
    case 'running':
      return `Up ${since(startedAt)}${extra.paused ? ' (Paused)' : ''}`;
    case 'exited':
      return `Exited (${state.exitCode}) ${since(state.finishedAt)} ago`;
    case 'dead':
      return 'Dead';
    case 'creating':
    case 'created':
      return 'Created';
  }
}
