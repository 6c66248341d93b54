// Reads files named by an archive's own manifests (docker save, OCI layout) without leaving the source dir.

import { readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { NsboxError } from '../errors.js';

/**
 * Resolves a manifest-given relative path inside root: no absolute path, no "..", and after resolving
 * symlinks (docker save uses them between layer dirs) it must still be a regular file inside root.
 */
export async function resolveSourceFile(root: string, relative: unknown, what: string): Promise<string> {
  const bad = (reason: string): NsboxError =>
    new NsboxError(`refusing ${what} ${JSON.stringify(relative)}: ${reason}`, { hint: 'the image archive is hostile or damaged; nothing was imported' });
  if (typeof relative !== 'string' || relative === '') throw bad('not a path');
  if (relative.includes('\0')) throw bad('the path contains a NUL byte');
  if (relative.startsWith('/')) throw bad('absolute path');
  if (relative.split('/').includes('..')) throw bad('the path contains ".."');
  const realRoot = await realpath(root);
  let resolved: string;
  try {
    resolved = await realpath(join(root, relative));
  } catch {
    throw bad('no such file in the archive');
  }
  if (!resolved.startsWith(realRoot + sep)) throw bad('it resolves outside the archive');
  if (!(await stat(resolved)).isFile()) throw bad('not a regular file');
  return resolved;
}

/** Parses a JSON file of the source; a parse error is one clear line. */
export async function readSourceJson(path: string, what: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new NsboxError(`cannot import: ${what} is not valid JSON`);
  }
}
