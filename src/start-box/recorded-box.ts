// The bookkeeping half of starting a recorded box (`run -d`, `run --name`, every image box): its state directory
// and lock exist before the first step, then its name, its record (phase, processes, namespaces, undo list) as it
// starts and as it ends, so a crash at any point leaves something rm and gc can finish. No plan is run here.

import { NsboxError } from '../errors.js';
import type { BoxDescription } from '../spec/box-description.js';
import type { CgroupRequest } from '../cgroup/request.js';
import { cgroupRequestFromFlags } from '../cgroup/flags.js';
import { injectFault } from '../exec/fault.js';
import type { Execution } from '../exec/executor.js';
import type { DetachFiles, Plan, UndoStep } from '../plan/types.js';
import { boxDirOf, describeBoxDir, type StatePaths } from '../state/paths.js';
import { createBoxDir, readRecordAt, removeBoxDir, saveRecord } from '../state/store.js';
import { stampCgroupUndos } from '../cgroup/preexisting.js';
import { releaseLock } from '../state/lock.js';
import { releaseName, reserveName } from '../state/names.js';
import { identify } from '../state/proc-identity.js';
import type { BoxRecord, RecordedConfig } from '../state/record.js';
import type { Toolbox } from '../rootfs/toolbox.js';
import { runUndoList } from '../lifecycle/run-undo.js';
import { findInit, readRecordedNamespaces } from '../lifecycle/find-init.js';
import { detachBoxNetwork } from '../net/box-network.js';
import type { LaunchRecipe } from '../lifecycle/relaunch.js';

export interface RecordedRun {
  readonly state: StatePaths;
  readonly record: BoxRecord;
  readonly plan: Plan;
  /** Undos that outlive the box's run (an image box's container directory): rm runs them, a foreground exit does not. */
  readonly kept?: readonly UndoStep[];
}

/** How to start one kind of recorded box: its plan for a given cgroup (and detach files), and what the record adds. */
export interface RecordedBoxKind {
  /** The box as recorded (id, command, environment, user, namespaces, cgroup request). */
  readonly description: BoxDescription;
  readonly buildPlan: (cgroup: CgroupRequest | undefined, detach: DetachFiles | undefined) => Plan;
  /** "name:tag" of an image box. */
  readonly image?: string;
  /** Image boxes: the recorded environment is the whole of it. */
  readonly inheritEnv?: boolean;
  /** Image boxes: the toolbox mounted in the box. */
  readonly toolbox?: Toolbox;
  readonly kept?: readonly UndoStep[];
  /** What inspect shows of the flags (image boxes: the image's Entrypoint/Cmd, volumes, capabilities). */
  readonly config?: RecordedConfig;
  readonly entrypoint?: readonly string[];
  /** How to launch it again (start, restart, the supervisor), given the cgroup request the plan got. */
  readonly recipe?: (cgroup: CgroupRequest | undefined) => LaunchRecipe;
}

/**
 * Every recorded box gets a cgroup, limits or not (a pids-only one on v1), so stop, stats, top and rm can reach all
 * of its processes. On a host without cgroups it goes without.
 */
export function planRecordedBox(kind: RecordedBoxKind, args: Readonly<Record<string, unknown>>, detach: DetachFiles | undefined): { plan: Plan; cgroup: CgroupRequest | undefined } {
  const description = kind.description;
  if (description.cgroup) return { plan: kind.buildPlan(description.cgroup, detach), cgroup: description.cgroup };
  const parent = args['cgroup-parent'] ?? (process.env.NSBOX_CGROUP_PARENT || 'nsbox');
  const tracking = cgroupRequestFromFlags({ ...args, 'cgroup-parent': parent });
  try {
    return { plan: kind.buildPlan(tracking, detach), cgroup: tracking };
  } catch (error) {
    if (!(error instanceof NsboxError) || !/no cgroup filesystem/.test(error.message)) throw error;
    return { plan: kind.buildPlan(undefined, detach), cgroup: undefined };
  }
}

