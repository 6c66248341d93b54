// Opens an archive file as a stream of uncompressed tar bytes: gzip by node's zlib, xz through the xz tool.
// The compression is read from the magic bytes, not the file name.

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { createGunzip } from 'node:zlib';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { NsboxError } from '../errors.js';
import { requireImageTool } from './host-tools.js';

export type Compression = 'none' | 'gzip' | 'xz' | 'bzip2' | 'zstd';

/** The compression named by the first bytes of a file. */
export function detectCompression(head: Uint8Array): Compression {
  const starts = (...bytes: number[]): boolean => bytes.every((b, i) => head[i] === b);
  if (starts(0x1f, 0x8b)) return 'gzip';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  return 'none';
}

/** Reads the first bytes of a file. */
export async function readHead(path: string, length = 8): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A stream of the file's uncompressed bytes; errors of the decompressor surface as stream errors. */
export async function openUncompressed(path: string, label: string, onRead?: (bytes: number) => void): Promise<Readable> {
  const compression = detectCompression(await readHead(path));
  switch (compression) {
    case 'none':
      return onRead ? countBytes(createReadStream(path), onRead) : createReadStream(path);
    case 'gzip': {
      const gunzip = createGunzip();
      const raw = countBytes(createReadStream(path), onRead);
      raw.on('error', (e) => gunzip.destroy(e));
      return raw.pipe(gunzip);
    }
    case 'xz':
      return spawnXz(path, label, onRead);
    case 'bzip2':
    case 'zstd':
      throw new NsboxError(`cannot import ${label}: ${compression} compression is not supported`, {
        hint: 'decompress it first (gzip and xz are read directly)',
      });
  }
}

/** The stream, passed through a tap that reports each chunk's size (the file's bytes, before decompression). */
function countBytes(input: Readable, onRead: ((bytes: number) => void) | undefined): Readable {
  if (!onRead) return input;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      onRead(chunk.length);
      done(null, chunk);
    },
  });
  input.on('error', (e) => tap.destroy(e));
  return input.pipe(tap);
}

function spawnXz(path: string, label: string, onRead?: (bytes: number) => void): Readable {
  // xz reads the file from stdin (not by name) so the bytes it reads can be counted for progress.
  const xz = spawn(requireImageTool('xz'), ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const raw = countBytes(createReadStream(path), onRead);
  raw.on('error', (e) => xz.stdin.destroy(e));
  xz.stdin.on('error', () => undefined); // EPIPE when xz stops early: its exit status tells why
  raw.pipe(xz.stdin);
  const out = new PassThrough();
  let stderr = '';
  xz.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  xz.stdout.pipe(out, { end: false });
  let stdoutDone = false;
  let exit: number | null | undefined;
  const finish = (): void => {
    if (!stdoutDone || exit === undefined) return;
    if (exit === 0) out.end();
    else out.destroy(new NsboxError(`cannot import ${label}: xz: ${stderr.trim().split('\n')[0] || `exit ${exit}`}`));
  };
  xz.stdout.on('end', () => ((stdoutDone = true), finish()));
  xz.on('close', (code) => ((exit = code), (stdoutDone = true), finish()));
  xz.on('error', (e) => out.destroy(e));
  // The consumer stopped early (an error in the archive): stop xz too.
  out.on('close', () => {
    raw.destroy();
    if (xz.exitCode === null) xz.kill('SIGTERM');
  });
  return out;
}
