// stop: SIGTERM to the command, SIGKILL to the whole box after the grace period (a PID 1 without a handler ignores
// SIGTERM), then wait until the supervisor has recorded the exit and no process is left.

import { NsboxError } from '../errors.js';
import { withLock } from '../state/lock.js';
import { refreshBox, type OpenedBox } from './open-box.js';
import { killAll, signalInit, waitForEmptyCgroup, waitForEnd } from './signal-box.js';
import { detachBoxNetwork } from '../net/box-network.js';
import { saveRecord } from '../state/store.js';
import { DEFAULT_STOP_SIGNAL, DEFAULT_STOP_TIMEOUT } from './box-config.js';
import { thawBox } from './freeze-box.js';

/**
 * Stop a running box (a stopped one is left as it is): its stop signal (--stop-signal, SIGTERM), then SIGKILL after
 * `graceSeconds` (default: its --stop-timeout, 10). Marks it stopped by hand, so its restart policy leaves it stopped.
 */
export async function stopBox(box: OpenedBox, graceSeconds?: number): Promise<void> {
  const grace = graceSeconds ?? box.record.stopTimeout ?? DEFAULT_STOP_TIMEOUT;
  await withLock(box.paths.lock, `box ${box.record.id.slice(0, 12)}`, async () => {
    const current = refreshBox(box);
    const { now } = current;
    if (now.status !== 'running' && now.status !== 'restarting') {
      // Ended by itself: what it held on its network goes now (start takes a fresh lease).
      detachBoxNetwork(current.record.id, box.state.root);
      return;
    }
    const record = { ...current.record, stoppedByUser: true };
    saveRecord(box.state, record);
    // Waiting to restart: the supervisor sees the mark within 100 ms and leaves it stopped.
    if (now.status === 'restarting') return void detachBoxNetwork(record.id, box.state.root);
    const signal = (record.stopSignal ?? DEFAULT_STOP_SIGNAL) as NodeJS.Signals;
    const sent = grace > 0 && signalInit(record, signal);
    await thawBox(record); // paused: the signal takes effect once the box thaws, as Docker stops a paused box
    if (sent && (await waitForEnd(record, grace * 1000, box.paths.exit))) {
      // PID 1 ended; with no pid namespace, its children may live on: they go too.
      killAll(record);
      await waitForEmptyCgroup(record, 5000);
    } else await killBox({ ...current, record });
    // Off its network: its -p rules, lease and peers' hosts lines must not outlive it (a new box may get its address).
    detachBoxNetwork(record.id, box.state.root);
  }, (grace + 30) * 1000);
}

/** SIGKILL everything in the box and wait for the end (callers hold the lock). */
export async function killBox(box: OpenedBox): Promise<void> {
  const record = box.record;
  killAll(record);
  await thawBox(record); // a frozen (v1) process dies of SIGKILL only once thawed
  if (!(await waitForEnd(record, 10_000, box.paths.exit))) throw new NsboxError(`cannot stop box ${record.id.slice(0, 12)}: its supervisor (PID ${record.supervisor?.pid}) did not exit`);
  killAll(record); // stragglers of a box without a pid namespace
  await waitForEmptyCgroup(record, 5000);
}
