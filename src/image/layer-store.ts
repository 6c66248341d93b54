// Layers in the store: commit an extracted layer by renaming it into place, find one, delete unreferenced ones.

import { readdir, rename, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex, layerDir, type Store } from './store.js';
import { listImageRecords } from './records.js';
import { newTempName } from './staging.js';
import type { LayerSummary } from './extract-layer.js';

/** layer.json: what an import learned about a layer. */
export interface LayerMeta extends LayerSummary {
  readonly schemaVersion: 1;
}

/** True when the layer is already in the store (complete: its layer.json is written last, before the rename). */
export async function hasLayer(store: Store, digest: string): Promise<boolean> {
  const info = await stat(join(layerDir(store, digest), 'layer.json')).catch(() => undefined);
  return info?.isFile() ?? false;
}

/** The layer.json of a stored layer. */
export async function readLayerMeta(store: Store, digest: string): Promise<LayerMeta> {
  return JSON.parse(await readFile(join(layerDir(store, digest), 'layer.json'), 'utf8')) as LayerMeta;
}

/** Writes layer.json into a staged layer dir (<staged>/fs holds the tree). */
export async function writeLayerMeta(staged: string, summary: LayerSummary): Promise<void> {
  const meta: LayerMeta = { schemaVersion: 1, ...summary };
  await writeFile(join(staged, 'layer.json'), `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Moves a staged layer dir into layers/<hex> with one rename(2) (same file system: both are in the store), so a
 * layer is either absent or complete. If the layer appeared meanwhile (another import), the staged copy is dropped.
 */
export async function commitLayer(store: Store, staged: string, digest: string): Promise<void> {
  try {
    await rename(staged, layerDir(store, digest));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
    await rm(staged, { recursive: true, force: true });
  }
}

/**
 * Deletes every layer no image record refers to; returns their digests. A layer is first renamed into tmp/
 * (one atomic step), then deleted, so a kill mid-way never leaves a half-deleted layer under layers/.
 * Callers run it only when no other import is live (an import commits its layers before its record).
 */
export async function removeUnreferencedLayers(store: Store): Promise<readonly string[]> {
  const referenced = new Set((await listImageRecords(store)).flatMap((r) => r.layers.map((d) => digestHex(d))));
  const names = await readdir(store.layers).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const hex of names) {
    if (referenced.has(hex)) continue;
    const trash = join(store.tmp, newTempName(`trash-${hex.slice(0, 12)}`));
    await rename(join(store.layers, hex), trash);
    await rm(trash, { recursive: true, force: true });
    removed.push(/^[a-f0-9]{64}$/.test(hex) ? `sha256:${hex}` : hex);
  }
  return removed;
}
