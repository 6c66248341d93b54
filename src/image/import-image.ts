// `nsbox image import`: reads a source, extracts its layers into a work dir, then commits them and the record.
//
// Atomicity: everything is extracted under tmp/<owner>-import first; only when every layer is complete and
// checked are the layers renamed into layers/ (one rename each) and the record renamed into images/. A kill
// before that leaves only the work dir, removed by the next import (its owner pid is dead); a kill during the
// renames leaves complete but unreferenced layers, removed by the same clean-up.

import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { NsboxError } from '../errors.js';
import { extractLayer, type LayerSummary } from './extract-layer.js';
import { commitLayer, hasLayer, readLayerMeta, removeUnreferencedLayers, writeLayerMeta } from './layer-store.js';
import { writeImageRecord, type FlaggedPath, type ImageRecord } from './records.js';
import type { ImageRef } from './reference.js';
import type { Store } from './store.js';
import { createWorkDir, removeStaleWork } from './staging.js';
import type { ImageSource } from './image-source.js';
import { detectSource } from './detect-source.js';
import { readDockerSave } from './read-docker-save.js';
import { readOciLayout } from './read-oci-layout.js';
import { readHostBusybox } from './busybox-image.js';
import { openUncompressed } from './decompress.js';
import { packDirectory } from './pack-directory.js';
import type { Progress } from './progress.js';

export type ImportFrom =
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'host-busybox'; readonly busybox?: string }
  /** Layers and config built by nsbox itself (commit); `path` names where they came from in the record. */
  | { readonly kind: 'source'; readonly source: ImageSource; readonly path: string };

export interface ImportRequest {
  readonly store: Store;
  readonly ref: ImageRef;
  readonly from: ImportFrom;
  readonly progress?: Progress;
}

interface StagedLayer {
  readonly digest: string;
  /** The staged dir to commit, or undefined when the store already has the layer. */
  readonly staged: string | undefined;
  readonly summary: LayerSummary;
}

/** Imports an image into the store and returns its record; on any failure nothing new stays in the store. */
export async function importImage(request: ImportRequest): Promise<ImageRecord> {
  const { store, ref, from } = request;
  const { othersLive } = await removeStaleWork(store);
  if (!othersLive) await removeUnreferencedLayers(store);
  const work = await createWorkDir(store, 'import');
  try {
    const source = await openSource(from, work, request.progress);
    const staged: StagedLayer[] = [];
    for (const [i, layer] of source.layers.entries()) {
      staged.push(await stageLayer(store, work, i, layer, request.progress));
    }
    for (const layer of staged) if (layer.staged) await commitLayer(store, layer.staged, layer.digest);
    const record = buildRecord(ref, from, source, staged);
    await writeImageRecord(store, record);
    return record;
  } finally {
    request.progress?.done();
    await rm(work, { recursive: true, force: true });
  }
}

async function openSource(from: ImportFrom, work: string, progress: Progress | undefined): Promise<ImageSource> {
  if (from.kind === 'host-busybox') return readHostBusybox(from.busybox);
  if (from.kind === 'source') return from.source;
  const detected = await detectSource(from.path);
  switch (detected.kind) {
    case 'directory':
      return singleLayer('directory', from.path, () => packDirectory(from.path));
    case 'tarball':
      return singleLayer('tarball', from.path, () => openUncompressed(from.path, from.path));
    case 'oci-layout':
      return readOciLayout(from.path);
    case 'docker-save-dir':
      return readDockerSave(from.path);
    case 'oci-archive':
    case 'docker-save': {
      // The outer archive is unpacked (confined, no whiteout handling) so its manifests can be read in any order.
      const unpacked = join(work, 'source');
      await mkdir(unpacked, { mode: 0o700 });
      progress?.layer('reading archive');
      await extractLayer(await openUncompressed(from.path, from.path), unpacked, {
        whiteouts: false,
        label: from.path,
        onBytes: (n) => progress?.bytes(n),
      });
      const source = detected.kind === 'docker-save' ? await readDockerSave(unpacked) : await readOciLayout(unpacked);
      return { ...source, kind: detected.kind };
    }
  }
}

function singleLayer(kind: 'directory' | 'tarball', path: string, open: ImageSource['layers'][number]['open']): ImageSource {
  return { kind, config: {}, layers: [{ label: `${kind} ${path}`, expectedDigest: undefined, open }] };
}

async function stageLayer(
  store: Store,
  work: string,
  index: number,
  layer: ImageSource['layers'][number],
  progress: Progress | undefined,
): Promise<StagedLayer> {
  if (layer.expectedDigest && (await hasLayer(store, layer.expectedDigest).catch(() => false))) {
    return { digest: layer.expectedDigest, staged: undefined, summary: await readLayerMeta(store, layer.expectedDigest) };
  }
  progress?.layer(layer.label);
  const staged = join(work, `layer-${index}`);
  await mkdir(staged, { mode: 0o700 });
  await mkdir(join(staged, 'fs'), { mode: 0o755 }); // the root's mode unless the tar has a "./" member
  const summary = await extractLayer(await layer.open(), join(staged, 'fs'), {
    whiteouts: true,
    label: layer.label,
    onBytes: (n) => progress?.bytes(n),
  });
  if (layer.expectedDigest && layer.expectedDigest !== summary.digest) {
    throw new NsboxError(`cannot import ${layer.label}: its content has digest ${summary.digest}, the image config says ${layer.expectedDigest}`);
  }
  await writeLayerMeta(staged, summary);
  if (await hasLayer(store, summary.digest)) {
    await rm(staged, { recursive: true, force: true });
    return { digest: summary.digest, staged: undefined, summary };
  }
  return { digest: summary.digest, staged, summary };
}

function buildRecord(ref: ImageRef, from: ImportFrom, source: ImageSource, layers: readonly StagedLayer[]): ImageRecord {
  const digests = layers.map((l) => l.digest);
  const id = `sha256:${createHash('sha256').update(JSON.stringify({ layers: digests, config: source.config })).digest('hex')}`;
  const flaggedPaths: FlaggedPath[] = layers.flatMap((l) => l.summary.flagged.map((f) => ({ ...f, layer: l.digest })));
  return {
    schemaVersion: 1,
    name: ref.name,
    tag: ref.tag,
    id,
    created: new Date().toISOString(),
    source: { kind: source.kind, path: from.kind === 'path' ? resolve(from.path) : from.kind === 'source' ? from.path : from.busybox ?? '/bin/busybox' },
    layers: digests,
    config: source.config,
    size: layers.reduce((sum, l) => sum + l.summary.size, 0),
    flaggedPaths,
  };
}
