// `nsbox image rm`: refuses while a container uses the image, deletes the record, then unreferenced layers.

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
    throw new NsboxError(`cannot remove image ${formatImageRef(ref)}: in use by container ${users.join(', ')}`, {
      hint: 'remove the container first',
    });
  }
  await removeImageRecord(store, ref);
  const { othersLive } = await removeStaleWork(store);
  // A live import may have committed layers whose record it has not written yet: leave layers to it.
  return othersLive ? [] : removeUnreferencedLayers(store);
}
