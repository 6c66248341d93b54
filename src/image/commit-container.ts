// Finds a container under ROOT/containers/ (id, box name, or unique id prefix), reads its config.json, and tells
// whether its root is still mounted (the box is running): what commit and export check before reading it.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { describeContainerDir, type ContainerDir, type ContainerRecord } from '../rootfs/container-dir.js';
import type { Store } from './store.js';

export interface FoundContainer {
  readonly id: string;
  readonly dir: ContainerDir;
  readonly record: ContainerRecord;
}

const ID = /^[0-9a-f]{64}$/;

/** The container `ref` names: a full id, a box name (from the state dir's names/, if given), or a unique prefix. */
export function findContainer(store: Store, ref: string, namesDir?: string): FoundContainer {
  if (ref === '' || /[\x00-\x1f\x7f/]/.test(ref)) throw new NsboxError(`invalid container ${JSON.stringify(ref)}: give an id, an id prefix or a name`);
  const ids = listContainerIds(store);
  let id = ids.includes(ref) ? ref : undefined;
  if (id === undefined && namesDir !== undefined) {
    const named = readNameLink(join(namesDir, ref));
    if (named !== undefined && ids.includes(named)) id = named;
  }
  if (id === undefined && /^[0-9a-f]+$/.test(ref)) {
    const matches = ids.filter((i) => i.startsWith(ref));
    if (matches.length > 1) throw new NsboxError(`container id prefix ${JSON.stringify(ref)} is ambiguous: it matches ${matches.length} containers`, { hint: 'give more digits' });
    id = matches[0];
  }
  if (id === undefined) throw new NsboxError(`no such container: ${ref}`, { hint: `containers kept after a run (without --rm) are in ${store.containers}` });
  const dir = describeContainerDir(store.containers, id);
  return { id, dir, record: readContainerRecord(dir) };
}

/** Ids of the containers in the store (directories named by a 64-hex id). */
export function listContainerIds(store: Store): readonly string[] {
  try {
    return readdirSync(store.containers).filter((n) => ID.test(n)).sort();
  } catch {
    return [];
  }
}

/** containers/<id>/config.json, checked. */
export function readContainerRecord(dir: ContainerDir): ContainerRecord {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(dir.config, 'utf8'));
  } catch {
    throw new NsboxError(`cannot read container ${dir.dir}: its config.json is missing or damaged`);
  }
  const record = value as ContainerRecord;
  if (record?.schemaVersion !== 1 || !Array.isArray(record.layers) || !Array.isArray(record.lowerDirs)) {
    throw new NsboxError(`cannot read container ${dir.dir}: its config.json has an unknown format`);
  }
  return record;
}

/**
 * PIDs (one per mount namespace) of processes that have an overlay mounted with this upper dir: while one exists,
 * the box (or something that entered it) is running and the upper dir may change. The kernel's mount tables are
 * the truth here: no pid file can go stale.
 */
export function findUpperUsers(upper: string, proc = '/proc'): readonly number[] {
  const needle = `upperdir=${escapeMountPath(upper)},`;
  const needleEnd = `upperdir=${escapeMountPath(upper)}`;
  const seen = new Set<string>();
  const users: number[] = [];
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    let ns: string;
    try {
      ns = readlinkSync(`${proc}/${name}/ns/mnt`);
    } catch {
      continue; // gone, or a kernel thread
    }
    if (seen.has(ns)) continue;
    seen.add(ns);
    let table: string;
    try {
      table = readFileSync(`${proc}/${name}/mountinfo`, 'utf8');
    } catch {
      continue;
    }
    if (table.split('\n').some((line) => line.includes(needle) || line.endsWith(needleEnd))) users.push(Number(name));
  }
  return users;
}

/** Refuses (exit 125) while the container's root is mounted somewhere. */
export function checkStopped(found: FoundContainer, action: string): void {
  const users = findUpperUsers(found.dir.upper);
  if (users.length > 0) {
    throw new NsboxError(`cannot ${action} container ${found.id.slice(0, 12)}: it is running (its root is mounted in pid ${users[0]}'s mount namespace)`, {
      hint: 'stop the box first',
    });
  }
}

/** mountinfo's escaping of a path: space, tab, newline and backslash as \ooo. */
function escapeMountPath(path: string): string {
  return path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

function readNameLink(link: string): string | undefined {
  try {
    const target = readlinkSync(link);
    return ID.test(target) ? target : undefined;
  } catch {
    return undefined;
  }
}
