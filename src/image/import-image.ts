// `nsbox image import`: reads a source, extracts its layers into a work dir, then commits them and the records.
//
// Atomicity: everything is extracted under tmp/<owner>-import first; only when every layer of every chosen image
// is complete and checked are the layers renamed into layers/ (one rename each) and then the records renamed into
// images/. A kill before that leaves only the work dir, removed by the next import (its owner pid is dead); a kill
// during the renames leaves complete but unreferenced layers, removed by the same clean-up. An OCI layout's blobs
// are all checked against their digests before the first byte is extracted.

import { mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { NsboxError } from '../errors.js';
import { extractLayer, type LayerSummary } from './extract-layer.js';
import { commitLayer, hasLayer, readLayerMeta, removeUnreferencedLayers, writeLayerMeta } from './layer-store.js';
import { writeImageRecord, type FlaggedPath, type HistoryEntry, type ImageRecord } from './records.js';
import type { ImageRef } from './reference.js';
import type { Store } from './store.js';
import { createWorkDir, removeStaleWork } from './staging.js';
import type { ImageSource, SourceImage } from './image-source.js';
import { detectSource } from './detect-source.js';
import { listDockerSaveImages } from './read-docker-save.js';
import { listOciImages } from './read-oci-layout.js';
import { readHostBusybox } from './busybox-image.js';
import { openUncompressed } from './decompress.js';
import { packDirectory } from './pack-directory.js';
import { chooseImages } from './choose-images.js';
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

/** `image import SOURCE[:TAG] [NAME]`: the path, the TAG that picks one image of it, the NAME to store it as. */
export interface ImportPathRequest {
  readonly store: Store;
  readonly path: string;
  readonly selector?: string;
  readonly name?: ImageRef;
  readonly progress?: Progress;
}

interface StagedLayer {
  readonly digest: string;
  /** The staged dir to commit, or undefined when the store already has the layer. */
  readonly staged: string | undefined;
  readonly summary: LayerSummary;
}

/** Imports one image (busybox, a commit, or a source path holding one image) as ref; nothing new stays on failure. */
export async function importImage(request: ImportRequest): Promise<ImageRecord> {
  const { from } = request;
  if (from.kind === 'path') {
    const records = await importFromPath({ store: request.store, path: from.path, name: request.ref, ...(request.progress ? { progress: request.progress } : {}) });
    return records[0]!;
  }
  const records = await withWorkDir(request.store, request.progress, async () => {
    const source = from.kind === 'host-busybox' ? await readHostBusybox(from.busybox) : from.source;
    const origin = from.kind === 'source' ? from.path : from.busybox ?? '/bin/busybox';
    return [{ source, names: [request.ref], origin }];
  });
  return records[0]!;
}

/** Imports the image(s) a path holds: every RepoTag of a docker save, the image SOURCE:TAG names, or NAME. */
export async function importFromPath(request: ImportPathRequest): Promise<readonly ImageRecord[]> {
  const { path, selector, name, progress } = request;
  return withWorkDir(request.store, progress, async (work) => {
    const detected = await detectSource(path);
    let images: readonly SourceImage[];
    if (detected.kind === 'directory' || detected.kind === 'tarball') {
      if (selector !== undefined) throw new NsboxError(`cannot import ${path}:${selector}: ${path} is a root file system ${detected.kind}, not an image layout with tags`);
      const kind = detected.kind;
      const open = kind === 'directory' ? () => packDirectory(path) : (onRead?: (n: number) => void) => openUncompressed(path, path, onRead);
      const size = kind === 'tarball' ? (await stat(path)).size : undefined;
      const source: ImageSource = { kind, config: {}, layers: [{ label: `${kind} ${path}`, expectedDigest: undefined, ...(size !== undefined ? { size } : {}), open }] };
      images = [{ selectors: [], refs: [], label: `the root file system ${kind}`, load: async () => source }];
    } else if (detected.kind === 'oci-layout') images = await listOciImages(detected.path);
    else if (detected.kind === 'docker-save-dir') images = await listDockerSaveImages(detected.path);
    else {
      // The outer archive is unpacked (confined, no whiteout handling) so its manifests can be read in any order.
      const unpacked = join(work, 'source');
      await mkdir(unpacked, { mode: 0o700 });
      progress?.phase('reading archive', (await stat(path)).size);
      await extractLayer(await openUncompressed(path, path, (n) => progress?.bytes(n)), unpacked, { whiteouts: false, label: path });
      const dir = detected.prefix === '' ? unpacked : join(unpacked, detected.prefix);
      images = detected.kind === 'docker-save' ? await listDockerSaveImages(dir) : await listOciImages(dir);
    }
    const takeAll = detected.kind === 'docker-save' || detected.kind === 'docker-save-dir';
    const chosen = chooseImages(images, { source: path, ...(selector !== undefined ? { selector } : {}), ...(name ? { name } : {}), takeAll });
    const loaded = [];
    for (const c of chosen) {
      const source = await c.image.load();
      const kind = detected.kind === 'tarball' || detected.kind === 'directory' ? detected.kind : detected.kind === 'docker-save-dir' ? 'docker-save' : detected.kind === 'oci-archive' ? 'oci-archive' : source.kind;
      loaded.push({ source: { ...source, kind }, names: c.names, origin: resolve(path) });
    }
    return loaded;
  });
}

interface Planned {
  readonly source: ImageSource;
  readonly names: readonly ImageRef[];
  /** The record's source.path. */
  readonly origin: string;
}

/** Runs `choose` in a fresh work dir, stages the layers of what it returns, then commits layers and records. */
async function withWorkDir(store: Store, progress: Progress | undefined, choose: (work: string) => Promise<readonly Planned[]>): Promise<readonly ImageRecord[]> {
  const { othersLive } = await removeStaleWork(store);
  if (!othersLive) await removeUnreferencedLayers(store);
  const work = await createWorkDir(store, 'import');
  try {
    const planned = await choose(work);
    const records: ImageRecord[] = [];
    let index = 0;
    for (const image of planned) {
      const todo = [];
      for (const layer of image.source.layers) todo.push({ layer, known: await isKnown(store, layer.expectedDigest) });
      const sizes = todo.filter((t) => !t.known).map((t) => t.layer.size);
      progress?.phase('layers', sizes.every((s) => s !== undefined) ? sizes.reduce((a, b) => a + b!, 0) : undefined);
      const staged: StagedLayer[] = [];
      for (const { layer, known } of todo) staged.push(await stageLayer(store, work, index++, layer, known, progress));
      // Committed per image, so the next image of the same source finds shared layers in the store.
      for (const layer of staged) if (layer.staged) await commitLayer(store, layer.staged, layer.digest);
      for (const ref of image.names) records.push(buildRecord(ref, image, staged));
    }
    for (const record of records) await writeImageRecord(store, record);
    return records;
  } finally {
    progress?.done();
    await rm(work, { recursive: true, force: true });
  }
}

async function isKnown(store: Store, digest: string | undefined): Promise<boolean> {
  return digest !== undefined && (await hasLayer(store, digest).catch(() => false));
}

async function stageLayer(
  store: Store,
  work: string,
  index: number,
  layer: ImageSource['layers'][number],
  known: boolean,
  progress: Progress | undefined,
): Promise<StagedLayer> {
  if (known && layer.expectedDigest) {
    return { digest: layer.expectedDigest, staged: undefined, summary: await readLayerMeta(store, layer.expectedDigest) };
  }
  progress?.layer(layer.label);
  const staged = join(work, `layer-${index}`);
  await mkdir(staged, { mode: 0o700 });
  await mkdir(join(staged, 'fs'), { mode: 0o755 }); // the root's mode unless the tar has a "./" member
  // Progress counts the file's bytes when its size is known (the total is then the files' sizes), else tar bytes.
  const counted = layer.size !== undefined;
  const summary = await extractLayer(await layer.open(counted ? (n) => progress?.bytes(n) : undefined), join(staged, 'fs'), {
    whiteouts: true,
    label: layer.label,
    ...(counted ? {} : { onBytes: (n: number) => progress?.bytes(n) }),
  });
  if (layer.expectedDigest && layer.expectedDigest !== summary.digest) {
    throw new NsboxError(`cannot import ${layer.label}: its content has digest ${summary.digest}, the image config says ${layer.expectedDigest}`, {
      hint: 'the image is damaged or was altered; nothing was imported',
    });
  }
  await writeLayerMeta(staged, summary);
  if (await hasLayer(store, summary.digest)) {
    await rm(staged, { recursive: true, force: true });
    return { digest: summary.digest, staged: undefined, summary };
  }
  return { digest: summary.digest, staged, summary };
}

function buildRecord(ref: ImageRef, image: Planned, layers: readonly StagedLayer[]): ImageRecord {
  const { source } = image;
  const digests = layers.map((l) => l.digest);
  const id = `sha256:${createHash('sha256').update(JSON.stringify({ layers: digests, config: source.config })).digest('hex')}`;
  const flaggedPaths: FlaggedPath[] = layers.flatMap((l) => l.summary.flagged.map((f) => ({ ...f, layer: l.digest })));
  const history = pickHistory(source.history);
  return {
    schemaVersion: 1,
    name: ref.name,
    tag: ref.tag,
    id,
    created: new Date().toISOString(),
    source: { kind: source.kind, path: image.origin },
    layers: digests,
    config: source.config,
    size: layers.reduce((sum, l) => sum + l.summary.size, 0),
    flaggedPaths,
    ...(history ? { history } : {}),
  };
}

/** The image config's history with only the fields `image history` shows, each of the type the spec gives. */
export function pickHistory(raw: unknown): readonly HistoryEntry[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  return raw.map((h) => {
    const e = (h ?? {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of ['created', 'created_by', 'comment'] as const) if (typeof e[key] === 'string') out[key] = e[key];
    if (e.empty_layer === true) out.empty_layer = true;
    return out as HistoryEntry;
  });
}
