// Box names (Docker's rule), ids, and turning what the user typed (name, id or unique id prefix) into a box id.

import { readdirSync, readlinkSync, symlinkSync, unlinkSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NsboxError, flagError } from '../errors.js';
import { withLock } from './lock.js';
import type { StatePaths } from './paths.js';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const MAX_NAME = 63;
const ID = /^[0-9a-f]{64}$/;

/** Docker's name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63 characters. Throws a one-line NsboxError. */
export function validateName(name: string): string {
  if (name === '') throw flagError('--name', name, 'a name cannot be empty');
  if (name.length > MAX_NAME) throw flagError('--name', `${name.slice(0, 20)}...`, `at most ${MAX_NAME} characters (got ${name.length})`);
  if (!NAME.test(name)) throw flagError('--name', name, 'use letters, digits and _ . - only, starting with a letter or digit');
  return name;
}

/** The 12-character short form of an id. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}

/** Claim `name` for box `id`: symlink(2) fails with EEXIST if it is taken, so two claims never both win. */
export async function reserveName(state: StatePaths, name: string, id: string): Promise<void> {
  mkdirSync(state.names, { recursive: true, mode: 0o700 });
  const link = join(state.names, name);
  if (tryLink(link, id)) return;
  // Taken. A name whose box directory is gone (a crash between the two) is reclaimed under the names lock.
  const reclaimed = await withLock(state.namesLock, 'the box names', () => {
    const owner = readNameLink(link);
    if (owner !== undefined && existsSync(join(state.boxes, owner))) return false;
    if (owner !== undefined) unlinkSync(link);
    return tryLink(link, id);
  });
  if (!reclaimed) {
    const owner = readNameLink(link);
    throw new NsboxError(`cannot create box: the name ${JSON.stringify(name)} is in use${owner ? ` by box ${shortId(owner)}` : ''}`, {
      hint: `remove that box first (nsbox rm ${name}) or choose another name`,
    });
  }
}

function tryLink(link: string, id: string): boolean {
  try {
    symlinkSync(id, link);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The id a name link points to. */
export function readNameLink(link: string): string | undefined {
  try {
    const target = readlinkSync(link);
    return ID.test(target) ? target : undefined;
  } catch {
    return undefined;
  }
}

/** Release `name` if it still points to `id` (under the names lock: a reclaim may be racing). */
export async function releaseName(state: StatePaths, name: string, id: string): Promise<void> {
  const link = join(state.names, name);
  if (readNameLink(link) !== id) return;
  await withLock(state.namesLock, 'the box names', () => {
    if (readNameLink(link) === id) unlinkSync(link);
  });
}

/** Every box id in the store. */
export function listBoxIds(state: StatePaths): string[] {
  try {
    return readdirSync(state.boxes).filter((n) => ID.test(n));
  } catch {
    return [];
  }
}

/** Name -> id, full id, or unique id prefix (Docker's order: exact id, then name, then prefix). */
export function resolveBoxRef(state: StatePaths, ref: string): string {
  if (ref === '') throw new NsboxError('invalid box "": give a name, an id or an id prefix');
  if (/[\x00-\x1f\x7f/]/.test(ref)) throw new NsboxError(`invalid box ${JSON.stringify(ref)}: not a name or an id`);
  const ids = listBoxIds(state);
  if (ID.test(ref) && ids.includes(ref)) return ref;
  if (NAME.test(ref) && ref.length <= MAX_NAME) {
    const named = readNameLink(join(state.names, ref));
    if (named !== undefined) return named;
  }
  if (/^[0-9a-f]+$/.test(ref)) {
    const matches = ids.filter((id) => id.startsWith(ref));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new NsboxError(`box id prefix ${JSON.stringify(ref)} is ambiguous: it matches ${matches.length} boxes`, { hint: 'give more digits' });
  }
  throw new NsboxError(`no such box: ${ref}`);
}
