// stop: SIGTERM to the command, SIGKILL to the whole box after the grace period (a PID 1 without a handler ignores
// SIGTERM), then wait until the supervisor has recorded the exit and no process is left.

import { NsboxError } from '../errors.js';
import { withLock } from '../state/lock.js';
import { refreshBox, type OpenedBox } from './open-box.js';
import { killAll, signalInit, waitForEmptyCgroup, waitForEnd } from './signal-box.js';
import { detachBoxNetwork } from '../net/box-network.js';

/** Stop a running box (a stopped one is left as it is); `graceSeconds` before SIGKILL. */
export async function stopBox(box: OpenedBox, graceSeconds: number): Promise<void> {
  await withLock(box.paths.lock, `box ${box.record.id.slice(0, 12)}`, async () => {
    const { record, now } = refreshBox(box);
    if (now.status !== 'running') {
      // Ended by itself: what it held on its network goes now (start takes a fresh lease).
      detachBoxNetwork(record.id, box.state.root);
      return;
    }
    if (graceSeconds > 0 && signalInit(record, 'SIGTERM') && (await waitForEnd(record, graceSeconds * 1000))) {
      // PID 1 ended; with no pid namespace, its children may live on: they go too.
      killAll(record);
      await waitForEmptyCgroup(record, 5000);
    } else await killBox(box);
    // Off its network: its -p rules, lease and peers' hosts lines must not outlive it (a new box may get its address).
    detachBoxNetwork(record.id, box.state.root);
  }, (graceSeconds + 30) * 1000);
}

/** SIGKILL everything in the box and wait for the end (callers hold the lock). */
export async function killBox(box: OpenedBox): Promise<void> {
  const record = box.record;
  killAll(record);
  if (!(await waitForEnd(record, 10_000))) throw new NsboxError(`cannot stop box ${record.id.slice(0, 12)}: its supervisor (PID ${record.supervisor?.pid}) did not exit`);
  killAll(record); // stragglers of a box without a pid namespace
  await waitForEmptyCgroup(record, 5000);
}
