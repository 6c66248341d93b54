// A path inside the container's root, resolved the way runc's securejoin does: every symlink on the way is followed
// as if the root were "/", so an image's link (/var/run -> /run, or a hostile /etc -> /host/etc) can never lead a
// mount out of the root. Reads the root from the host before anything is mounted.

import { lstatSync, readlinkSync } from 'node:fs';
import { NsboxError } from '../errors.js';

const MAX_LINKS = 40;

/**
 * An earlier mount, at `target` (already resolved inside the root). Below it the root's files are hidden: a fresh
 * filesystem (tmpfs, proc, ...) holds no link yet; a bind shows `source`'s files there, links included (a volume a
 * container filled with links is as hostile as the image).
 */
export interface CoveredPath {
  readonly target: string;
  /** The host directory a bind mount shows at `target`; undefined for a new filesystem. */
  readonly source?: string;
}

/**
 * `dest` (absolute, inside the container) -> the same place as an absolute path without symlinks, inside the root.
 * Components below an earlier mount (`covered`; a plain string is a new filesystem there) are looked up in what that
 * mount shows: a bind's source, or nothing.
 */
export function resolveInRoot(root: string, dest: string, covered: readonly (string | CoveredPath)[] = []): string {
  const mounts = covered.map((c) => (typeof c === 'string' ? { target: c } : c));
  let pending = dest.split('/').filter((p) => p !== '' && p !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    done.push(part);
    const sofar = `/${done.join('/')}`;
    const onDisk = hostPathOf(root, sofar, mounts);
    if (onDisk === undefined) continue;
    let link: string | undefined;
    try {
      if (lstatSync(onDisk).isSymbolicLink()) link = readlinkSync(onDisk);
    } catch {
      // missing: the init creates it (nothing below can be a link either)
    }
    if (link === undefined) continue;
    if (++links > MAX_LINKS) throw new NsboxError(`cannot mount on ${dest}: too many symbolic links in the container's root`);
    done.pop();
    if (link.startsWith('/')) done.length = 0;
    pending = [...link.split('/').filter((p) => p !== '' && p !== '.'), ...pending];
  }
  return `/${done.join('/')}`;
}

/**
 * Like resolveInRoot, but the last component is kept as it is (not followed): for a node, link or mount point the
 * init makes there itself (it removes or refuses what is in the way, never writes through it).
 */
export function resolveParentInRoot(root: string, dest: string, covered: readonly (string | CoveredPath)[] = []): string {
  const parts = dest.split('/').filter((p) => p !== '' && p !== '.');
  const last = parts.pop();
  if (last === undefined || last === '..') return resolveInRoot(root, dest, covered);
  const parent = resolveInRoot(root, `/${parts.join('/')}`, covered);
  return `${parent === '/' ? '' : parent}/${last}`;
}

/** Where `path` (inside the container) is on the host now: below the latest mount covering it, or in the root. */
function hostPathOf(root: string, path: string, mounts: readonly CoveredPath[]): string | undefined {
  for (let i = mounts.length - 1; i >= 0; i--) {
    const m = mounts[i]!;
    if (path !== m.target && !path.startsWith(m.target === '/' ? '/' : `${m.target}/`)) continue;
    return m.source === undefined ? undefined : `${m.source}${path.slice(m.target === '/' ? 0 : m.target.length)}`;
  }
  return `${root}${path}`;
}

/** A path for use inside a double-quoted shell word. */
export function escapeDoubleQuoted(path: string): string {
  return path.replace(/[\\"$`]/g, (c) => `\\${c}`);
}
