// What a detached box's supervisor does once the box has ended (it becomes `nsbox box-exited ID STATUS`): remove a
// --rm box at once, or carry out the restart policy after Docker's back-off. Acts only while the record still names
// this very process as the box's supervisor (a `start` or `rm` by hand meanwhile wins).

import { setTimeout as sleep } from 'node:timers/promises';
import { withLock } from '../state/lock.js';
import { releaseName } from '../state/names.js';
import { identify } from '../state/proc-identity.js';
import { readRecordAt, removeBoxDir } from '../state/store.js';
import type { BoxRecord } from '../state/record.js';
import type { StatePaths } from '../state/paths.js';
import { boxDirOf, describeBoxDir } from '../state/paths.js';
import { restartDelayMs, shouldRestart, NO_RESTART } from './box-config.js';
import { relaunchBox } from './relaunch.js';
import { runUndoList } from './run-undo.js';

/** Remove or restart box `id`, which ended with `status`; resolves when done (or when it is not ours to act on). */
export async function handleBoxExit(state: StatePaths, id: string, status: number): Promise<void> {
  const paths = describeBoxDir(boxDirOf(state, id));
  const self = identify(process.pid);
  const ours = (r: BoxRecord | undefined): r is BoxRecord => !!r && r.phase === 'started' && r.supervisor?.pid === self?.pid && r.supervisor?.startTime === self?.startTime;
  const first = readRecordAt(paths.record);
  if (!ours(first)) return;
  const locked = (fn: (record: BoxRecord) => Promise<void>) =>
    withLock(paths.lock, `box ${id.slice(0, 12)}`, async () => {
      const record = readRecordAt(paths.record);
      if (ours(record)) await fn(record);
    }, 60_000);

  if (first.autoRemove) {
    await locked(async (record) => {
      await runUndoList(record.undo);
      if (record.name !== undefined) await releaseName(state, record.name, id);
      removeBoxDir(state, id);
    });
    return;
  }
  const restarts = first.restartCount ?? 0;
  if (!shouldRestart(first.restartPolicy ?? NO_RESTART, status, restarts, first.stoppedByUser === true)) return;
  // Back-off ("Restarting (N)" meanwhile): doubled for each quick restart in a row, from 100 ms; a run of 10 s or
  // more starts it over (Docker's rule). Checked every 100 ms, so `stop` (which marks the record) ends it at once.
  const ranFor = first.startedAt ? Date.now() - Date.parse(first.startedAt) : 0;
  const step = ranFor >= 10_000 ? 0 : first.backoffStep ?? 0;
  const until = Date.now() + restartDelayMs(step);
  while (Date.now() < until) {
    await sleep(Math.min(100, until - Date.now()));
    const now = readRecordAt(paths.record);
    if (!ours(now) || now.stoppedByUser) return;
  }
  await locked(async (record) => {
    if (record.stoppedByUser) return;
    await relaunchBox({ state, paths, record }, restarts + 1, true, step + 1);
  });
}
