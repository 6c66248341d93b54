// Tells what an import SOURCE is: a rootfs tarball or directory, an OCI layout (dir or archive), a docker save.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tarStream from 'tar-stream';
import { NsboxError } from '../errors.js';
import { openUncompressed } from './decompress.js';

export type DetectedSource =
  | { readonly kind: 'directory' | 'oci-layout' | 'docker-save-dir'; readonly path: string }
  | { readonly kind: 'tarball' | 'oci-archive' | 'docker-save'; readonly path: string };

/** Looks at SOURCE (never writes): a directory by its marker files, an archive by its first member names. */
export async function detectSource(path: string): Promise<DetectedSource> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new NsboxError(`cannot import ${path}: no such file or directory`);
  if (info.isDirectory()) {
    if (await isFile(join(path, 'manifest.json'))) return { kind: 'docker-save-dir', path };
    if ((await isFile(join(path, 'oci-layout'))) && (await isFile(join(path, 'index.json')))) return { kind: 'oci-layout', path };
    return { kind: 'directory', path };
  }
  if (!info.isFile()) throw new NsboxError(`cannot import ${path}: not a regular file or directory`);
  const names = await peekMemberNames(path);
  const top = new Set(names.map((n) => n.replace(/^\.\//, '')));
  if (top.has('manifest.json')) return { kind: 'docker-save', path };
  if (top.has('oci-layout') && top.has('index.json')) return { kind: 'oci-archive', path };
  return { kind: 'tarball', path };
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

const ROOTFS_HINT = /^(\.\/)?(bin|etc|usr|lib|lib64|sbin|var|root|home|opt)(\/|$)/;
const IMAGE_MARKERS = new Set(['manifest.json', 'oci-layout', 'index.json', 'repositories']);

/**
 * Member names from the start of an archive, stopping early once a rootfs directory shows up (a rootfs is
 * not read twice) or image markers settle it. Errors (garbage, truncation) are left to the real import.
 */
async function peekMemberNames(path: string): Promise<readonly string[]> {
  const names: string[] = [];
  let input;
  try {
    input = await openUncompressed(path, path);
  } catch (error) {
    if (error instanceof NsboxError) throw error;
    return names;
  }
  const extract = tarStream.extract();
  input.on('error', (e) => extract.destroy(e));
  input.pipe(extract);
  try {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.\//, '');
      names.push(name);
      entry.resume();
      if (ROOTFS_HINT.test(name) && !names.some((n) => IMAGE_MARKERS.has(n))) break;
      if (names.includes('manifest.json') || (names.includes('oci-layout') && names.includes('index.json'))) break;
    }
  } catch {
    // not a readable tar: the import of it as a tarball reports the reason
  } finally {
    input.destroy();
    extract.destroy();
  }
  return names;
}
