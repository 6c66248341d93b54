// A lock file per box (and one for names): created whole (written to a temp file, then hard-linked into place,
// which fails if it exists), holding the owner's pid, start time and boot id.
//
// Why no library: proper-lockfile and friends decide staleness by mtime, which either steals a live lock from a slow
// owner or waits long after a crash. The owner's identity tells exactly whether it is alive, so a crashed nsbox's lock
// is taken over at once and a live one never. Taking over is the one racy part (two processes that both see the dead
// owner must not both win), so it happens under flock(2) of the lock's directory, taken with util-linux's flock on an
// fd nsbox holds: the kernel drops that lock when nsbox exits or dies, so the guard itself can never go stale.

import { openSync, readFileSync, unlinkSync, writeFileSync, closeSync, linkSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
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
  if (tryCreate(path)) return true;
  if (!isStale(path)) return false;
  // Judge again under the guard: whoever took it over before us made it live again. A plain create that slips in
  // between our unlink and our create wins fairly (ours then fails): never two owners.
  return withDirectoryFlock(dirname(path), () => {
    if (!isStale(path)) return false;
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return tryCreate(path);
  });
}

/**
 * Write our lock at `path` in a directory no other process can see yet (a box's, before it is renamed into place):
 * no temp file and link are needed there, which saves an inode made and freed per box (on ext4 without a journal
 * each create scans past the inodes freed in the last minute: a cost that grows with every box removed).
 */
export function writeUnpublishedLock(path: string): void {
  writeFileSync(path, ownText(), { mode: 0o600, flag: 'wx' });
}

/** Create the lock with our identity already inside (link(2) fails if it exists); false if it exists. */
function tryCreate(path: string): boolean {
  const temp = `${path}.${process.pid}.new`;
  writeFileSync(temp, ownText(), { mode: 0o600 });
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  }
}

/** The lock exists and its owner is dead (an unreadable owner counts only when old: written by an older nsbox). */
function isStale(path: string): boolean {
  let held: string;
  try {
    held = readFileSync(path, 'utf8');
  } catch {
    return false; // released meanwhile: the next create decides
  }
  const owner = parseOwner(held);
  return owner === undefined ? isOldEmpty(path) : !isAlive(owner);
}

/**
 * Run fn holding flock(2) on directory `dir`: `flock` locks the open file description nsbox passes it as fd 3, so
 * the lock outlives the flock process and ends when nsbox closes the fd (or dies). Sync: callers are sync too.
 */
export function withDirectoryFlock<T>(dir: string, fn: () => T, timeoutSeconds = 10): T {
  const fd = openSync(dir, 'r');
  try {
    const r = spawnSync('flock', ['--exclusive', '--timeout', String(timeoutSeconds), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd], encoding: 'utf8' });
    if (r.error) throw new NsboxError(`cannot lock ${dir}: ${r.error.message}`, { hint: 'flock comes with util-linux' });
    if (r.status !== 0) throw new NsboxError(`cannot lock ${dir}: ${r.stderr.trim() || `flock exited ${r.status}`}`);
    return fn();
  } finally {
    closeSync(fd);
  }
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
