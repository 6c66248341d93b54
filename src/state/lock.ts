// A lock file per box (and one for names): created with O_EXCL, holding the owner's pid, start time and boot id.
//
// Why no library: proper-lockfile and friends decide staleness by mtime, which either steals a live lock from a slow
// owner or waits long after a crash; flock(2) is not reachable from Node without a native addon. The owner's
// identity tells exactly whether it is alive, so a crashed nsbox's lock is taken over at once and a live one never.

import { openSync, readFileSync, renameSync, unlinkSync, writeSync, closeSync, linkSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { NsboxError } from '../errors.js';
import { identify, isAlive, type ProcessIdentity } from './proc-identity.js';

export interface Lock {
  readonly path: string;
  release(): void;
}

/** The text of a lock held by this process. */
function ownText(): string {
  const self = identify(process.pid)!;
  return `${self.pid} ${self.startTime} ${self.bootId}\n`;
}

function parseOwner(text: string): ProcessIdentity | undefined {
  const [pid, startTime, bootId] = text.trim().split(' ');
  if (!pid || !startTime || !bootId) return undefined;
  return { pid: Number(pid), startTime: Number(startTime), bootId };
}

/** Try once: true if the lock is now ours. Takes over a lock whose owner is dead. */
export function tryLock(path: string): boolean {
  return tryCreate(path) || (takeOverStale(path) && tryCreate(path));
}

/** O_EXCL create with our identity inside; false if it exists. */
function tryCreate(path: string): boolean {
  const text = ownText();
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  }
}

/** If the lock's owner is dead, move the lock out of the way; true when the path may be free now. */
function takeOverStale(path: string): boolean {
  let held: string;
  try {
    held = readFileSync(path, 'utf8');
  } catch {
    return true; // released meanwhile
  }
  const owner = parseOwner(held);
  // A lock without an owner yet is being written (between open and write): stale only if it stays so (a crash there).
  if (owner === undefined ? !isOldEmpty(path) : isAlive(owner)) return false;
  // Stale: move it aside; if what we moved is not what we judged (someone re-took it), put it back.
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return false;
  }
  let moved = '';
  try {
    moved = readFileSync(aside, 'utf8');
  } catch {
    // gone: nothing to restore
  }
  if (moved !== held) {
    try {
      linkSync(aside, path);
    } catch {
      // someone else holds it now: theirs wins
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // already gone
  }
  return true;
}

/** Take the lock, waiting up to timeoutMs; `what` names it in the error. */
export async function acquireLock(path: string, what: string, timeoutMs = 30_000): Promise<Lock> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    let ours: boolean;
    try {
      ours = tryLock(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NsboxError(`cannot lock ${what}: it no longer exists`);
      throw error;
    }
    if (ours) return { path, release: () => releaseLock(path) };
    if (Date.now() > deadline) throw new NsboxError(`cannot lock ${what}: another nsbox holds it (${path})`);
    await sleep(delay);
  }
}

function isOldEmpty(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > 2000;
  } catch {
    return false;
  }
}

/** Remove the lock if it is still ours. */
export function releaseLock(path: string): void {
  try {
    if (readFileSync(path, 'utf8') === ownText()) unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Run fn holding the lock. */
export async function withLock<T>(path: string, what: string, fn: () => Promise<T> | T, timeoutMs?: number): Promise<T> {
  const lock = await acquireLock(path, what, timeoutMs);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** The owner written in a lock file, if any (for gc and messages). */
export function readLockOwner(path: string): ProcessIdentity | undefined {
  try {
    return parseOwner(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
