// Removing a directory tree a box filled (its upper layer, a volume). node's rmSync walks by full paths, and a box
// can nest directories as deep as its own paths allow: past PATH_MAX (4096 bytes) on the host, where the same files
// sit below the store's longer prefix. rmSync then failed with ENAMETOOLONG and the box's files stayed on the host
// after `nsbox rm` (a warning only) and `volume rm`. GNU rm walks with openat (fts): any depth, no link followed.

import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
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
  try {
    execFileSync(requireTool('rm'), ['-rf', '--one-file-system', '--', path], { stdio: ['ignore', 'ignore', 'pipe'], env: HOST_ENV });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim().split('\n')[0];
    throw new NsboxError(`cannot remove ${path}: ${stderr || (error as Error).message}`);
  }
}
