// Removing a directory tree a box filled (its upper layer, a volume). node's rmSync walks by full paths, and a box
// can nest directories as deep as its own paths allow: past PATH_MAX (4096 bytes) on the host, where the same files
// sit below the store's longer prefix. rmSync then failed with ENAMETOOLONG and the box's files stayed on the host
// after `nsbox rm` (a warning only) and `volume rm`. GNU rm walks with openat (fts): any depth, no link followed.

import { execFileSync } from 'node:child_process';
import { rm, rmSync } from 'node:fs';
import { NsboxError } from '../errors.js';
import { HOST_ENV } from './host-env.js';
import { requireTool } from './tools.js';

/** rm -r of path (nothing when it is not there), whatever its depth; never crosses into another file system. */
export function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENAMETOOLONG') throw error;
  }
  removeDeepTree(path);
}

/**
 * The same on libuv's thread pool: `rm -f` of many boxes deletes their trees side by side (four threads) instead of
 * one unlink after another on nsbox's own thread (50 boxes: ~1150 unlinks and rmdirs, most of rm's time).
 */
export async function removeTreeInBackground(path: string): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => rm(path, { recursive: true, force: true }, (error) => (error ? reject(error) : resolve())));
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENAMETOOLONG') throw error;
  }
  removeDeepTree(path);
}

/** GNU rm for a tree deeper than PATH_MAX. */
function removeDeepTree(path: string): void {
  try {
    execFileSync(requireTool('rm'), ['-rf', '--one-file-system', '--', path], { stdio: ['ignore', 'ignore', 'pipe'], env: HOST_ENV });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim().split('\n')[0];
    throw new NsboxError(`cannot remove ${path}: ${stderr || (error as Error).message}`);
  }
}
