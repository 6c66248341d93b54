// The box record kept in state.json: what a box is, what it runs, and what tearing it down takes.
// Whether it runs is never stored: status.ts derives it from /proc on every read.

import type { BoxCgroup } from '../cgroup/plan-cgroup.js';
import type { NamespaceName } from '../host/namespaces.js';
import type { UndoStep } from '../plan/types.js';
import type { ProcessIdentity } from './proc-identity.js';

export const RECORD_VERSION = 1;

/** 'creating' until set-up is done (its owner is the nsbox that creates it); then 'started'. */
export type BoxPhase = 'creating' | 'started';

export interface BoxRecord {
  readonly version: typeof RECORD_VERSION;
  /** 64 hex digits. */
  readonly id: string;
  readonly name: string | undefined;
  /** ISO time. */
  readonly created: string;
  readonly phase: BoxPhase;
  /** The nsbox process that creates (and, in the foreground, waits for) the box. */
  readonly owner: ProcessIdentity;
  readonly detached: boolean;
  /** --rm: removed as soon as it exits (by its foreground nsbox, or by gc). */
  readonly autoRemove: boolean;
  /** The image it runs, for image boxes. */
  readonly image: string | undefined;
  readonly command: readonly string[];
  readonly process: RecordedProcess;
  /** The process whose life is the box's: the reaper shell (or the box process itself without one). */
  readonly supervisor: ProcessIdentity | undefined;
  /** The command, PID 1 of a pid namespace: what exec enters and stop signals. */
  readonly init: ProcessIdentity | undefined;
  readonly namespaces: Readonly<Partial<Record<NamespaceName, number>>>;
  readonly cgroup: BoxCgroup | undefined;
  /** Mount points the box made on the host, for inspect (their undo is in `undo`). */
  readonly mounts: readonly string[];
  /** Teardown, in creation order (run newest first): every feature registers what it made here. */
  readonly undo: readonly UndoStep[];
  /** Set by the foreground nsbox when it saw the box end (detached boxes: the exit file). */
  readonly exit: RecordedExit | undefined;
}

export interface RecordedProcess {
  /** Variables set on top of the inherited environment (`inheritEnv`) or, for image boxes, the whole of it. */
  readonly env: Readonly<Record<string, string>>;
  readonly inheritEnv: boolean;
  readonly workdir: string | undefined;
  readonly runAs: { readonly uid: number; readonly gid: number } | undefined;
}

export interface RecordedExit {
  readonly code: number;
  readonly finishedAt: string;
  readonly oomKilled: boolean;
}

/** Parse a state.json text; undefined when it is not a record this nsbox understands. */
export function parseRecord(text: string): BoxRecord | undefined {
  try {
    const value = JSON.parse(text) as BoxRecord;
    if (value.version !== RECORD_VERSION || typeof value.id !== 'string' || !/^[0-9a-f]{64}$/.test(value.id)) return undefined;
    return value;
  } catch {
    return undefined;
  }
}