/** The box's directory (locked by us, phase 'creating'), then its name: a taken name undoes the directory. */
export async function createRecordedBox(run: RecordedRun): Promise<void> {
  createBoxDir(run.state, run.record);
  injectFault('created');
  if (run.record.name !== undefined) {
    try {
      await reserveName(run.state, run.record.name, run.record.id);
    } catch (error) {
      removeBoxDir(run.state, run.record.id);
      throw error;
    }
  }
  injectFault('named');
}

/** On a failed start (already rolled back by the executor), or a --rm box's end: forget the box and what it kept. */
export async function forgetBox(run: RecordedRun): Promise<void> {
  detachBoxNetwork(run.record.id, run.state.root);
  if (run.kept) await runUndoList(run.kept);
  // Its name now, too: `nsbox rename` may have given it another while it ran.
  const current = readRecordAt(describeBoxDir(boxDirOf(run.state, run.record.id)).record)?.name;
  for (const name of new Set([run.record.name, current])) if (name !== undefined) await releaseName(run.state, name, run.record.id);
  removeBoxDir(run.state, run.record.id);
}

export function unlockBox(run: RecordedRun): void {
  releaseLock(describeBoxDir(boxDirOf(run.state, run.record.id)).lock);
}

/** Foreground, once released: the box is running; record its processes and namespaces, and let other commands at it. */
export async function recordForegroundStart(run: RecordedRun, boxPid: number, viaReaper: boolean): Promise<BoxRecord> {
  const init = await findInit(boxPid, viaReaper);
  const record: BoxRecord = {
    ...run.record,
    phase: 'started',
    supervisor: identify(boxPid),
    init,
    namespaces: init ? readRecordedNamespaces(init.pid) : {},
    startedAt: new Date().toISOString(),
    undo: stampCgroupUndos(run.record.undo),
  };
  saveRecord(run.state, record);
  unlockBox(run);
  return record;
}

/** Foreground, once ended: the executor has run every undo; nothing is left for rm but the record and what it keeps. */
export async function recordForegroundExit(run: RecordedRun, record: BoxRecord, code: number, oomKilled: boolean): Promise<void> {
  if (record.autoRemove) return forgetBox(run);
  const exit = { code, finishedAt: new Date().toISOString(), oomKilled };
  try {
    // Its name as it is now: `nsbox rename` may have changed it while the box ran.
    const name = readRecordAt(describeBoxDir(boxDirOf(run.state, record.id)).record)?.name ?? record.name;
    saveRecord(run.state, { ...record, name, phase: 'started', undo: [...(run.kept ?? [])], exit });
  } catch {
    // removed meanwhile (nsbox rm -f): nothing to record
  }
}

/**
 * `nsbox create`: nothing ran. The record says so (phase 'created'; to undo, only what the box keeps), and its address
 * lease goes back until `start` takes one, as for a stopped box.
 */
export async function recordCreated(run: RecordedRun): Promise<void> {
  try {
    saveRecord(run.state, { ...run.record, phase: 'created', undo: [...(run.kept ?? [])] });
    detachBoxNetwork(run.record.id, run.state.root);
  } finally {
    unlockBox(run);
  }
}

/** Detached, once the command runs: record who supervises it and let go (the supervisor outlives nsbox). */
export async function recordDetachedStart(run: RecordedRun, execution: Execution): Promise<void> {
  // The box (the reaper) is the supervisor's child, and the command the reaper's child.
  const supervisor = identify(execution.box!.pid);
  const reaper = identify(execution.pids.box!);
  const init = await findInit(execution.pids.box!, true, 200);
  saveRecord(run.state, {
    ...run.record,
    phase: 'started',
    supervisor,
    reaper,
    init,
    namespaces: init ? readRecordedNamespaces(init.pid) : {},
    startedAt: new Date().toISOString(),
    undo: stampCgroupUndos(run.record.undo),
  });
  injectFault('recorded');
  unlockBox(run);
}
