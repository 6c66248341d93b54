// The client's half of `nsbox attach`: the frames spoken with the detached relay (see ATTACH in relay-program.ts)
// and Docker's detach keys. Pure, so both are unit-tested without a box.

import { flagError } from '../errors.js';

/** Docker's default: Ctrl-P then Ctrl-Q detaches and leaves the box running. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';
const MAX_PAYLOAD = 0xffff;

/** One frame: TYPE (1 byte), LENGTH (16 bits, big-endian), DATA; long data becomes several frames. */
export function encodeFrames(type: 'd' | 'w', data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let off = 0; off === 0 || off < data.length; off += MAX_PAYLOAD) {
    const chunk = data.subarray(off, off + MAX_PAYLOAD);
    const head = Buffer.alloc(3);
    head.write(type, 0, 'latin1');
    head.writeUInt16BE(chunk.length, 1);
    parts.push(head, chunk);
  }
  return Buffer.concat(parts);
}

/** The window size frame: rows, cols, and no pixel sizes (struct winsize). */
export function windowSizeFrame(rows: number, cols: number): Buffer {
  const size = Buffer.alloc(8);
  size.writeUInt16BE(Math.min(rows, 0xffff), 0);
  size.writeUInt16BE(Math.min(cols, 0xffff), 2);
  return encodeFrames('w', size);
}

export interface Frame {
  readonly type: string;
  readonly data: Buffer;
}

/** Splits a byte stream into frames; push() returns the frames completed so far. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  push(bytes: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    const frames: Frame[] = [];
    while (this.pending.length >= 3) {
      const length = this.pending.readUInt16BE(1);
      if (this.pending.length < 3 + length) break;
      frames.push({ type: this.pending.toString('latin1', 0, 1), data: this.pending.subarray(3, 3 + length) });
      this.pending = this.pending.subarray(3 + length);
    }
    return frames;
  }
}

/** Docker's --detach-keys: comma-separated keys, each one character or ctrl-X (X in a-z, @, [, \, ], ^, _). */
export function parseDetachKeys(spec: string): number[] {
  if (spec === '') return parseDetachKeys(DEFAULT_DETACH_KEYS);
  return spec.split(',').map((key) => {
    const ctrl = /^ctrl-(.)$/i.exec(key);
    if (ctrl) {
      const c = ctrl[1]!.toLowerCase();
      if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 96;
      const special = '@[\\]^_'.indexOf(c);
      if (special >= 0) return special === 0 ? 0 : 26 + special;
    } else if (key.length === 1 && key.charCodeAt(0) < 128) {
      return key.charCodeAt(0);
    }
    throw flagError('--detach-keys', spec, 'expected keys like ctrl-p,ctrl-q (one character or ctrl-X each)');
  });
}

/**
 * Watches the keys typed for the detach sequence. feed() returns the bytes to send on (a partial sequence is held
 * back, then sent if the next key breaks it, as Docker does) and whether the sequence is complete.
 */
export class DetachWatcher {
  private matched = 0;
  constructor(private readonly keys: readonly number[]) {}
  feed(input: Buffer): { send: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const byte of input) {
      if (byte === this.keys[this.matched]) {
        this.matched += 1;
        if (this.matched === this.keys.length) return { send: Buffer.from(out), detach: true };
        continue;
      }
      // A broken sequence: the keys held back go on, and this key may start it again.
      out.push(...this.keys.slice(0, this.matched));
      this.matched = 0;
      if (byte === this.keys[0]) {
        this.matched = 1;
        if (this.keys.length === 1) return { send: Buffer.from(out), detach: true };
        continue;
      }
      out.push(byte);
    }
    return { send: Buffer.from(out), detach: false };
  }
}
