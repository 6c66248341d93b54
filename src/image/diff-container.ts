// `nsbox diff`: what a container changed, from its upper layer alone (as `docker diff`): each entry there is A (added:
// no image layer has the path), C (changed: a layer has it) or D (deleted: an overlay whiteout, or a layer's entry
// below a directory the box replaced, an opaque one). The layers are looked up without following any link: a box's
// path never leads the host anywhere outside the layer.

import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { UpperEntry } from './commit-entries.js';

export type ChangeKind = 'A' | 'C' | 'D';

export interface Change {
  readonly kind: ChangeKind;
  /** Absolute inside the container ("/etc/hosts"). */
  readonly path: string;
}

/** Where the image's layers are asked about a path ("a/b", relative): whether any has it, and a directory's names. */
export interface Layers {
  has(path: string): boolean;
  namesOf(path: string): readonly string[];
}

/** An overlay whiteout: a character device 0:0 in the upper dir. */
function isWhiteout(e: UpperEntry): boolean {
  return e.kind === 'char-device' && e.rdevMajor === 0 && e.rdevMinor === 0;
}

/** The changes, sorted by path (a directory before what is below it). Pure given the layers. */
export function classifyChanges(entries: readonly UpperEntry[], layers: Layers): Change[] {
  const changes: Change[] = [];
  const inUpper = new Set(entries.map((e) => e.path));
  const opaque: string[] = [];
  const belowOpaque = (path: string): boolean => opaque.some((dir) => path.startsWith(`${dir}/`));
  for (const e of entries) {
    if (isWhiteout(e)) {
      changes.push({ kind: 'D', path: `/${e.path}` });
      continue;
    }
    const existed = !belowOpaque(e.path) && layers.has(e.path);
    changes.push({ kind: existed ? 'C' : 'A', path: `/${e.path}` });
    if (e.kind === 'directory' && e.opaque) {
      // Replaced (rm -r, then made again): what the layers had there is gone, unless made again too.
      if (!belowOpaque(e.path)) for (const name of layers.namesOf(e.path)) if (!inUpper.has(`${e.path}/${name}`)) changes.push({ kind: 'D', path: `/${e.path}/${name}` });
      opaque.push(e.path);
    }
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The image's layer directories (top-most first) as Layers. A path is looked up one component at a time with lstat
 * (never through a link), and the top-most layer that says anything decides: a whiteout (char 0:0) or a non-directory
 * on the way there means absent. (A lower layer's opaque directories are not read: that needs its xattrs.)
 */
export function layerDirs(dirs: readonly string[]): Layers {
  /** In one layer: the path's kind, 'absent' when the layer hides it, undefined when the layer has nothing there. */
  const kindIn = (dir: string, path: string): 'dir' | 'other' | 'absent' | undefined => {
    let at = dir;
    const parts = path.split('/');
    for (const [i, part] of parts.entries()) {
      at = join(at, part);
      let info;
      try {
        info = lstatSync(at);
      } catch {
        return undefined;
      }
      if (info.isCharacterDevice() && info.rdev === 0) return 'absent';
      if (i === parts.length - 1) return info.isDirectory() ? 'dir' : 'other';
      if (!info.isDirectory()) return 'absent';
    }
    return undefined;
  };
  const top = (path: string) => {
    for (const d of dirs) {
      const kind = kindIn(d, path);
      if (kind !== undefined) return kind;
    }
    return undefined;
  };
  return {
    has: (path) => {
      const kind = top(path);
      return kind === 'dir' || kind === 'other';
    },
    namesOf: (path) => {
      if (top(path) !== 'dir') return [];
      const names = new Set<string>();
      for (const d of dirs) {
        if (kindIn(d, path) !== 'dir') continue;
        for (const name of readdirSync(join(d, path))) names.add(name);
      }
      return [...names].filter((name) => top(`${path}/${name}`) !== 'absent').sort();
    },
  };
}
