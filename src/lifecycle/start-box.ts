// `run -d` and `run --name`: a recorded box. Its directory and undo list exist before the first step, so a crash
// at any point leaves something rm and gc can finish; a detached box is handed over to its reaper shell.

import { NsboxError, flagError } from '../errors.js';
import type { BoxDescription } from '../spec/box-description.js';
import type { CgroupRequest } from '../cgroup/request.js';
import { cgroupRequestFromFlags } from '../cgroup/flags.js';
import { buildRunPlan } from '../plan/build-run-plan.js';
import { explainPlan, planText } from '../plan/explain.js';
import { checkPlanTools, executePlan } from '../exec/executor.js';
import { hostRunner } from '../exec/runner.js';
import { injectFault } from '../exec/fault.js';
import type { DetachFiles, Plan, UndoStep } from '../plan/types.js';
import { describeState, boxDirOf, describeBoxDir, resolveStateRoot, type StatePaths } from '../state/paths.js';
import { createBoxDir, removeBoxDir, saveRecord } from '../state/store.js';
import { stampCgroupUndos } from '../cgroup/preexisting.js';
import { releaseLock } from '../state/lock.js';
import { releaseName, reserveName, validateName } from '../state/names.js';
import { identify } from '../state/proc-identity.js';
import type { BoxRecord, RecordedConfig } from '../state/record.js';
import type { Toolbox } from '../rootfs/toolbox.js';
import { buildNewRecord } from './new-record.js';
import { runUndoList } from './run-undo.js';
import { findInit, readRecordedNamespaces } from './find-init.js';
import { runRecordedForeground } from './run-foreground.js';
import { detachBoxNetwork } from '../net/box-network.js';
import { boxConfigFromFlags } from './box-config.js';
import { afterExitArgv, type LaunchRecipe } from './relaunch.js';

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
  readonly spec: BoxDescription;
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

/** Start a recorded box from a host-root description; resolves to nsbox's exit code. */
export async function startRecordedBox(spec: BoxDescription, args: Readonly<Record<string, unknown>>, title: string): Promise<number> {
  const withCgroup = (cgroup: CgroupRequest | undefined) => (cgroup === spec.cgroup ? spec : { ...spec, cgroup });
  return startRecorded(
    { spec, buildPlan: (cgroup, detach) => buildRunPlan(withCgroup(cgroup), title, detach ? { detach } : {}), recipe: (cgroup) => ({ kind: 'host', title, spec: withCgroup(cgroup) }) },
    args,
  );
}

/** Start a recorded box of any kind (host root or image); resolves to nsbox's exit code. */
export async function startRecorded(kind: RecordedBoxKind, args: Readonly<Record<string, unknown>>): Promise<number> {
  const spec = kind.spec;
  const detached = args.detach === true;
  const settings = boxConfigFromFlags(args);
  if (Array.isArray(args.name)) throw flagError('--name', args.name.join(' '), 'given more than once');
  const name = args.name === undefined ? undefined : validateName(String(args.name));
  const state = describeState(resolveStateRoot(args.state));
  const paths = describeBoxDir(boxDirOf(state, spec.id));
  // A restart policy or -d --rm: the supervisor hands over to nsbox when the box ends.
  const after = afterExitArgv(state, { id: spec.id, autoRemove: args.rm === true, restartPolicy: settings.restartPolicy });
  const { plan, cgroup } = planRecordedBox(kind, args, detached ? { log: paths.log, exitFile: paths.exit, ...(after ? { after } : {}) } : undefined);
  if (args['dry-run']) {
    process.stdout.write(planText(plan, args));
    return 0;
  }
  checkPlanTools(plan);
  if (args.explain) explainPlan(plan, args);
  const record = buildNewRecord(spec, plan, { name, detached, autoRemove: args.rm === true, image: kind.image, inheritEnv: kind.inheritEnv, toolbox: kind.toolbox, kept: kind.kept, config: kind.config, settings, entrypoint: kind.entrypoint, launch: kind.recipe?.(cgroup) });
  const run: RecordedRun = { state, record, plan, kept: kind.kept };
  await createRecordedBox(run);
  if (!detached) return runRecordedForeground(run, spec, args.json === true);
  await runDetached(run);
  process.stdout.write(`${spec.id}\n`);
  return 0;
}

/**
 * Every recorded box gets a cgroup, limits or not (a pids-only one on v1), so stop, stats, top and rm can reach all
 * of its processes. On a host without cgroups it goes without.
 */
function planRecordedBox(kind: RecordedBoxKind, args: Readonly<Record<string, unknown>>, detach: DetachFiles | undefined): { plan: Plan; cgroup: CgroupRequest | undefined } {
  const spec = kind.spec;
  if (spec.cgroup) return { plan: kind.buildPlan(spec.cgroup, detach), cgroup: spec.cgroup };
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
  if (run.record.name !== undefined) await releaseName(run.state, run.record.name, run.record.id);
  removeBoxDir(run.state, run.record.id);
}

/** Execute a detached plan; once the command runs, record who supervises it and let go. */
async function runDetached(run: RecordedRun): Promise<void> {
  try {
    await executePlan(run.plan, hostRunner, {
      onDetach: async (execution) => {
        // The supervisor outlives nsbox; the box (the reaper) is its child, and the command the reaper's child.
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
        releaseLock(describeBoxDir(boxDirOf(run.state, run.record.id)).lock);
      },
    });
  } catch (error) {
    await forgetBox(run).catch(() => undefined);
    throw error;
  }
}
