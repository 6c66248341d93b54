// `run --name X` without -d: a recorded box that nsbox waits for, like plain `run`, then records how it ended.

import type { BoxDescription } from '../spec/box-description.js';
import { executePlan, exitCodeOf } from '../exec/executor.js';
import { hasReaper } from '../plan/build-run-plan.js';
import { hostRunner } from '../exec/runner.js';
import { findCommandPid, forwardSignals } from '../exec/signals.js';
import { readCgroupOutcome, type CgroupOutcome } from '../cgroup/outcome.js';
import { boxDirOf, describeBoxDir } from '../state/paths.js';
import { releaseLock } from '../state/lock.js';
import { identify } from '../state/proc-identity.js';
import { saveRecord } from '../state/store.js';
import { stampCgroupUndos } from '../cgroup/preexisting.js';
import type { BoxRecord } from '../state/record.js';
import { findInit, readRecordedNamespaces } from './find-init.js';
import { forgetBox, type RecordedRun } from './start-box.js';
import { detachBoxNetwork } from '../net/box-network.js';

/** Run, forward signals, record the exit (or remove the box with --rm); resolves to the command's exit code. */
export async function runRecordedForeground(run: RecordedRun, spec: BoxDescription, json = false): Promise<number> {
  const viaReaper = hasReaper(spec, false);
  const abort: { aborted: NodeJS.Signals | undefined } = { aborted: undefined };
  let boxPid: number | undefined;
  let started: Promise<BoxRecord> | undefined;
  const signals = forwardSignals(
    () => (boxPid !== undefined ? findCommandPid(boxPid, viaReaper) : undefined),
    (signal) => (abort.aborted = signal),
    spec.process.tty ? ['SIGWINCH'] : [],
  );
  let outcome: CgroupOutcome | undefined;
  try {
    const status = await executePlan(run.plan, hostRunner, {
      abortSignal: abort,
      onReleased: (execution) => {
        boxPid = execution.pids.box;
        started = markStarted(run, boxPid!, viaReaper);
      },
      beforeTeardown: () => {
        if (run.plan.cgroup) outcome = readCgroupOutcome(run.plan.cgroup);
      },
    });
    // The box ended: off its network at once (peers' /etc/hosts lose it; start takes a fresh lease).
    detachBoxNetwork(run.record.id, run.state.root);
    const raw = exitCodeOf(status);
    const code = outcome?.oomKilled && raw !== 0 ? 137 : raw;
    if (json) {
      const result = { id: run.record.id, exitCode: code, signal: status.signal, oomKilled: outcome?.oomKilled ?? false, message: outcome?.message ?? null, cgroup: outcome?.facts ?? null };
      process.stderr.write(`${JSON.stringify(result)}\n`);
    } else if (outcome?.message) process.stderr.write(`nsbox: ${outcome.message}\n`);
    const record = (await started?.catch(() => undefined)) ?? run.record;
    if (record.autoRemove) await forgetBox(run);
    else {
      // The executor has run every undo at teardown: nothing is left for rm but the record and what the box keeps.
      const exit = { code, finishedAt: new Date().toISOString(), oomKilled: outcome?.oomKilled ?? false };
      try {
        saveRecord(run.state, { ...record, phase: 'started', undo: [...(run.kept ?? [])], exit });
      } catch {
        // removed meanwhile (nsbox rm -f): nothing to record
      }
    }
    return code;
  } catch (error) {
    await forgetBox(run).catch(() => undefined);
    throw error;
  } finally {
    signals.dispose();
    releaseLock(describeBoxDir(boxDirOf(run.state, run.record.id)).lock);
  }
}

/** Once released: the box is running; record its processes and namespaces, and let other commands at it. */
async function markStarted(run: RecordedRun, boxPid: number, viaReaper: boolean): Promise<BoxRecord> {
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
  releaseLock(describeBoxDir(boxDirOf(run.state, run.record.id)).lock);
  return record;
}
