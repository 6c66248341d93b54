// `start`, `restart` and a box's supervisor launch a recorded box again from what its record keeps: the validated
// description (and, for an image box, the facts its plan was built from). The plan is the same as the first one's, detached,
// minus the container directory, which is kept (same upper layer, same name, same limits); the last run's cgroup,
// links, rules and lease are torn down by its undo list and made afresh, like a new `run -d`.

import { NsboxError } from '../errors.js';
import type { BoxDescription } from '../spec/box-description.js';
import type { ImageBoxDescription } from '../spec/image-box-description.js';
import type { ImagePlanFacts } from '../plan/build-image-plan.js';
import type { DetachFiles, Plan } from '../plan/types.js';
import { executePlan, checkPlanTools } from '../exec/executor.js';
import { hostRunner } from '../exec/runner.js';
import { identify } from '../state/proc-identity.js';
import { saveRecord } from '../state/store.js';
import { stampCgroupUndos } from '../cgroup/preexisting.js';
import { readExitFile } from '../state/status.js';
import type { BoxRecord } from '../state/record.js';
import type { StatePaths } from '../state/paths.js';
import { findInit, readRecordedNamespaces } from './find-init.js';
import { listPlannedUndos } from './new-record.js';
import { runUndoList } from './run-undo.js';
import { describeRecordedNetwork } from './record-network.js';
import type { OpenedBox } from './open-box.js';

export type LaunchRecipe =
  | { readonly kind: 'host'; readonly title: string; readonly spec: BoxDescription }
  | { readonly kind: 'image'; readonly title: string; readonly spec: ImageBoxDescription; readonly facts: ImagePlanFacts };

/**
 * The argv a detached box's supervisor becomes when the box has ended (it appends the exit status), or undefined
 * when nothing is to be done then: a restart policy restarts it, --rm removes it.
 */
export function afterExitArgv(state: StatePaths, record: Pick<BoxRecord, 'id' | 'autoRemove' | 'restartPolicy'>): string[] | undefined {
  if (!record.autoRemove && (record.restartPolicy?.name ?? 'no') === 'no') return undefined;
  // bin/nsbox runs `node BUNDLE -- ARGS`; the supervisor runs the same bundle with the same node.
  return [process.execPath, process.argv[1]!, '--', 'box-exited', '--state', state.root, record.id];
}

/**
 * The network of a box launched again: the same request, attached afresh by the network code's own seam (a new
 * lease, maybe another address; whatever the last run left is released first), so the plan's network steps wire it
 * as for a new box.
 */
export async function prepareNetworkAgain<T extends BoxDescription>(spec: T, stateRoot: string, name: string | undefined): Promise<T> {
  if (!spec.network) return spec;
  const { attachBoxNetwork, detachBoxNetwork } = await import('../net/box-network.js');
  detachBoxNetwork(spec.id, stateRoot);
  return { ...spec, network: attachBoxNetwork(spec.network.request, spec.id, stateRoot, name) };
}

/** The detached plan of a recorded box, built from its recipe (network resolved again). */
async function planAgain(recipe: LaunchRecipe, detach: DetachFiles, stateRoot: string, name: string | undefined, first: { readonly autoRemove: boolean } | undefined): Promise<{ plan: Plan; network: BoxDescription['network'] }> {
  if (recipe.kind === 'host') {
    const spec = await prepareNetworkAgain(recipe.spec, stateRoot, name);
    const { buildRunPlan } = await import('../plan/build-run-plan.js');
    return { plan: buildRunPlan(spec, recipe.title, { detach }), network: spec.network };
  }
  const box = await prepareNetworkAgain(recipe.spec.box, stateRoot, name);
  const { buildImagePlan } = await import('../plan/build-image-plan.js');
  // A box `nsbox create` made runs for the first time: its container directory is made now, as by `run -d`.
  const container = first ? { removedWithRecord: first.autoRemove } : { reuseContainer: true };
  return { plan: buildImagePlan({ ...recipe.spec, remove: false, box }, recipe.facts, recipe.title, { detach, ...container }), network: box.network };
}

