// Resolves `--user UID[:GID]` (or NAME[:GROUP] from the host's /etc/passwd and /etc/group) to numeric ids.

import { readFileSync } from 'node:fs';
import { flagError } from '../errors.js';
import type { RunAs } from './box-description.js';

/** Parse a run-as value; a uid without a group gets the user's primary group, else 0 (Docker's rule). */
export function parseRunAs(value: string, etc = '/etc'): RunAs {
  const match = /^([^:]+)(?::([^:]+))?$/.exec(value);
  if (!match) throw flagError('--user', value, 'expected UID[:GID] or NAME[:GROUP]');
  const [, userPart, groupPart] = match as unknown as [string, string, string | undefined];
  const passwd = readTable(`${etc}/passwd`);
  let uid: number;
  let primaryGid: number | undefined;
  if (/^\d+$/.test(userPart)) {
    uid = toId('--user', value, userPart);
    const row = passwd.find((r) => r[2] === userPart);
    primaryGid = row ? Number(row[3]) : undefined;
  } else {
    const row = passwd.find((r) => r[0] === userPart);
    if (!row) throw flagError('--user', value, `no user ${userPart} in ${etc}/passwd`);
    uid = Number(row[2]);
    primaryGid = Number(row[3]);
  }
  let gid: number;
  if (groupPart === undefined) gid = primaryGid ?? 0;
  else if (/^\d+$/.test(groupPart)) gid = toId('--user', value, groupPart);
  else {
    const row = readTable(`${etc}/group`).find((r) => r[0] === groupPart);
    if (!row) throw flagError('--user', value, `no group ${groupPart} in ${etc}/group`);
    gid = Number(row[2]);
  }
  return { uid, gid };
}

function toId(flag: string, value: string, text: string): number {
  const id = Number(text);
  if (id > 4294967294) throw flagError(flag, value, 'id out of range');
  return id;
}

function readTable(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => l.split(':'));
  } catch {
    return [];
  }
}
