// `nsbox image rm`: refuses while a container uses the image, deletes the record, then unreferenced layers.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { findContainersUsingImage } from './in-use.js';
import { removeUnreferencedLayers } from './layer-store.js';
import { readImageRecord, removeImageRecord } from './records.js';
import { formatImageRef, type ImageRef } from './reference.js';
import { removeStaleWork } from './staging.js';
import type { Store } from './store.js';

/** Removes an image; returns the digests of the layers deleted with it (shared layers stay). */
export async function removeImage(store: Store, ref: ImageRef): Promise<readonly string[]> {
  const record = await readImageRecord(store, ref);
  const users = await findContainersUsingImage(store, ref, record.id);
  if (users.length > 0) {
    const boxes = await Promise.all(users.map((id) => nameBox(store, id)));
    throw new NsboxError(`cannot remove image ${formatImageRef(ref)}: in use by box${boxes.length > 1 ? 'es' : ''} ${boxes.map((b) => b.label).join(', ')}`, {
      hint: `remove ${boxes.length > 1 ? 'them' : 'it'} first: nsbox rm -f ${boxes.map((b) => b.ref).join(' ')}`,
    });
  }
  await removeImageRecord(store, ref);
  const { othersLive } = await removeStaleWork(store);
  // A live import may have committed layers whose record it has not written yet: leave layers to it.
  return othersLive ? [] : removeUnreferencedLayers(store);
}

/** "1a2b3c4d5e6f (web)" for a container, with the name from its box record when the state dir is known. */
async function nameBox(store: Store, id: string): Promise<{ label: string; ref: string }> {
  const short = id.slice(0, 12);
  try {
    const config = JSON.parse(await readFile(join(store.containers, id, 'config.json'), 'utf8')) as { stateRoot?: string };
    if (config.stateRoot) {
      const record = JSON.parse(await readFile(join(config.stateRoot, 'boxes', id, 'state.json'), 'utf8')) as { name?: string };
      if (record.name) return { label: `${short} (${record.name})`, ref: record.name };
    }
  } catch {
    // no record: the id alone
  }
  return { label: short, ref: short };
}
