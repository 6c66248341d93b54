// File-system primitives for extraction that never follow a symlink: every path is walked with lstat.

import { constants } from 'node:fs';
import { lstat, mkdir, rm, unlink, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stats } from 'node:fs';
import { hostileMember } from './member-path.js';

/** lstat that answers undefined for a missing path. */
export async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Makes sure root/parts[0]/.../parts[n-1] are real directories, creating missing ones (mode 0755, as tar does),
 * and returns the path. A symlink or non-directory on the way is refused: extraction never follows links.
 */
export async function ensureDirectories(root: string, parts: readonly string[], member: string): Promise<string> {
  let current = root;
  for (const part of parts) {
    current = join(current, part);
    const info = await lstatOrUndefined(current);
    if (info === undefined) {
      await mkdir(current, { mode: 0o755 });
    } else if (info.isSymbolicLink()) {
      throw hostileMember(member, `its parent "${parts.slice(0, parts.indexOf(part) + 1).join('/')}" is a symlink`);
    } else if (!info.isDirectory()) {
      throw hostileMember(member, `its parent "${parts.slice(0, parts.indexOf(part) + 1).join('/')}" is not a directory`);
    }
  }
  return current;
}

/**
 * Resolves an existing entry root/parts... whose parents are all real directories; the final entry is not
 * followed either. Returns its path and lstat, or throws naming the member.
 */
export async function resolveExisting(root: string, parts: readonly string[], member: string): Promise<{ path: string; info: Stats }> {
  const parent = await walkExistingDirs(root, parts.slice(0, -1), member);
  const path = parts.length === 0 ? root : join(parent, parts[parts.length - 1]!);
  const info = await lstatOrUndefined(path);
  if (!info) throw hostileMember(member, `"${parts.join('/')}" does not exist in this layer`);
  return { path, info };
}

async function walkExistingDirs(root: string, parts: readonly string[], member: string): Promise<string> {
  let current = root;
  for (const [i, part] of parts.entries()) {
    current = join(current, part);
    const info = await lstatOrUndefined(current);
    const shown = parts.slice(0, i + 1).join('/');
    if (!info) throw hostileMember(member, `"${shown}" does not exist in this layer`);
    if (info.isSymbolicLink()) throw hostileMember(member, `"${shown}" is a symlink`);
    if (!info.isDirectory()) throw hostileMember(member, `"${shown}" is not a directory`);
  }
  return current;
}

/** Removes whatever is at path (a directory recursively; fs.rm does not follow symlinks inside it). */
export async function removeEntry(path: string, info: Stats | undefined): Promise<void> {
  if (!info) return;
  if (info.isDirectory()) await rm(path, { recursive: true, force: true });
  else await unlink(path);
}

/** Creates a new regular file without following a symlink and without reusing an existing file. */
export async function createFileNoFollow(path: string, mode: number): Promise<FileHandle> {
  return open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
}
