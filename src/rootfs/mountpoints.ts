// Plans the container's init layer: the mount points the image lacks (a directory or an empty file per mount
// destination), created on the host in containers/<id>/init, a lowerdir above the image like Docker's "-init"
// layer, so they never land in the upper layer (and never in a commit). Every destination is checked in the
// merged view first: a symlink or a non-directory on the way is refused, so no mount can be redirected.

import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { lookupMerged, type MergedEntry } from './merged-view.js';

export type MountpointKind = 'directory' | 'file';

/** A mount destination in the box. */
export interface MountTarget {
  readonly parts: readonly string[];
  readonly kind: MountpointKind;
  /** Names what asked for it in errors: "--volume /host:/data", "/etc/hosts", ... */
  readonly what: string;
}

/** One entry to create in the init layer (relative path), parents before children. */
export interface InitEntry {
  readonly path: string;
  readonly kind: MountpointKind;
  /** Permission bits and owner: a copy of the image's directory (the top-most layer's attributes win in the
   * merged view), or 0755/0644 root for what the image lacks. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** The entries to create so every target exists as the right kind; throws on a symlink or a wrong type on the way. */
export async function planInitLayer(layers: readonly string[], targets: readonly MountTarget[]): Promise<readonly InitEntry[]> {
  const planned = new Map<string, MountpointKind>();
  const entries: InitEntry[] = [];
  /** The init layer needs every parent of an entry as a directory of its own, with the image's attributes. */
  const addParents = async (parts: readonly string[]): Promise<void> => {
    for (let k = 1; k < parts.length; k++) {
      const path = parts.slice(0, k).join('/');
      if (planned.has(path)) continue;
      const found = await lookupMerged(layers, parts.slice(0, k));
      const info = found.kind === 'directory' ? lstatSync(join(found.layer, path)) : undefined;
      planned.set(path, 'directory');
      entries.push({ path, kind: 'directory', mode: info ? info.mode & 0o7777 : 0o755, uid: info?.uid ?? 0, gid: info?.gid ?? 0 });
    }
  };
  const look = async (parts: readonly string[]): Promise<MergedEntry | { kind: MountpointKind }> => {
    const mine = planned.get(parts.join('/'));
    return mine ? { kind: mine === 'directory' ? 'directory' : 'file' } : lookupMerged(layers, parts);
  };
  for (const target of targets) {
    for (let i = 0; i < target.parts.length; i++) {
      const prefix = target.parts.slice(0, i + 1);
      const last = i === target.parts.length - 1;
      const wanted: MountpointKind = last ? target.kind : 'directory';
      const entry = await look(prefix);
      const shown = `/${prefix.join('/')}`;
      if (entry.kind === 'symlink') {
        throw refuse(target, `${shown} is a symlink in the image (to ${JSON.stringify((entry as { target: string }).target)})`);
      }
      if (entry.kind === 'missing') {
        await addParents(prefix);
        for (let k = i; k < target.parts.length; k++) {
          const path = target.parts.slice(0, k + 1).join('/');
          const kind: MountpointKind = k === target.parts.length - 1 ? target.kind : 'directory';
          planned.set(path, kind);
          entries.push({ path, kind, mode: kind === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0 });
        }
        break;
      }
      if (entry.kind !== wanted) {
        const is = entry.kind === 'other' ? 'a special file' : entry.kind === 'directory' ? 'a directory' : 'a file';
        throw refuse(target, `${shown} is ${is} in the image, not ${wanted === 'directory' ? 'a directory' : 'a file'}`);
      }
    }
  }
  return entries;
}

/** For the working directory: the directories to create when it is missing; none when a symlink is on the way
 * (the box's own `cd` then follows it, confined to the new root). */
export async function planWorkdir(layers: readonly string[], planned: readonly InitEntry[], parts: readonly string[]): Promise<readonly InitEntry[]> {
  const known = new Set(planned.map((e) => e.path));
  for (let i = 0; i < parts.length; i++) {
    const prefix = parts.slice(0, i + 1);
    if (known.has(prefix.join('/'))) continue;
    const entry = await lookupMerged(layers, prefix);
    if (entry.kind === 'directory') continue;
    if (entry.kind !== 'missing') return [];
    const parents: InitEntry[] = [];
    for (let k = 1; k <= i; k++) {
      const path = parts.slice(0, k).join('/');
      if (known.has(path)) continue;
      const found = await lookupMerged(layers, parts.slice(0, k));
      const info = found.kind === 'directory' ? lstatSync(join(found.layer, path)) : undefined;
      parents.push({ path, kind: 'directory', mode: info ? info.mode & 0o7777 : 0o755, uid: info?.uid ?? 0, gid: info?.gid ?? 0 });
    }
    const created = parts.slice(i).map((_, k) => ({ path: parts.slice(0, i + k + 1).join('/'), kind: 'directory' as const, mode: 0o755, uid: 0, gid: 0 }));
    return [...parents, ...created];
  }
  return [];
}

function refuse(target: MountTarget, reason: string): NsboxError {
  return new NsboxError(`cannot mount ${target.what} at /${target.parts.join('/')}: ${reason}`, {
    hint: 'a mount there could land outside the box; nothing was mounted or created',
  });
}