/**
 * Launch a stopped box again (the caller holds its lock and has checked it is not running). Until the new run is
 * handed over, the record still says how the last run ended, so a failure (or a crash of nsbox) leaves it exited, not
 * dead, with the new run's undos recorded for rm. `restartCount` is the supervisor's count (start by hand keeps it).
 */
export async function relaunchBox(box: OpenedBox, restartCount = box.record.restartCount ?? 0, bySupervisor = false, backoffStep = 0): Promise<BoxRecord> {
  const record = box.record;
  const recipe = record.launch;
  if (!recipe) throw new NsboxError(`cannot start box ${record.name ?? record.id.slice(0, 12)}: its record has no launch recipe (made by an older nsbox)`, { hint: 'remove it and run it again' });
  const lastExit = record.exit ?? (() => {
    const file = readExitFile(box.paths.exit);
    return file ? { ...file, oomKilled: false } : undefined;
  })();
  // What the box keeps (its container directory) is the first undo; the rest belongs to the last run.
  const kept = recipe.kind === 'image' ? record.undo.filter((u) => u.kind === 'remove' && u.path === recipe.facts.container.dir) : [];
  await runUndoList(record.undo.filter((u) => !kept.includes(u)));
  const detach: DetachFiles = { log: box.paths.log, streamLog: box.paths.streams, exitFile: box.paths.exit, after: afterExitArgv(box.state, record), attachSocket: box.paths.attach, stdinFifo: box.paths.stdin };
  const created = record.phase === 'created';
  const { plan, network } = await planAgain(recipe, detach, box.state.root, record.name, created ? { autoRemove: record.autoRemove } : undefined).catch(async (error: unknown) => {
    // Refused at plan time (a cgroup that exists already, a frozen parent): the fresh lease goes back.
    if ((recipe.kind === 'image' ? recipe.spec.box.network : recipe.spec.network) !== undefined) (await import('../net/box-network.js')).detachBoxNetwork(record.id, box.state.root);
    throw error;
  });
  checkPlanTools(plan);
  const starting: BoxRecord = {
    ...record,
    phase: 'started',
    owner: identify(process.pid)!,
    detached: true,
    supervisor: undefined,
    reaper: undefined,
    init: undefined,
    cgroup: plan.cgroup,
    undo: [...kept, ...listPlannedUndos(plan)],
    exit: lastExit ?? { code: 0, finishedAt: new Date().toISOString(), oomKilled: false },
    stoppedByUser: false,
    relaunching: bySupervisor,
    restartCount,
    backoffStep,
    ...(network !== undefined || record.network !== undefined ? { network: describeRecordedNetwork(network) } : {}),
  };
  saveRecord(box.state, starting);
  let started: BoxRecord | undefined;
  try {
    await executePlan(plan, hostRunner, {
      onDetach: async (execution) => {
        const init = await findInit(execution.pids.box!, true, 200);
        started = { ...starting, undo: stampCgroupUndos(starting.undo), supervisor: identify(execution.box!.pid), reaper: identify(execution.pids.box!), init, namespaces: init ? readRecordedNamespaces(init.pid) : {}, exit: undefined, relaunching: false, startedAt: new Date().toISOString() };
        saveRecord(box.state, started);
      },
    });
  } catch (error) {
    // Rolled back by the executor: the box is as stopped as before (its network lease went with the rollback).
    if (network?.reserved) (await import('../net/box-network.js')).detachBoxNetwork(record.id, box.state.root);
    // A box that never ran stays Created (its planned undos are kept for rm), without the container directory its
    // first run made: the next start makes it again.
    if (created) await runUndoList(kept);
    saveRecord(box.state, { ...starting, relaunching: false, ...(created ? { phase: 'created' as const, exit: undefined } : {}) });
    throw error;
  }
  return started!;
}
