// The box store: create a box directory atomically, read and replace its record, remove it atomically.

import { mkdirSync, readFileSync, renameSync, rmSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { removeTreeInBackground } from '../host/remove-tree.js';
import { writeUnpublishedLock } from './lock.js';
import { spreadSubdirectories } from '../host/spread-directories.js';
import { boxDirOf, describeBoxDir, type BoxPaths, type StatePaths } from './paths.js';
import { parseRecord, type BoxRecord } from './record.js';

/** Create the state root's directories when missing (0711 root, 0700 inside: records hold env values). */
export function openState(state: StatePaths): void {
  mkdirSync(state.root, { recursive: true, mode: 0o711 });
  const made = [state.boxes, state.names, state.tmp].filter((dir) => mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined);
  // A box's directory is made in tmp/ and renamed into boxes/: each in a block group of its own (ext4)
  spreadSubdirectories(made.filter((dir) => dir !== state.names));
}

/**
 * Make the box's directory with its first record and its lock held by this process: built under tmp/ and renamed
 * into boxes/, so a reader sees a complete box or none. Returns the box's paths.
 */
export function createBoxDir(state: StatePaths, record: BoxRecord): BoxPaths {
  openState(state);
  const work = describeBoxDir(join(state.tmp, record.id));
  mkdirSync(work.dir, { mode: 0o700 });
  const final = boxDirOf(state, record.id);
  try {
    // The directory is ours alone until the rename: its lock and first record are written in place, no temp files.
    writeUnpublishedLock(work.lock);
    writeFileSync(work.record, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(work.dir, final);
  } catch (error) {
    rmSync(work.dir, { recursive: true, force: true });
    throw error;
  }
  return describeBoxDir(final);
}

/** The record of box `id`; throws "no such box" when it is gone. */
export function loadRecord(state: StatePaths, id: string): BoxRecord {
  const paths = describeBoxDir(boxDirOf(state, id));
  const record = readRecordAt(paths.record);
  if (!record && existsSync(paths.dir)) {
    throw new NsboxError(`cannot use box ${id.slice(0, 12)}: its record ${paths.record} is unreadable (torn, or from another nsbox version)`, { hint: `nsbox rm -f ${id.slice(0, 12)} removes it` });
  }
  if (!record) throw new NsboxError(`no such box: ${id.slice(0, 12)}`);
  return record;
}

/** A record file's contents, or undefined when missing or unreadable. */
export function readRecordAt(file: string): BoxRecord | undefined {
  try {
    return parseRecord(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Replace the record (callers hold the box lock, or own the box while it is created). */
export function saveRecord(state: StatePaths, record: BoxRecord): void {
  writeFileAtomic(describeBoxDir(boxDirOf(state, record.id)).record, `${JSON.stringify(record, null, 2)}\n`);
}

/** Remove the box's directory: renamed away first (readers never see half of it), then deleted. */
export function removeBoxDir(state: StatePaths, id: string): void {
  const trash = moveBoxDirAway(state, id);
  if (trash !== undefined) rmSync(trash, { recursive: true, force: true });
}

/**
 * The same, deleted on libuv's thread pool: `rm -f` of 50 boxes spent 0.7 s unlinking their state files (the
 * record, the log, the exit file) one after another on its own thread; now the boxes' go side by side.
 */
export async function removeBoxDirInBackground(state: StatePaths, id: string): Promise<void> {
  const trash = moveBoxDirAway(state, id);
  if (trash !== undefined) await removeTreeInBackground(trash);
}

/** Rename the box's directory into tmp/ (gc finishes a removal cut short there); undefined when it is gone. */
function moveBoxDirAway(state: StatePaths, id: string): string | undefined {
  const dir = boxDirOf(state, id);
  if (!existsSync(dir)) return undefined;
  const trash = join(state.tmp, `rm-${id}-${process.pid}`);
  mkdirSync(state.tmp, { recursive: true, mode: 0o700 });
  renameSync(dir, trash);
  return trash;
}

/** Entries of tmp/ (boxes being created, or removals cut short): gc decides which are stale. */
export function listTmp(state: StatePaths): string[] {
  try {
    return readdirSync(state.tmp);
  } catch {
    return [];
  }
}
