// A path inside the container's root, resolved the way runc's securejoin does: every symlink on the way is followed
// as if the root were "/", so an image's link (/var/run -> /run, or a hostile /etc -> /host/etc) can never lead a
// mount out of the root. Reads the root from the host before anything is mounted.

import { lstatSync, readlinkSync } from 'node:fs';
import { NsboxError } from '../errors.js';

const MAX_LINKS = 40;

/**
 * `dest` (absolute, inside the container) -> the same place as an absolute path without symlinks, inside the root.
 * Components below `opaque` (destinations of earlier mounts: their contents are not on disk yet) are taken as they are.
 */
export function resolveInRoot(root: string, dest: string, opaque: readonly string[] = []): string {
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
    if (opaque.some((o) => sofar === o || sofar.startsWith(`${o}/`))) continue;
    let link: string | undefined;
    try {
      if (lstatSync(`${root}${sofar}`).isSymbolicLink()) link = readlinkSync(`${root}${sofar}`);
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

/** A path for use inside a double-quoted shell word. */
export function escapeDoubleQuoted(path: string): string {
  return path.replace(/[\\"$`]/g, (c) => `\\${c}`);
}
