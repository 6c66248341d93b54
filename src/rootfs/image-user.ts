// Resolves the box's user (--user or the image's User) with the image's own /etc/passwd and /etc/group, read
// from the merged layers (never the host's files, never through a symlink).

import { closeSync, constants as fsConstants, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NsboxError, flagError } from '../errors.js';
import { lookupMerged } from './merged-view.js';

export interface BoxUser {
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups: the groups of /etc/group that list the user by name. */
  readonly groups: readonly number[];
  /** From the passwd entry; "/" when there is none (Docker's rule). */
  readonly home: string;
}

/** USER (NAME, UID, NAME:GROUP, UID:GID; undefined means root) -> ids, the way Docker reads the image's files. */
export async function resolveBoxUser(layers: readonly string[], user: string | undefined): Promise<BoxUser> {
  return resolveUserFromTables(user, (name) => readTable(layers, name));
}

/** A table of the box's /etc (passwd or group), split into fields; [] when it has none. */
export type TableReader = (name: 'passwd' | 'group') => Promise<string[][]> | string[][];

/** The same rules over any source of the box's /etc/passwd and /etc/group (layers at run, the live root at exec). */
export async function resolveUserFromTables(user: string | undefined, read: TableReader, where = 'the image\'s'): Promise<BoxUser> {
  const value = user ?? 'root';
  const match = /^([^:]+)(?::([^:]+))?$/.exec(value);
  if (!match) throw flagError('--user', value, 'expected UID[:GID] or NAME[:GROUP]');
  const [, userPart, groupPart] = match as unknown as [string, string, string | undefined];
  const passwd = await read('passwd');
  const entry = /^\d+$/.test(userPart) ? passwd.find((r) => r[2] === userPart) : passwd.find((r) => r[0] === userPart);
  if (!entry && !/^\d+$/.test(userPart)) {
    if (user === undefined) return { uid: 0, gid: 0, groups: [], home: '/root' };
    throw new NsboxError(`cannot run as user ${JSON.stringify(userPart)}: no such user in ${where} /etc/passwd`);
  }
  const uid = entry ? toId(value, entry[2]!) : toId(value, userPart);
  let gid = entry ? toId(value, entry[3]!) : 0;
  const groupTable = await read('group');
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) gid = toId(value, groupPart);
    else {
      const row = groupTable.find((r) => r[0] === groupPart);
      if (!row) throw new NsboxError(`cannot run as group ${JSON.stringify(groupPart)}: no such group in ${where} /etc/group`);
      gid = toId(value, row[2]!);
    }
  }
  const name = entry?.[0];
  const groups = name === undefined ? [] : groupTable.filter((r) => (r[3] ?? '').split(',').includes(name)).map((r) => Number(r[2])).filter((g) => Number.isInteger(g) && g !== gid);
  return { uid, gid, groups: [...new Set(groups)], home: entry?.[5] || '/' };
}

/**
 * --group-add: each gid as it is, each name through the box's /etc/group (read by `read`, as for --user); an unknown
 * name is an error naming it. Added after the user's own groups, as Docker does.
 */
export async function addGroups(user: BoxUser, added: readonly string[], read: TableReader, where = 'the image\'s'): Promise<BoxUser> {
  if (added.length === 0) return user;
  const table = await read('group');
  const gids = added.map((g) => {
    if (/^\d+$/.test(g)) return Number(g);
    const row = table.find((r) => r[0] === g);
    if (!row || !/^\d+$/.test(row[2] ?? '')) throw new NsboxError(`invalid --group-add ${JSON.stringify(g)}: no such group in ${where} /etc/group`);
    return Number(row[2]);
  });
  return { ...user, groups: [...new Set([...user.groups, ...gids])] };
}

/** The image's /etc/group or /etc/passwd from its layers (TableReader for --user and --group-add). */
export function layerTables(layers: readonly string[]): TableReader {
  return (name) => readTable(layers, name);
}

async function readTable(layers: readonly string[], name: 'passwd' | 'group'): Promise<string[][]> {
  const entry = await lookupMerged(layers, ['etc', name]);
  if (entry.kind !== 'file') return [];
  return splitTable(readTextOrEmpty(join(entry.layer, 'etc', name), `the image's /etc/${name}`));
}

/**
 * Past this size an /etc/passwd or /etc/group is no table of users but an attack on nsbox's memory: an image's 400 MB
 * /etc/group (1 MB as a gzipped layer) took nsbox to 5 GB of the host's memory for 105 s, then V8 aborted. Refused.
 */
export const MAX_TABLE_BYTES = 4 * 1024 * 1024;

/** The text of an open table file, refused (one line) when larger than MAX_TABLE_BYTES; fstat's size bounds the read. */
function readTableFd(fd: number, what: string): string {
  const { size } = fstatSync(fd);
  if (size > MAX_TABLE_BYTES) throw new NsboxError(`cannot read ${what}: it is ${(size / 1048576).toFixed(0)} MiB, more than the ${MAX_TABLE_BYTES / 1048576} MiB nsbox reads of a user table`);
  return readFileSync(fd, 'utf8');
}

/** passwd/group text -> rows of fields. */
export function splitTable(text: string): string[][] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

/**
 * /etc/NAME of a running box, read through /proc/<pid>/root without following a symlink at etc or NAME: an absolute
 * symlink there would resolve against nsbox's root (the host's /etc/shadow), not the box's. Anything but a regular
 * file (a fifo, a socket) is an empty table.
 */
export function readLiveTable(pid: number, name: 'passwd' | 'group'): string[][] {
  const { O_RDONLY, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } = fsConstants;
  let dir: number | undefined;
  let file: number | undefined;
  try {
    dir = openSync(`/proc/${pid}/root/etc`, O_RDONLY | O_NOFOLLOW | O_DIRECTORY);
    // O_NONBLOCK: a fifo the box made there would hang this open until a box process wrote to it.
    file = openSync(`/proc/self/fd/${dir}/${name}`, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    if (!fstatSync(file).isFile()) return [];
    return splitTable(readTableFd(file, `the box's /etc/${name}`));
  } catch (error) {
    if (error instanceof NsboxError) throw error;
    return [];
  } finally {
    if (file !== undefined) closeSync(file);
    if (dir !== undefined) closeSync(dir);
  }
}

function toId(value: string, text: string): number {
  const id = Number(text);
  if (!Number.isInteger(id) || id < 0 || id > 4294967294) throw flagError('--user', value, `id ${JSON.stringify(text)} out of range`);
  return id;
}

/** A small file of the image, read at once (an awaited read is several thread-pool round trips at start-up). */
function readTextOrEmpty(path: string, what: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    return readTableFd(fd, what);
  } catch (error) {
    if (error instanceof NsboxError) throw error;
    return '';
  } finally {
    closeSync(fd);
  }
}
