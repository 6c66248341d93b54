// rm: refuse a running box without force; else kill it, run its undo list, release its name, delete its directory.

import { NsboxError } from '../errors.js';
import { withLock } from '../state/lock.js';
import { releaseName } from '../state/names.js';
import { removeBoxDirInBackground } from '../state/store.js';
import { refreshBox, type OpenedBox } from './open-box.js';
import { killBox } from './stop-box.js';
import { runUndoList } from './run-undo.js';
import { detachBoxNetwork } from '../net/box-network.js';

/** Remove a box; with `force` a running (or still creating) one is killed first. Returns teardown warnings. */
export async function removeBox(box: OpenedBox, force: boolean): Promise<string[]> {
  const short = box.record.id.slice(0, 12);
  return withLock(box.paths.lock, `box ${short}`, async () => {
    const current = refreshBox(box);
    const { record, now } = current;
    if ((now.status === 'running' || now.status === 'restarting' || now.status === 'creating') && !force) {
      throw new NsboxError(`cannot remove box ${record.name ?? short}: it is ${now.status}`, { hint: 'stop it first, or use rm -f' });
    }
    // A box waiting to restart has no process; its supervisor finds the record gone and ends.
    if (now.status === 'running') await killBox(current);
    detachBoxNetwork(record.id, box.state.root);
    // rm of many boxes runs these side by side: their trees go on libuv's thread pool.
    const warnings = await runUndoList(record.undo, { inBackground: true });
    if (record.name !== undefined) await releaseName(box.state, record.name, record.id);
    await removeBoxDirInBackground(box.state, record.id);
    return warnings;
  });
}
