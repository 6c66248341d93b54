// `run -d` and `run --name`: a recorded box. Its directory and undo list exist before the first step, so a crash
// at any point leaves something rm and gc can finish; a detached box is handed over to its reaper shell.

import { NsboxError, flagError } from '../errors.js';
import type { BoxSpec } from '../spec/box-spec.js';
import { cgroupRequestFromFlags } from '../cgroup/flags.js';
import { buildRunPlan } from '../plan/build-run-plan.js';
import { renderShell } from '../plan/render-shell.js';
import { checkPlanTools, executePlan } from '../exec/executor.js';
import { hostRunner } from '../exec/runner.js';
import { injectFault } from '../exec/fault.js';
import type { Plan } from '../plan/types.js';
import { describeState, boxDirOf, describeBoxDir, resolveStateRoot, type StatePaths } from '../state/paths.js';
import { createBoxDir, removeBoxDir, saveRecord } from '../state/store.js';
import { releaseLock } from '../state/lock.js';
import { releaseName, reserveName, validateName } from '../state/names.js';
import { identify } from '../state/proc-identity.js';
import type { BoxRecord } from '../state/record.js';
import { buildNewRecord } from './new-record.js';
import { findInit, readRecordedNamespaces } from './find-init.js';
import { runRecordedForeground } from './run-foreground.js';

export interface RecordedRun {
  readonly state: StatePaths;
  readonly record: BoxRecord;
  readonly plan: Plan;
}

/** Start a recorded box from a host-root spec; resolves to nsbox's exit code. */
export async function startRecordedBox(spec: BoxSpec, args: Readonly<Record<string, unknown>>, title: string): Promise<number> {
  const detached = args.detach === true;
  if (Array.isArray(args.name)) throw flagError('--name', args.name.join(' '), 'given more than once');
  const name = args.name === undefined ? undefined : validateName(String(args.name));
  const state = describeState(resolveStateRoot(args.state));
  const paths = describeBoxDir(boxDirOf(state, spec.id));
  const plan = planRecordedBox(spec, args, title, detached ? { log: paths.log, exitFile: paths.exit } : undefined);
  if (args['dry-run']) {
    process.stdout.write(renderShell(plan));
    return 0;
  }
  checkPlanTools(plan);
  if (args.explain) process.stderr.write(renderShell(plan));
  const record = buildNewRecord(spec, plan, { name, detached, autoRemove: args.rm === true });
  const run: RecordedRun = { state, record, plan };
  await createRecordedBox(run);
  if (!detached) return runRecordedForeground(run, spec);
  await runDetached(run);
  process.stdout.write(`${spec.id}\n`);
  return 0;
}

/**
 * Every recorded box gets a cgroup, limits or not (a pids-only one on v1), so stop, stats, top and rm can reach all
 * of its processes. On a host without cgroups it goes without.
 */
function planRecordedBox(spec: BoxSpec, args: Readonly<Record<string, unknown>>, title: string, detach: { log: string; exitFile: string } | undefined): Plan {
  const options = detach ? { detach } : {};
  if (spec.cgroup) return buildRunPlan(spec, title, options);
  const parent = args['cgroup-parent'] ?? (process.env.NSBOX_CGROUP_PARENT || 'nsbox');
  const tracking = cgroupRequestFromFlags({ ...args, 'cgroup-parent': parent });
  try {
    return buildRunPlan({ ...spec, cgroup: tracking }, title, options);
  } catch (error) {
    if (!(error instanceof NsboxError) || !/no cgroup filesystem/.test(error.message)) throw error;
    return buildRunPlan(spec, title, options);
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

/** On a failed start (already rolled back by the executor): forget the box. */
export async function forgetBox(run: RecordedRun): Promise<void> {
  if (run.record.name !== undefined) await releaseName(run.state, run.record.name, run.record.id);
  removeBoxDir(run.state, run.record.id);
}

/** Execute a detached plan; once the command runs, record who supervises it and let go. */
async function runDetached(run: RecordedRun): Promise<void> {
  try {
    await executePlan(run.plan, hostRunner, {
      onDetach: async (execution) => {
        const boxPid = execution.pids.box!;
        const supervisor = identify(boxPid);
        const init = await findInit(boxPid, true, 200);
        saveRecord(run.state, {
          ...run.record,
          phase: 'started',
          supervisor,
          init,
          namespaces: init ? readRecordedNamespaces(init.pid) : {},
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
