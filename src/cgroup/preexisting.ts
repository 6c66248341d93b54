// Cgroups nsbox finds instead of making: refused at plan time, never reused or removed (runc refuses an existing
// cgroup it did not create the same way), and the identity of the ones it did make, so teardown removes only those.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NsboxError } from '../errors.js';
import type { UndoStep } from '../plan/types.js';
import { dirOf, listAncestors, type CgroupLayout } from './layout.js';

/**
 * A box cgroup that exists already was not made by nsbox for this run (the name holds the box's random id): joining
 * it would share someone else's limits and processes, and the box's teardown would kill and remove them. On v2, a
 * frozen ancestor freezes every box below it before its first instruction: `run` would wait at the gate forever.
 */
export function refusePreexistingCgroups(layout: CgroupLayout): void {
  for (const box of layout.boxes) {
    const dir = dirOf(box);
    if (existsSync(dir)) {
      throw new NsboxError(`cannot create the box's cgroup ${dir}: it exists already and nsbox did not create it for this box (left as it is)`, {
        hint: 'remove it if it is stale (rmdir), or use another --cgroup-parent',
      });
    }
    if (box.version !== 2) continue; // v1 boxes never join the freezer hierarchy: nothing can freeze them there
    for (const path of listAncestors(dirname(box.path))) {
      const ancestor = dirOf({ mount: box.mount, path });
      if (readFreeze(ancestor) === '1') {
        throw new NsboxError(`cannot place the box under ${dirOf({ mount: box.mount, path: dirname(box.path) })}: cgroup ${ancestor} is frozen (cgroup.freeze is 1), the box would never start`, {
          hint: `thaw it (echo 0 > ${ancestor}/cgroup.freeze) or use another --cgroup-parent`,
        });
      }
    }
  }
}

function readFreeze(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, 'cgroup.freeze'), 'utf8').trim();
  } catch {
    return undefined; // the root has no cgroup.freeze; a missing parent is made by nsbox, unfrozen
  }
}

/** The inode of a cgroup directory (kernfs: unique within a boot), or undefined when it does not exist. */
export function readCgroupIno(dir: string): number | undefined {
  try {
    return statSync(dir).ino;
  } catch {
    return undefined;
  }
}

/**
 * The undo list with each remove-cgroup step stamped with the inode of the cgroup nsbox made (call once the plan's
 * set-up ran): a later rm, start or gc then removes that very cgroup only, never one someone made at the same path.
 */
export function stampCgroupUndos(undos: readonly UndoStep[]): UndoStep[] {
  return undos.map((undo) => {
    if (undo.kind !== 'remove-cgroup' || undo.ino !== undefined) return undo;
    const ino = readCgroupIno(undo.path);
    return ino === undefined ? undo : { ...undo, ino };
  });
}
