// Looks a path up in a stack of overlay layers (top-most first) the way overlayfs would merge them, without
// mounting anything and without ever following a symlink: what the box's root will show at that path.
//
// Rules (Documentation/filesystems/overlayfs.rst): the top-most layer that has an entry decides; a whiteout
// (character device 0/0) hides the path; a directory merges with the directories below it until a layer has a
// non-directory there. Opaque markers are xattrs node cannot read: ignoring them can only make nsbox see an entry
// that is hidden, which makes a later mount fail, never land elsewhere (the box re-checks the real merged view).

// Sync calls: a handful of lstat(2) on local layers take microseconds; each awaited one costs a thread-pool round trip.
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';

export type MergedEntry =
  | { readonly kind: 'missing' }
  | { readonly kind: 'directory' | 'file' | 'other'; readonly layer: string }
  | { readonly kind: 'symlink'; readonly layer: string; readonly target: string };

/** What the merged root holds at parts (path components below the root). */
export async function lookupMerged(layers: readonly string[], parts: readonly string[]): Promise<MergedEntry> {
  let visible = [...layers];
  for (let i = 0; i < parts.length; i++) {
    const rel = join(...parts.slice(0, i + 1));
    const found = await firstEntry(visible, rel);
    if (!found) return { kind: 'missing' };
    const [layer, info] = found;
    if (isWhiteout(info)) return { kind: 'missing' };
    const last = i === parts.length - 1;
    if (info.isSymbolicLink()) return { kind: 'symlink', layer, target: readlinkSync(join(layer, rel)) };
    if (!info.isDirectory()) return last ? { kind: info.isFile() ? 'file' : 'other', layer } : { kind: 'other', layer };
    if (last) return { kind: 'directory', layer };
    visible = await mergedDirectoryLayers(visible.slice(visible.indexOf(layer)), rel);
  }
  return { kind: 'directory', layer: layers[0] ?? '' };
}

async function firstEntry(layers: readonly string[], rel: string): Promise<[string, Stats] | undefined> {
  for (const layer of layers) {
    const info = await lstatOrUndefined(join(layer, rel));
    if (info) return [layer, info];
  }
  return undefined;
}

/** The layers whose directory at rel takes part in the merge: from the top one down to the first non-directory. */
async function mergedDirectoryLayers(layers: readonly string[], rel: string): Promise<string[]> {
  const out: string[] = [];
  for (const layer of layers) {
    const info = await lstatOrUndefined(join(layer, rel));
    if (!info) continue;
    if (!info.isDirectory()) break;
    out.push(layer);
  }
  return out;
}

function isWhiteout(info: Stats): boolean {
  return info.isCharacterDevice() && info.rdev === 0;
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    // throwIfNoEntry: a missing entry (the common answer) without building an exception and its stack.
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}
