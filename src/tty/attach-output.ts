// `nsbox attach` to a box without a terminal (`run -d`), as `docker attach` does it: the box's output from now on
// (its log, followed from its current end: nothing old is replayed), your stdin into the box's stdin when it was run
// with -i (its fifo, see buildSupervisorScript), the signals you get passed to the box (--sig-proxy, as `nsbox kill`
// sends them), and the box's exit code when it ends.

import { constants, existsSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { NsboxError } from '../errors.js';
import { followUntilExit, logSize } from '../lifecycle/start-again.js';
import { signalInit } from '../lifecycle/signal-box.js';
import type { OpenedBox } from '../lifecycle/open-box.js';
import { isAlive } from '../state/proc-identity.js';
import { readRecordAt } from '../state/store.js';
import { deriveState } from '../state/status.js';
import { CLOSE_STDIN_SIGNAL } from '../plan/box-scripts.js';

/**
 * What --sig-proxy passes on: Docker's set less SIGWINCH (no terminal, so no size to tell; nginx, for one, takes it
 * as "stop the workers").
 */
export const PROXIED_SIGNALS: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2'];

export interface OutputAttachOptions {
  /** Copy our stdin to the box's (a -d -i box only). */
  readonly stdin: boolean;
  readonly sigProxy: boolean;
  /** Follow the log from here (`start -a -i`: where this run's output begins); default its end now. */
  readonly offset?: number;
}

/** Attach until the box ends; resolves to its exit code. */
export async function attachToOutput(box: OpenedBox, options: OutputAttachOptions): Promise<number> {
  const offset = options.offset ?? logSize(box);
  const proxy = options.sigProxy ? proxySignals(box) : undefined;
  const input = options.stdin ? connectStdin(box) : undefined;
  const onOutputError = () => process.exit(0); // our stdout went away (| head): detach, the box runs on
  process.stdout.on('error', onOutputError);
  try {
    return await followUntilExit(box, offset, true);
  } finally {
    proxy?.();
    input?.();
    process.stdout.off('error', onOutputError);
  }
}

/** Pass the signals we get to the box's command; returns the undo. */
function proxySignals(box: OpenedBox): () => void {
  const handler = (signal: NodeJS.Signals) => {
    const record = readRecordAt(box.paths.record);
    if (record && deriveState(record, box.paths).status === 'running') signalInit(record, signal);
  };
  for (const signal of PROXIED_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of PROXIED_SIGNALS) process.off(signal, handler);
  };
}

/**
 * Our stdin into the box's stdin fifo, if it has one (-d -i, not yet closed). When our stdin ends, the box's does:
 * we close our end and tell the supervisor to close the one it holds open. Returns the undo (leaves the box's stdin
 * open when we go for another reason).
 */
function connectStdin(box: OpenedBox): (() => void) | undefined {
  if (!existsSync(box.paths.stdin)) return undefined;
  let fd: number;
  try {
    // Non-blocking: a fifo nobody reads any more (ENXIO) must not hang us.
    fd = openSync(box.paths.stdin, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENXIO') return undefined;
    throw new NsboxError(`cannot attach to the stdin of box ${box.record.name ?? box.record.id.slice(0, 12)}: ${(error as Error).message}`);
  }
  const fifo = new Socket({ fd, readable: false, writable: true });
  fifo.on('error', () => {}); // the box stopped reading (EPIPE): its output and exit still come
  fifo.on('close', () => {
    if (ended) closeBoxStdin(box);
  });
  let ended = false;
  const stdin = process.stdin;
  stdin.once('end', () => {
    ended = true;
  });
  stdin.pipe(fifo);
  return () => {
    stdin.unpipe(fifo);
    stdin.pause();
    fifo.destroy();
  };
}

/** Ask the box's supervisor to close the write end it holds (see buildSupervisorScript): the box reads EOF. */
function closeBoxStdin(box: OpenedBox): void {
  const record = readRecordAt(box.paths.record);
  // Only that very supervisor (pid and start time), and only while the fifo is there (it goes when the box ends).
  if (!record?.supervisor || !isAlive(record.supervisor) || !existsSync(box.paths.stdin)) return;
  try {
    process.kill(record.supervisor.pid, CLOSE_STDIN_SIGNAL);
  } catch {
    // gone meanwhile
  }
}
