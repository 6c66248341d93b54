// The client's side of a detached box's terminal (`run -dit`, or a `-t` box started again): connect to its relay's
// socket, put your terminal in raw mode, pass keys and window sizes in and output out, until the box ends (its exit
// code), the detach keys (0) or another attach taking over (0). Used by `nsbox attach` and `nsbox start -a`.

import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, basename } from 'node:path';
import { NsboxError } from '../errors.js';
import { DetachWatcher, encodeFrames, FrameReader, windowSizeFrame } from './attach-protocol.js';
import { fileSize, readFrom, rotatedLog } from '../lifecycle/box-log.js';

export interface TerminalAttachOptions {
  readonly keys: readonly number[];
  readonly label: string;
  /** Pass your stdin (raw mode when it is a terminal); false: output only. */
  readonly stdin: boolean;
  /** Also show what the box wrote since this log offset before we connected (`start -a`: from its start on). */
  readonly replayFrom?: { readonly log: string; readonly offset: number };
}

/** Connect to the relay's socket; an error that says the box is not running when nobody listens there. */
export async function connectTerminal(socketPath: string, label: string): Promise<Socket> {
  // sun_path holds 108 bytes and state dirs can be deeper: connect by the name from inside the box's directory.
  process.chdir(dirname(socketPath));
  const socket = connect(basename(socketPath));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (error: NodeJS.ErrnoException) =>
      reject(new NsboxError(error.code === 'ECONNREFUSED' || error.code === 'ENOENT' ? `cannot attach to box ${label}: it is not running` : `cannot attach to box ${label}: ${error.message}`)),
    );
  });
  return socket;
}

/**
 * Relay until the box ends ('x': its exit code), the keys detach (0), or another attach takes over (0). Without
 * stdin: output only, your terminal as it is (Ctrl-C ends nsbox, the box runs on).
 */
export function relayTerminal(socket: Socket, options: TerminalAttachOptions): Promise<number> {
  const { label, stdin: withStdin, replayFrom } = options;
  const stdin = process.stdin;
  const raw = withStdin && stdin.isTTY === true;
  const watcher = new DetachWatcher(options.keys);
  const reader = new FrameReader();
  return new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number, message?: string) => {
      if (done) return;
      done = true;
      if (raw) stdin.setRawMode(false);
      if (withStdin) stdin.pause();
      process.stdout.off('resize', sendSize);
      socket.destroy();
      if (message) process.stderr.write(`${raw ? '\r\n' : ''}nsbox: ${message}\n`);
      resolve(code);
    };
    const sendSize = () => {
      if (process.stdout.isTTY) socket.write(windowSizeFrame(process.stdout.rows, process.stdout.columns));
    };
    sendSize();
    process.stdout.on('resize', sendSize); // Node's SIGWINCH on a terminal
    if (raw) {
      stdin.setRawMode(true);
      // libuv's raw mode keeps output processing (\n to \r\n): the box's pty does that already, and a full-screen
      // program there turns it off for itself. setRawMode(false) puts back the terminal as it was.
      spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
    }
    if (withStdin) stdin.on('data', (chunk: Buffer) => {
      const { send, detach } = watcher.feed(chunk);
      if (send.length > 0) socket.write(encodeFrames('d', send));
      if (detach) finish(0);
    });
    socket.on('data', (bytes: Buffer) => {
      for (const frame of reader.push(bytes)) {
        if (frame.type === 'd') process.stdout.write(frame.data);
        else if (frame.type === 'o') { if (replayFrom) copyLog(replayFrom.log, replayFrom.offset, Number(frame.data.toString('latin1'))); }
        else if (frame.type === 'n') { if (replayFrom) copyWritten(replayFrom.log, replayFrom.offset, Number(frame.data.toString('latin1'))); }
        else if (frame.type === 'x') return finish(frame.data[0] ?? 0);
        else if (frame.type === 'k') return finish(0, `another nsbox attach took over box ${label}'s terminal`);
      }
    });
    socket.on('error', () => {});
    // The relay ends only after sending 'x': a close without it means it was killed (rm -f, stop's SIGKILL).
    socket.on('close', () => finish(137, `the terminal of box ${label} went away`));
  });
}

/** The log's bytes [from, to) to stdout: what the box's terminal showed before we connected. */
function copyLog(path: string, from: number, to: number): void {
  if (!(to > from)) return;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(Math.min(to - from, 1 << 20));
    for (let at = from; at < to;) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, to - at), at);
      if (n <= 0) break;
      process.stdout.write(buffer.subarray(0, n));
      at += n;
    }
  } catch {
    // no log: nothing to show
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * 'n' (-dt: the relay writes to the log writer's fifo): the `count` bytes the relay had written when we connected,
 * from `from` in the log, once the writer has copied them there (a second at most: it reads as they come). A
 * rotation meanwhile (plan/log-writer.ts) put the start of them in LOG.1.
 */
function copyWritten(path: string, from: number, count: number): void {
  if (!(count > 0)) return;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let bytes: Buffer = Buffer.alloc(0);
  for (const deadline = Date.now() + 1000; ;) {
    bytes = fileSize(path) >= from ? readFrom(path, from) : Buffer.concat([readFrom(rotatedLog(path), from), readFrom(path, 0)]);
    if (bytes.length >= count || Date.now() > deadline) break;
    Atomics.wait(pause, 0, 0, 10);
  }
  process.stdout.write(bytes.subarray(0, count));
}
