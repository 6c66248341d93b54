// A recorded box from plan to running: the bookkeeping (recorded-box.ts) around one run of the plan (run-plan.ts),
// in the foreground (`run --name`: nsbox waits, then records how it ended) or detached (`run -d`: handed over to
// its supervisor). Loaded only for recorded boxes (start-up time of a plain `nsbox run`).

import { flagError } from '../errors.js';
import { hasReaper } from '../plan/build-run-plan.js';
import { explainPlan, planText } from '../plan/explain.js';
import { checkPlanTools } from '../exec/executor.js';
import { describeState, boxDirOf, describeBoxDir, resolveStateRoot } from '../state/paths.js';
import { validateName } from '../state/names.js';
import { checkCidFile, cidFileOf, createCidFile } from '../lifecycle/cid-file.js';
import type { BoxRecord } from '../state/record.js';
import type { BoxDescription } from '../spec/box-description.js';
import { buildNewRecord } from '../lifecycle/new-record.js';
import { boxConfigFromFlags } from '../lifecycle/box-config.js';
import { afterExitArgv } from '../lifecycle/relaunch.js';
import { detachBoxNetwork } from '../net/box-network.js';
import { runDetached, runForeground, type StartMode } from './run-plan.js';
import { createRecordedBox, forgetBox, planRecordedBox, recordCreated, recordDetachedStart, recordForegroundExit, recordForegroundStart, unlockBox, type RecordedBoxKind, type RecordedRun } from './recorded-box.js';

/** Plan, show, record and start a recorded box; resolves to nsbox's exit code. */
export async function startRecorded(kind: RecordedBoxKind, mode: Exclude<StartMode, 'oci-created'>, args: Readonly<Record<string, unknown>>): Promise<number> {
  const description = kind.description;
  // create-only plans the detached run `start` will make, and records it without running it.
  const detached = mode !== 'foreground';
  const settings = boxConfigFromFlags(args);
  if (Array.isArray(args.name)) throw flagError('--name', args.name.join(' '), 'given more than once');
  const name = args.name === undefined ? undefined : validateName(String(args.name));
  const cidPath = cidFileOf(args);
  if (cidPath !== undefined) checkCidFile(cidPath);
  const state = describeState(resolveStateRoot(args.state));
  const paths = describeBoxDir(boxDirOf(state, description.id));
  // A restart policy or -d --rm: the supervisor hands over to nsbox when the box ends.
  const after = afterExitArgv(state, { id: description.id, autoRemove: args.rm === true, restartPolicy: settings.restartPolicy });
  const { plan, cgroup } = planRecordedBox(kind, args, detached ? { log: paths.log, streamLog: paths.streams, exitFile: paths.exit, ...(after ? { after } : {}), attachSocket: paths.attach, stdinFifo: paths.stdin } : undefined);
  if (args['dry-run']) {
    process.stdout.write(planText(plan, args));
    return 0;
  }
  checkPlanTools(plan);
  if (args.explain) explainPlan(plan, args);
  const record = buildNewRecord(description, plan, { name, detached, autoRemove: args.rm === true, image: kind.image, inheritEnv: kind.inheritEnv, toolbox: kind.toolbox, kept: kind.kept, config: kind.config, settings, entrypoint: kind.entrypoint, launch: kind.recipe?.(cgroup) });
  const run: RecordedRun = { state, record, plan, kept: kind.kept };
  // Made before the box, written once it is recorded, removed when the box is not made after all (Docker's order).
  const cid = cidPath === undefined ? undefined : createCidFile(cidPath);
  try {
    return await createAndStart(run, description, mode, args, () => cid?.write(description.id));
  } catch (error) {
    cid?.remove();
    throw error;
  }
}

/** Record the box (then `created`), and run it in `mode`. */
async function createAndStart(run: RecordedRun, description: BoxDescription, mode: Exclude<StartMode, 'oci-created'>, args: Readonly<Record<string, unknown>>, created: () => void): Promise<number> {
  await createRecordedBox(run);
  created();
  if (mode === 'foreground') return startForeground(run, description, args.json === true);
  if (mode === 'create-only') {
    await recordCreated(run);
    process.stdout.write(`${description.id}\n`);
    return 0;
  }
  try {
    await runDetached(run.plan, (execution) => recordDetachedStart(run, execution));
  } catch (error) {
    await forgetBox(run).catch(() => undefined);
    throw error;
  }
  process.stdout.write(`${description.id}\n`);
  return 0;
}

/** Run while nsbox waits, record the start and the exit (or remove the box with --rm); resolves to the exit code. */
async function startForeground(run: RecordedRun, description: BoxDescription, json: boolean): Promise<number> {
  const viaReaper = hasReaper(description, false);
  let started: Promise<BoxRecord> | undefined;
  try {
    const result = await runForeground(run.plan, {
      viaReaper,
      tty: description.process.tty,
      json,
      id: run.record.id,
      onReleased: (boxPid) => (started = recordForegroundStart(run, boxPid, viaReaper)),
    });
    // The box ended: off its network at once (peers' /etc/hosts lose it; start takes a fresh lease).
    detachBoxNetwork(run.record.id, run.state.root);
    const record = (await started?.catch(() => undefined)) ?? run.record;
    await recordForegroundExit(run, record, result.code, result.oomKilled);
    return result.code;
  } catch (error) {
    await forgetBox(run).catch(() => undefined);
    throw error;
  } finally {
    unlockBox(run);
  }
}
