// `nsbox rename OLD NEW` as `docker rename`: the box keeps its id and everything else, running or not. Under the
// box's lock: the new name is claimed first (symlink(2): a taken one fails, nothing changed), then the record says
// it, then the old name goes. A crash in between leaves both names on the box (the record has one of them).

import { NsboxError } from '../errors.js';
import { withLock } from '../state/lock.js';
import { releaseName, reserveName, validateName } from '../state/names.js';
import { saveRecord } from '../state/store.js';
import { refreshBox, type OpenedBox } from './open-box.js';

/** Rename the box; resolves once the new name is the only one. */
export async function renameBox(box: OpenedBox, newName: string): Promise<void> {
  const label = box.record.name ?? box.record.id.slice(0, 12);
  try {
    validateName(newName);
  } catch (error) {
    throw new NsboxError(`cannot rename box ${label}: ${(error as Error).message.replace(/^invalid --name/, 'invalid name')}`);
  }
  await withLock(box.paths.lock, `box ${label}`, async () => {
    const { record, now } = refreshBox(box);
    if (now.status === 'creating') throw new NsboxError(`cannot rename box ${label}: it is still being created`);
    if (record.name === newName) throw new NsboxError(`cannot rename box ${label}: it is named ${newName} already`);
    try {
      await reserveName(box.state, newName, record.id);
    } catch (error) {
      if (error instanceof NsboxError) throw new NsboxError(error.message.replace(/^cannot create box:/, `cannot rename box ${label}:`), { hint: `choose another name, or remove that box first (nsbox rm ${newName})` });
      throw error;
    }
    try {
      saveRecord(box.state, { ...record, name: newName });
    } catch (error) {
      await releaseName(box.state, newName, record.id);
      throw error;
    }
    if (record.name !== undefined) await releaseName(box.state, record.name, record.id);
  });
}
