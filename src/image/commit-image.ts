// `nsbox commit`: a stopped container's upper dir becomes a new layer on top of its base image's layers.
//
// The new image is imported through the store's own import (import-image.ts): the base layers are found by digest
// and stored once, the new layer is extracted by the same confined extractor (which turns the .wh. members back
// into overlay whiteouts), and the record is renamed into place last, so a failed commit leaves no image.

import { stat } from 'node:fs/promises';
import { NsboxError } from '../errors.js';
import { convertUpperEntries } from './commit-entries.js';
import { readInitMarks, walkUpperDir } from './commit-walk.js';
import { packLayer } from './commit-pack.js';
import { checkStopped, type FoundContainer } from './commit-container.js';
import { historySteps } from './image-history.js';
import { importImage } from './import-image.js';
import type { ImageSource, LayerSource } from './image-source.js';
import { packDirectory } from './pack-directory.js';
import { findImageRecord, type HistoryEntry, type ImageRecord } from './records.js';
import { parseImageRef, type ImageRef } from './reference.js';
import type { Store } from './store.js';
import type { Progress } from './progress.js';

export interface CommitResult {
  readonly record: ImageRecord;
  /** Upper-dir entries an image cannot hold, left out of the layer ("/path (reason)"). */
  readonly dropped: readonly string[];
  /** False when the box changed nothing: the image is its base's layers alone. */
  readonly newLayer: boolean;
}

/** Commits container `found` as image `ref`; refuses while it is running. */
export async function commitContainer(store: Store, found: FoundContainer, ref: ImageRef, progress?: Progress): Promise<CommitResult> {
  checkStopped(found, 'commit');
  const upperInfo = await stat(found.dir.upper).catch(() => undefined);
  if (!upperInfo?.isDirectory()) throw new NsboxError(`cannot commit container ${found.id.slice(0, 12)}: it has no upper layer (${found.dir.upper})`);
  const [entries, init] = await Promise.all([walkUpperDir(found.dir.upper), readInitMarks(found.dir.init)]);
  const { members, dropped } = convertUpperEntries(entries, init);
  const layers: LayerSource[] = baseLayers(found);
  if (members.length > 0) {
    layers.push({ label: `upper layer of ${found.id.slice(0, 12)}`, expectedDigest: undefined, open: async () => packLayer(found.dir.upper, members) });
  }
  if (layers.length === 0) throw new NsboxError(`cannot commit container ${found.id.slice(0, 12)}: it has no layers and changed nothing`);
  // The base's steps plus one for the new layer, only when they account for every base layer (else `image
  // history` shows one row per layer, the top one as this commit).
  const base = await baseHistory(store, found);
  const complete = base.filter((h) => !h.empty_layer).length === found.record.layers.length && base.length > 0;
  const history = complete ? [...base, ...(members.length > 0 ? [{ created: new Date().toISOString(), created_by: `nsbox commit ${found.id.slice(0, 12)}` }] : [])] : [];
  const source: ImageSource = { kind: 'commit', layers, config: found.record.config, ...(history.length > 0 ? { history } : {}) };
  const record = await importImage({ store, ref, from: { kind: 'source', source, path: found.dir.dir }, ...(progress ? { progress } : {}) });
  return { record, dropped, newLayer: members.length > 0 };
}

/** The base image's history, when its record is still the one the container was made from (same id). */
async function baseHistory(store: Store, found: FoundContainer): Promise<readonly HistoryEntry[]> {
  const label = found.record.image;
  if (label === undefined) return [];
  const base = await findImageRecord(store, parseImageRef(label)).catch(() => undefined);
  return base && base.id === found.record.imageId ? historySteps(base) : [];
}

/** The base image's layers, bottom-most first (known by digest), or the --rootfs directory packed as one layer. */
function baseLayers(found: FoundContainer): LayerSource[] {
  const { record } = found;
  if (record.layers.length > 0) {
    return record.layers.map((digest) => ({
      label: `base layer ${digest.slice(7, 19)}`,
      expectedDigest: digest,
      open: async () => {
        throw new NsboxError(`cannot commit container ${found.id.slice(0, 12)}: its base layer ${digest} is no longer in the store`);
      },
    }));
  }
  return record.lowerDirs.slice().reverse().map((dir) => ({ label: `--rootfs ${dir}`, expectedDigest: undefined, open: () => packDirectory(dir) }));
}
