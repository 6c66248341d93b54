// Work directories under the store's tmp/: named after their owner (pid + start time) so stale ones are found.

import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Store } from './store.js';
import { readStartTime } from '../state/proc-identity.js';

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or undefined if it is gone. */
export function readProcessStartTime(pid: number): string | undefined {
  return readStartTime(pid)?.toString();
}

const OWN_PREFIX = `${process.pid}-${readProcessStartTime(process.pid) ?? '0'}`;

/** A fresh name for a temp entry owned by this process: "<pid>-<starttime>-<random>-<purpose>". */
export function newTempName(purpose: string): string {
  return `${OWN_PREFIX}-${randomBytes(6).toString('hex')}-${purpose}`;
}

/** Creates a work directory of this process in the store's tmp/. */
export async function createWorkDir(store: Store, purpose: string): Promise<string> {
  const dir = join(store.tmp, newTempName(purpose));
  await mkdir(dir, { mode: 0o700 });
  return dir;
}

/** True when the temp entry's owner (pid + start time from its name) is still running. */
export function isOwnerAlive(entryName: string): boolean {
  const match = /^(\d+)-(\d+)-/.exec(entryName);
  if (!match) return false;
  return readProcessStartTime(Number(match[1])) === match[2];
}

/** True when the entry belongs to this very process. */
export function isOwnEntry(entryName: string): boolean {
  return entryName.startsWith(`${OWN_PREFIX}-`);
}

/** Deletes temp entries whose owner is dead (an import killed mid-way); returns whether others are live. */
export async function removeStaleWork(store: Store): Promise<{ readonly removed: readonly string[]; readonly othersLive: boolean }> {
  let names: string[];
  try {
    names = await readdir(store.tmp);
  } catch {
    return { removed: [], othersLive: false };
  }
  const removed: string[] = [];
  let othersLive = false;
  for (const name of names) {
    if (isOwnEntry(name)) continue;
    if (isOwnerAlive(name)) {
      othersLive = true;
      continue;
    }
    await rm(join(store.tmp, name), { recursive: true, force: true });
    removed.push(name);
  }
  return { removed, othersLive };
}
