// Reads the blobs of an OCI layout by descriptor, each checked against the descriptor's sha256 digest and size
// before anything is extracted from it: a layout whose index, manifest, config or layer was altered is refused.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { NsboxError } from '../errors.js';
import { readMetadataFile, resolveSourceFile } from './source-files.js';

/** The fields of an OCI content descriptor that an import reads (image-spec descriptor.md). */
export interface Descriptor {
  readonly mediaType?: string;
  readonly digest?: unknown;
  readonly size?: unknown;
  readonly platform?: { readonly os?: string; readonly architecture?: string };
  readonly annotations?: Readonly<Record<string, unknown>>;
}

const SHA256 = /^sha256:[a-f0-9]{64}$/;

/** blobs/sha256/<hex> for a digest; only sha256 digests are accepted (they name files, so they are checked). */
export async function blobPath(dir: string, digest: unknown): Promise<string> {
  if (typeof digest !== 'string' || !SHA256.test(digest)) {
    throw new NsboxError(`refusing OCI blob digest ${JSON.stringify(digest)}: expected sha256:<64 hex digits>`);
  }
  return resolveSourceFile(dir, `blobs/sha256/${digest.slice(7)}`, 'OCI blob');
}

/** The blob's path once its size and sha256 match the descriptor; `what` names it in errors. */
export async function verifiedBlobPath(dir: string, descriptor: Descriptor, what: string): Promise<string> {
  const path = await blobPath(dir, descriptor.digest);
  const size = (await stat(path)).size;
  checkSize(descriptor, size, what);
  checkDigest(descriptor.digest as string, await hashFile(path), what);
  return path;
}

/** A JSON blob (manifest, index, config), parsed once its size and digest match. */
export async function readVerifiedJson(dir: string, descriptor: Descriptor, what: string): Promise<Record<string, unknown>> {
  const path = await blobPath(dir, descriptor.digest);
  const bytes = await readMetadataFile(path, what);
  checkSize(descriptor, bytes.length, what);
  checkDigest(descriptor.digest as string, `sha256:${createHash('sha256').update(bytes).digest('hex')}`, what);
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new NsboxError(`cannot import: ${what} is not a JSON object`);
}

/** A file that names itself blobs/sha256/<hex> (docker save since Docker 25) must hash to that name. */
export async function verifyNamedBlob(path: string, relative: string, what: string): Promise<void> {
  const match = /(?:^|\/)blobs\/sha256\/([a-f0-9]{64})$/.exec(relative);
  if (match) checkDigest(`sha256:${match[1]}`, await hashFile(path), what);
}

/** sha256 of a file, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

function checkSize(descriptor: Descriptor, actual: number, what: string): void {
  if (typeof descriptor.size !== 'number' || !Number.isSafeInteger(descriptor.size) || descriptor.size < 0) {
    throw integrityError(`${what} ${String(descriptor.digest)} has no valid size in its descriptor`);
  }
  if (descriptor.size !== actual) throw integrityError(`${what} ${String(descriptor.digest)} is ${actual} bytes, its descriptor says ${descriptor.size}`);
}

function checkDigest(expected: string, actual: string, what: string): void {
  if (expected !== actual) throw integrityError(`${what} has digest ${actual}, expected ${expected}`);
}

function integrityError(reason: string): NsboxError {
  return new NsboxError(`cannot import: ${reason}`, { hint: 'the image is damaged or was altered; nothing was imported' });
}
