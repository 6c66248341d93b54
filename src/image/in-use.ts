// Which containers use an image. The runtime writes containers/<id>/image (one line: "name:tag" or the
// image id) when it creates a container and removes the directory with the container; until then the
// image's layers are its lowerdirs, so the image must not be removed.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatImageRef, type ImageRef } from './reference.js';
import type { Store } from './store.js';

/** Ids of the containers whose containers/<id>/image names ref (or the image id imageId). */
export async function findContainersUsingImage(store: Store, ref: ImageRef, imageId?: string): Promise<readonly string[]> {
  const wanted = new Set([formatImageRef(ref), ...(imageId ? [imageId] : [])]);
  const ids = await readdir(store.containers).catch(() => [] as string[]);
  const users: string[] = [];
  for (const id of ids.sort()) {
    const text = await readFile(join(store.containers, id, 'image'), 'utf8').catch(() => undefined);
    if (text !== undefined && wanted.has(text.trim())) users.push(id);
  }
  return users;
}

/** True when some container uses the image. */
export async function isImageInUse(store: Store, ref: ImageRef, imageId?: string): Promise<boolean> {
  return (await findContainersUsingImage(store, ref, imageId)).length > 0;
}
