// Reads files named by an archive's own manifests (docker save, OCI layout) without leaving the source dir.

import { open, realpath, stat } from 'node:fs/promises';
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

/**
 * Past this size a manifest, index or image config is no metadata but an attack on nsbox's memory: a 300 KB gzipped
 * archive whose config held 6 million history entries (126 MB) took `nsbox load` to 1.6 GB, and its record made every
 * `nsbox images` read 222 MB. They are kilobytes in practice. Refused before they are read.
 */
export const MAX_METADATA_BYTES = 8 * 1024 * 1024;

/** A metadata file of the source (JSON), whole, refused on one line when larger than MAX_METADATA_BYTES. */
export async function readMetadataFile(path: string, what: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > MAX_METADATA_BYTES) {
      throw new NsboxError(`cannot import: ${what} is ${(size / 1048576).toFixed(0)} MiB, more than the ${MAX_METADATA_BYTES / 1048576} MiB nsbox reads of image metadata`, { hint: 'the image archive is hostile or damaged; nothing was imported' });
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Parses a JSON file of the source; a parse error is one clear line. */
export async function readSourceJson(path: string, what: string): Promise<unknown> {
  const text = (await readMetadataFile(path, what)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new NsboxError(`cannot import: ${what} is not valid JSON`);
  }
}
