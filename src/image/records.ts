// Image records: one JSON file per name:tag, written atomically; and the lookups the runtime needs from them.

import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { formatImageRef, type ImageRef } from './reference.js';
import { layerFsDir, type Store } from './store.js';
import { newTempName } from './staging.js';

/** The part of an OCI image config that a run honours. */
export interface ImageConfig {
  readonly Env?: readonly string[];
  readonly Cmd?: readonly string[];
  readonly Entrypoint?: readonly string[];
  readonly WorkingDir?: string;
  readonly User?: string;
  /** Docker's `{"80/tcp": {}}`: what `run -P` publishes. */
  readonly ExposedPorts?: Readonly<Record<string, Readonly<Record<string, never>>>>;
}

export type SourceKind = 'tarball' | 'directory' | 'oci-layout' | 'oci-archive' | 'docker-save' | 'host-busybox' | 'commit';

/** A path in the image that the runtime must not trust: a symlink where it mounts or writes files. */
export interface FlaggedPath {
  readonly path: string;
  readonly layer: string;
  readonly target: string;
}

export interface ImageRecord {
  readonly schemaVersion: 1;
  readonly name: string;
  readonly tag: string;
  /** sha256 of the layers and config: two imports of the same content get the same id. */
  readonly id: string;
  readonly created: string;
  readonly source: { readonly kind: SourceKind; readonly path: string };
  /** Layer digests, bottom-most first (the order of an OCI config's rootfs.diff_ids). */
  readonly layers: readonly string[];
  readonly config: ImageConfig;
  /** Uncompressed size of all layers, in bytes. */
  readonly size: number;
  readonly flaggedPaths: readonly FlaggedPath[];
  /** The image config's history (Docker's field names), for `image history`; absent in older records. */
  readonly history?: readonly HistoryEntry[];
}

/** One step of how an image was built; steps with empty_layer made no layer (ENV, CMD, ...). */
export interface HistoryEntry {
  readonly created?: string;
  readonly created_by?: string;
  readonly comment?: string;
  readonly empty_layer?: boolean;
}

/** The file that holds the record of ref. */
export function imageRecordPath(store: Store, ref: ImageRef): string {
  return join(store.images, `${encodeURIComponent(formatImageRef(ref))}.json`);
}

/** Writes a record to a temp file in the store, then renames it into place (readers never see half a file). */
export async function writeImageRecord(store: Store, record: ImageRecord): Promise<void> {
  const temp = join(store.tmp, newTempName('record.json'));
  await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, imageRecordPath(store, record));
}

/** The record of ref, or undefined when there is no such image. */
export async function findImageRecord(store: Store, ref: ImageRef): Promise<ImageRecord | undefined> {
  let text: string;
  try {
    // sync: one small file, read on every image box's start (fs/promises would load for it alone)
    text = readFileSync(imageRecordPath(store, ref), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseRecord(text, formatImageRef(ref));
}

/** The record of ref; a missing image is an NsboxError. */
export async function readImageRecord(store: Store, ref: ImageRef): Promise<ImageRecord> {
  const record = await findImageRecord(store, ref);
  if (!record) {
    throw new NsboxError(`no such image: ${formatImageRef(ref)}`, { hint: 'nsbox image ls lists the images' });
  }
  return record;
}

/** Every image record, sorted by name then tag. */
export async function listImageRecords(store: Store): Promise<readonly ImageRecord[]> {
  let names: string[];
  try {
    names = await readdir(store.images);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const records: ImageRecord[] = [];
  for (const file of names.filter((n) => n.endsWith('.json')).sort()) {
    try {
      records.push(parseRecord(await readFile(join(store.images, file), 'utf8'), file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // removed meanwhile
    }
  }
  return records.sort((a, b) => a.name.localeCompare(b.name) || a.tag.localeCompare(b.tag));
}

/** Deletes the record of ref (its layers are left to removeUnreferencedLayers). */
export async function removeImageRecord(store: Store, ref: ImageRef): Promise<void> {
  await rm(imageRecordPath(store, ref), { force: true });
}

/** The config (Env, Cmd, Entrypoint, WorkingDir, User) of an image. */
export async function readImageConfig(store: Store, ref: ImageRef): Promise<ImageConfig> {
  return (await readImageRecord(store, ref)).config;
}

/** The image's layer directories top-most first: overlayfs's lowerdir order (`lowerdir=top:...:bottom`). */
export async function imageLowerDirs(store: Store, ref: ImageRef): Promise<readonly string[]> {
  return recordLowerDirs(store, await readImageRecord(store, ref));
}

/**
 * The lower dirs of a record already read (run reads the record once: its config and its layers then come from the
 * same version of it, even while the name is being re-tagged).
 */
export function recordLowerDirs(store: Store, record: ImageRecord): readonly string[] {
  const dirs = [...record.layers].reverse().map((digest) => layerFsDir(store, digest));
  for (const dir of dirs) {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory(); // sync: read at every image box's start
    } catch {
      // missing or unreadable: damaged
    }
    if (!isDir) {
      throw new NsboxError(`image ${formatImageRef(record)} is damaged: layer directory ${dir} is missing`, {
        hint: `import it again: nsbox image rm ${formatImageRef(record)}, then nsbox image import`,
      });
    }
  }
  return dirs;
}

function parseRecord(text: string, label: string): ImageRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new NsboxError(`image record ${label} is not valid JSON`);
  }
  const record = value as ImageRecord;
  if (record?.schemaVersion !== 1 || !Array.isArray(record.layers) || typeof record.name !== 'string') {
    throw new NsboxError(`image record ${label} has an unknown format`);
  }
  return record;
}
