// `pause` and `unpause`, as Docker's: every process of a running box frozen by the cgroup freezer (v2: the box's
// own cgroup.freeze; v1: a freezer cgroup beside its others, made at the first pause only, since a box that is never
// paused should not sit in the freezer hierarchy), and thawed again. A paused box stays running: stop, kill -s KILL
// and rm -f thaw it so the signal takes effect (a frozen v1 task does not die until thawed).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NsboxError } from '../errors.js';
import { detectCgroupHost, findHierarchy } from '../cgroup/detect.js';
import { boxCgroupName, dirOf, resolveParentPath } from '../cgroup/layout.js';
import { readCgroupIno } from '../cgroup/preexisting.js';
import type { CgroupRequest } from '../cgroup/request.js';
import type { BoxRecord } from '../state/record.js';
import { listCgroupPids } from './signal-box.js';

/** The record's freezer: the cgroup directory `pause` froze (v1: the one it made; v2: the box's own). */
export interface FreezerFields {
  readonly freezer?: { readonly dir: string; readonly version: 1 | 2 };
}

const FREEZE_TIMEOUT_MS = 5_000;

/** Whether the box's processes are frozen now (read from the cgroup, never trusted from the record). */
export function isFrozen(record: BoxRecord): boolean {
  const freezer = (record as BoxRecord & FreezerFields).freezer;
  if (!freezer) return false;
  try {
    if (freezer.version === 2) return readFileSync(join(freezer.dir, 'cgroup.freeze'), 'utf8').trim() === '1';
    return readFileSync(join(freezer.dir, 'freezer.state'), 'utf8').trim() !== 'THAWED';
  } catch {
    return false; // gone with the run that was paused
  }
}

/**
 * Where this box freezes: on v2 its own cgroup; on v1 a freezer cgroup of the box's name under the parent its other
 * cgroups have (resolved as run resolved them), made if missing. Returns the record with it (and its undo) added.
 */
export function prepareFreezer(record: BoxRecord, label: string): BoxRecord & FreezerFields {
  const cgroup = record.cgroup;
  if (!cgroup || cgroup.dirs.length === 0) throw new NsboxError(`cannot pause box ${label}: it has no cgroup`);
  if (cgroup.version === 2) return { ...record, freezer: { dir: cgroup.dirs[0]!, version: 2 } };
  const host = detectCgroupHost();
  const hierarchy = findHierarchy(host, 'freezer');
  if (!hierarchy || hierarchy.version !== 1) {
    throw new NsboxError(`cannot pause box ${label}: the freezer controller is not mounted`, { hint: `mount it: mkdir -p ${host.root}/freezer && mount -t cgroup -o freezer cgroup ${host.root}/freezer` });
  }
  const request = recordedCgroupRequest(record);
  if (!request) throw new NsboxError(`cannot pause box ${label}: its record has no cgroup request (made by an older nsbox)`, { hint: 'restart it' });
  const parent = resolveParentPath(host, hierarchy, request);
  const dir = dirOf({ mount: hierarchy.mount, path: `${parent === '/' ? '' : parent}/${boxCgroupName(record.id)}` });
  const known = record.undo.some((u) => u.kind === 'remove-cgroup' && u.path === dir);
  // Parents are kept for later boxes, as run keeps its own; the box's freezer cgroup goes with the box (rm, start).
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const undo = known ? record.undo : [...record.undo, { kind: 'remove-cgroup' as const, path: dir, ino: readCgroupIno(dir) }];
  return { ...record, undo, freezer: { dir, version: 1 } };
}

/** Freeze every process of the box (callers hold its lock and saved the record prepareFreezer returned). */
export async function freezeBox(record: BoxRecord & FreezerFields, label: string): Promise<void> {
  const freezer = record.freezer!;
  if (freezer.version === 2) {
    writeFileSync(join(freezer.dir, 'cgroup.freeze'), '1');
    if (!(await until(() => /^frozen 1$/m.test(readFileSync(join(freezer.dir, 'cgroup.events'), 'utf8'))))) {
      writeFileSync(join(freezer.dir, 'cgroup.freeze'), '0');
      throw new NsboxError(`cannot pause box ${label}: its processes did not freeze within ${FREEZE_TIMEOUT_MS / 1000} s`);
    }
    return;
  }
  // v1: move every process of the box in (its children are born inside from then on), until a pass finds none
  // outside: a process forked meanwhile by one not yet moved is caught by the next pass.
  const procs = join(freezer.dir, 'cgroup.procs');
  for (let pass = 0; ; pass++) {
    const inside = new Set(readPids(procs));
    const outside = listCgroupPids(record).filter((pid) => !inside.has(pid));
    if (outside.length === 0) break;
    if (pass >= 100) throw new NsboxError(`cannot pause box ${label}: it starts processes faster than they can be moved to its freezer cgroup`);
    for (const pid of outside) {
      try {
        writeFileSync(procs, String(pid));
      } catch {
        // ended meanwhile
      }
    }
  }
  writeFileSync(join(freezer.dir, 'freezer.state'), 'FROZEN');
  if (!(await until(() => readFileSync(join(freezer.dir, 'freezer.state'), 'utf8').trim() === 'FROZEN'))) {
    writeFileSync(join(freezer.dir, 'freezer.state'), 'THAWED');
    throw new NsboxError(`cannot pause box ${label}: its processes did not freeze within ${FREEZE_TIMEOUT_MS / 1000} s`);
  }
}

/** Thaw the box if it is frozen; returns whether it was. */
export async function thawBox(record: BoxRecord): Promise<boolean> {
  if (!isFrozen(record)) return false;
  const freezer = (record as BoxRecord & FreezerFields).freezer!;
  if (freezer.version === 2) {
    writeFileSync(join(freezer.dir, 'cgroup.freeze'), '0');
    await until(() => /^frozen 0$/m.test(readFileSync(join(freezer.dir, 'cgroup.events'), 'utf8')));
  } else {
    writeFileSync(join(freezer.dir, 'freezer.state'), 'THAWED');
    await until(() => readFileSync(join(freezer.dir, 'freezer.state'), 'utf8').trim() === 'THAWED');
  }
  return true;
}

/** The cgroup request the box was planned with (its launch recipe keeps it), if any. */
function recordedCgroupRequest(record: BoxRecord): CgroupRequest | undefined {
  const recipe = record.launch;
  if (!recipe) return undefined;
  return recipe.kind === 'image' ? recipe.spec.box.cgroup : recipe.spec.cgroup;
}

function readPids(procs: string): number[] {
  try {
    return readFileSync(procs, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function until(check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + FREEZE_TIMEOUT_MS;
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    try {
      if (check()) return true;
    } catch {
      return false;
    }
    if (Date.now() > deadline) return false;
    await sleep(delay);
  }
}
