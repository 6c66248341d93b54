// Tells what an import SOURCE is: a rootfs tarball or directory, an OCI layout (dir or archive), a docker save.
// An image layout may sit under one top-level directory (`tar -cf img.tar img/`); anything that could be read
// two ways (layouts in two directories, or a layout next to other files) is refused rather than imported as a
// root file system that would then fail to run.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tarStream from 'tar-stream';
import { NsboxError } from '../errors.js';
import { openUncompressed } from './decompress.js';

export type DetectedSource =
  | { readonly kind: 'directory'; readonly path: string }
  | { readonly kind: 'oci-layout'; readonly path: string }
  | { readonly kind: 'docker-save-dir'; readonly path: string }
  | { readonly kind: 'tarball'; readonly path: string; readonly prefix: string }
  /** `prefix`: the top-level directory of the archive that holds the layout ('' when it is at the top). */
  | { readonly kind: 'oci-archive'; readonly path: string; readonly prefix: string }
  | { readonly kind: 'docker-save'; readonly path: string; readonly prefix: string };

type LayoutKind = 'docker-save' | 'oci';

/** Looks at SOURCE (never writes): a directory by its marker files, an archive by its member names. */
export async function detectSource(path: string): Promise<DetectedSource> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new NsboxError(`cannot import ${path}: no such file or directory`);
  if (info.isDirectory()) return detectDirectory(path);
  if (!info.isFile()) throw new NsboxError(`cannot import ${path}: not a regular file or directory`);
  const verdict = classifyMembers(await peekMemberNames(path));
  if (verdict.kind === 'ambiguous') throw ambiguous(path, verdict.reason);
  if (verdict.kind === 'tarball') return { kind: 'tarball', path, prefix: '' };
  return { kind: verdict.kind === 'docker-save' ? 'docker-save' : 'oci-archive', path, prefix: verdict.prefix };
}

async function detectDirectory(path: string): Promise<DetectedSource> {
  const at = await layoutIn(path);
  if (at) return { kind: at === 'docker-save' ? 'docker-save-dir' : 'oci-layout', path };
  const names = await readdir(path).catch(() => [] as string[]);
  const nested: string[] = [];
  for (const name of names) if (await layoutIn(join(path, name))) nested.push(name);
  if (nested.length === 1 && names.length === 1) {
    const inner = join(path, nested[0]!);
    return { kind: (await layoutIn(inner)) === 'docker-save' ? 'docker-save-dir' : 'oci-layout', path: inner };
  }
  if (nested.length > 0) {
    throw ambiguous(path, nested.length > 1 ? `it holds image layouts in ${nested.map((n) => `${n}/`).join(' and ')}` : `it holds an image layout in ${nested[0]}/ next to other files`);
  }
  return { kind: 'directory', path };
}

/** The layout a directory holds at its top: docker save's manifest.json, or an OCI oci-layout + index.json. */
async function layoutIn(dir: string): Promise<LayoutKind | undefined> {
  if (await isFile(join(dir, 'manifest.json'))) return 'docker-save';
  if ((await isFile(join(dir, 'oci-layout'))) && (await isFile(join(dir, 'index.json')))) return 'oci';
  return undefined;
}

export type MemberVerdict =
  | { readonly kind: 'tarball' }
  | { readonly kind: LayoutKind; readonly prefix: string }
  | { readonly kind: 'ambiguous'; readonly reason: string };

/**
 * Decides from member names (as listed, "./" stripped) what an archive is. Pure: unit-tested.
 * A layout at the top wins (docker save since Docker 25 also has oci-layout: its manifest.json is read).
 */
export function classifyMembers(rawNames: readonly string[]): MemberVerdict {
  const names = rawNames.map((n) => n.replace(/^(\.\/)+/, '').replace(/\/+$/, '')).filter((n) => n !== '' && n !== '.');
  const present = new Set(names);
  const markersAt = (prefix: string): LayoutKind | undefined => {
    const has = (file: string): boolean => present.has(prefix === '' ? file : `${prefix}/${file}`);
    if (has('manifest.json')) return 'docker-save';
    if (has('oci-layout') && has('index.json')) return 'oci';
    return undefined;
  };
  const top = markersAt('');
  if (top) return { kind: top, prefix: '' };
  const tops = [...new Set(names.map((n) => n.split('/')[0]!))];
  const nested = tops.filter((t) => markersAt(t) !== undefined);
  if (nested.length > 1) return { kind: 'ambiguous', reason: `it holds image layouts in ${nested.map((t) => `${t}/`).join(' and ')}` };
  if (nested.length === 1) {
    if (tops.length > 1) return { kind: 'ambiguous', reason: `it holds an image layout in ${nested[0]}/ next to ${tops.filter((t) => t !== nested[0]).slice(0, 3).join(', ')}` };
    return { kind: markersAt(nested[0]!)!, prefix: nested[0]! };
  }
  return { kind: 'tarball' };
}

function ambiguous(path: string, reason: string): NsboxError {
  return new NsboxError(`cannot import ${path}: ${reason}`, {
    hint: 'import the directory that holds the image (oci-layout + index.json, or manifest.json), or a tar of the root file system itself',
  });
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

const ROOTFS_HINT = /^(bin|etc|usr|lib|lib64|sbin|var|root|home|opt)(\/|$)/;
const IMAGE_MARKER = /(^|\/)(manifest\.json|oci-layout|index\.json)$/;

/**
 * Member names of an archive, stopping early once a rootfs directory shows up at the top with no image marker
 * seen (a rootfs is not read twice). Errors (garbage, truncation) are left to the real import.
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
  let markers = false;
  try {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^(\.\/)+/, '');
      names.push(name);
      entry.resume();
      markers ||= IMAGE_MARKER.test(name);
      if (ROOTFS_HINT.test(name) && !markers) break;
    }
  } catch {
    // not a readable tar: the import of it as a tarball reports the reason
  } finally {
    input.destroy();
    extract.destroy();
  }
  return names;
}
