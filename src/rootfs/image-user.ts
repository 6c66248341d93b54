// Resolves the box's user (--user or the image's User) with the image's own /etc/passwd and /etc/group, read
// from the merged layers (never the host's files, never through a symlink).

import { readFile } from 'node:fs/promises';
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
  const value = user ?? 'root';
  const match = /^([^:]+)(?::([^:]+))?$/.exec(value);
  if (!match) throw flagError('--user', value, 'expected UID[:GID] or NAME[:GROUP]');
  const [, userPart, groupPart] = match as unknown as [string, string, string | undefined];
  const passwd = await readTable(layers, 'passwd');
  const entry = /^\d+$/.test(userPart) ? passwd.find((r) => r[2] === userPart) : passwd.find((r) => r[0] === userPart);
  if (!entry && !/^\d+$/.test(userPart)) {
    if (user === undefined) return { uid: 0, gid: 0, groups: [], home: '/root' };
    throw new NsboxError(`cannot run as user ${JSON.stringify(userPart)}: no such user in the image's /etc/passwd`);
  }
  const uid = entry ? toId(value, entry[2]!) : toId(value, userPart);
  let gid = entry ? toId(value, entry[3]!) : 0;
  const groupTable = await readTable(layers, 'group');
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) gid = toId(value, groupPart);
    else {
      const row = groupTable.find((r) => r[0] === groupPart);
      if (!row) throw new NsboxError(`cannot run as group ${JSON.stringify(groupPart)}: no such group in the image's /etc/group`);
      gid = toId(value, row[2]!);
    }
  }
  const name = entry?.[0];
  const groups = name === undefined ? [] : groupTable.filter((r) => (r[3] ?? '').split(',').includes(name)).map((r) => Number(r[2])).filter((g) => Number.isInteger(g) && g !== gid);
  return { uid, gid, groups: [...new Set(groups)], home: entry?.[5] || '/' };
}

async function readTable(layers: readonly string[], name: 'passwd' | 'group'): Promise<string[][]> {
  const entry = await lookupMerged(layers, ['etc', name]);
  if (entry.kind !== 'file') return [];
  const text = await readFile(join(entry.layer, 'etc', name), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

function toId(value: string, text: string): number {
  const id = Number(text);
  if (!Number.isInteger(id) || id < 0 || id > 4294967294) throw flagError('--user', value, `id ${JSON.stringify(text)} out of range`);
  return id;
}
