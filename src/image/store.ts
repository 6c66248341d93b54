// Where the image store lives and how it is laid out on disk (the one place that knows its paths).
//
// ROOT (default /var/lib/nsbox; --root DIR or NSBOX_ROOT move it):
//   layers/<hex>/fs/          a layer, extracted (overlay lowerdirs must be directories); read-only by convention
//   layers/<hex>/layer.json   what the import learned about it (digest, size, dropped entries, flagged symlinks)
//   images/<ref>.json         one image record per name:tag (ref percent-encoded), written to tmp/ then renamed
//   containers/<id>/image     written by the runtime while a container exists: the name:tag (or id) it uses
//   tmp/<pid>-<start>-...     work dirs of imports and removals; owner = pid + start time, stale ones are deleted
// <hex> is the sha256 of the layer's uncompressed tar (an OCI diff_id without its "sha256:" prefix).

import { isAbsolute, join, resolve } from 'node:path';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { flagError, NsboxError } from '../errors.js';
import { spreadSubdirectories } from '../host/spread-directories.js';

export const DEFAULT_STORE_ROOT = '/var/lib/nsbox';

export interface Store {
  readonly root: string;
  readonly layers: string;
  readonly images: string;
  readonly containers: string;
  readonly tmp: string;
}

/** The store root from --root, else NSBOX_ROOT, else /var/lib/nsbox (relative paths resolved against cwd). */
export function resolveStoreRoot(flag: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined) {
    if (typeof flag !== 'string' || flag.trim() === '') throw flagError('--root', flag, 'expected a directory path');
    return isAbsolute(flag) ? resolve(flag) : resolve(process.cwd(), flag);
  }
  const fromEnv = env.NSBOX_ROOT;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return DEFAULT_STORE_ROOT;
}

/** The paths of the store rooted at root (nothing is created). */
export function describeStore(root: string): Store {
  return {
    root,
    layers: join(root, 'layers'),
    images: join(root, 'images'),
    containers: join(root, 'containers'),
    tmp: join(root, 'tmp'),
  };
}

/**
 * The store root, made root's alone (0700; Docker keeps /var/lib/docker 0710): below it are layers, upper layers and
 * volumes holding whatever an image or a box wrote, setuid-root files included, which any host user who could reach
 * them would run as root (Docker's CVE-2021-41091). A root made by an older nsbox (0711) is tightened; a shared
 * sticky directory (/tmp itself) is refused rather than changed.
 */
export function ensureStoreRoot(root: string): void {
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const mode = statSync(root).mode & 0o7777;
  if ((mode & 0o077) === 0) return;
  if (mode & 0o1000) throw new NsboxError(`the store root ${root} is a shared sticky directory`, { hint: 'choose a directory of nsbox\'s own (--root or NSBOX_ROOT)' });
  chmodSync(root, mode & 0o7700);
}

/** Creates the store's directories when missing (mode 0700: layers keep setuid files and private data). */
export async function openStore(root: string): Promise<Store> {
  const store = describeStore(root);
  // sync: every image box's start opens the store (fs/promises would load for these five calls)
  ensureStoreRoot(root);
  for (const dir of [store.layers, store.images, store.containers, store.tmp]) {
    if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined && dir === store.containers) spreadSubdirectories([dir]);
  }
  return store;
}

/** The directory of one layer, by digest ("sha256:<hex>" or "<hex>"). */
export function layerDir(store: Store, digest: string): string {
  return join(store.layers, digestHex(digest));
}

/** The extracted file tree of one layer (what overlayfs gets as a lowerdir). */
export function layerFsDir(store: Store, digest: string): string {
  return join(layerDir(store, digest), 'fs');
}

/** The hex part of a sha256 digest; throws on anything else (digests name directories, so they are checked). */
export function digestHex(digest: string): string {
  const hex = digest.startsWith('sha256:') ? digest.slice(7) : digest;
  if (!/^[a-f0-9]{64}$/.test(hex)) throw new Error(`not a sha256 digest: ${JSON.stringify(digest)}`);
  return hex;
}
