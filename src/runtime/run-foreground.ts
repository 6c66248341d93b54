// `run` in the foreground (create + start, then wait, as `runc run`): nsbox-runtime passes on the signals it gets to
// the container's init and exits with its status. With process.terminal and no --console-socket, runc's own
// terminal: nsbox's relay (src/tty/relay-program.ts) listens on a socket of nsbox-runtime's, the init sends the
// pty's master there as it would to a caller's console socket (a pty of the container's own devpts, its controlling
// terminal and /dev/console), and the relay copies between it and nsbox-runtime's stdio: raw mode, the caller's
// window size at start and on SIGWINCH. A hang-up of the caller's terminal hangs up the container's pty; an init
// that outlives it (PID 1 ignores a SIGHUP it has no handler for) is killed after HANGUP_GRACE_MS.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isatty } from 'node:tty';
import { NsboxError } from '../errors.js';
import { HOST_ENV } from '../host/host-env.js';
import { forwardSignals } from '../exec/signals.js';
import { isAlive, type ProcessIdentity } from '../state/proc-identity.js';
import { receivingRelayArgv } from '../tty/relay-program.js';
import { relayTitle } from '../tty/tty-reaper-script.js';

/** As the relay's own grace for a process that outlives a hang-up (relay-program.ts). */
const HANGUP_GRACE_MS = 5000;
/** How long the relay may copy what is left once the init is gone, before it is told to stop. */
const DRAIN_MS = 1000;
/** The relay's exit status when the caller's terminal hung up. */
const HUNG_UP = 129;

export interface TerminalRelay {
  /** Where the init sends the pty's master (given to create as its console socket). */
  readonly socket: string;
  /** The relay's exit status: 0 once the pty closed, 129 after a hang-up of the caller's terminal. */
  readonly exited: Promise<number>;
  /** The socket's directory is no longer needed (the init has connected). */
  removeSocket(): void;
  /** End the relay (SIGTERM: it restores the caller's terminal first) and remove the socket. */
  stop(): Promise<number>;
}

/** Start the relay on a socket in a fresh 0700 directory; resolves once it listens there. */
export async function startTerminalRelay(id: string): Promise<TerminalRelay> {
  const dir = mkdtempSync(join(tmpdir(), 'nsbox-tty-'));
  const socket = join(dir, 'console.sock');
  const removeSocket = () => rmSync(dir, { recursive: true, force: true });
  let child: ChildProcess;
  try {
    const argv = receivingRelayArgv(relayTitle(id), socket);
    child = spawn(argv[0]!, argv.slice(1), { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], env: HOST_ENV });
  } catch (error) {
    removeSocket();
    throw error;
  }
  const exited = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(signal ? 128 + 15 : (code ?? 125))));
  const listening = await new Promise<boolean>((resolve) => {
    const said = child.stdio[3] as Readable;
    let text = '';
    child.on('error', () => resolve(false));
    said.setEncoding('utf8');
    said.on('data', (d: string) => (text += d));
    said.on('error', () => {});
    said.on('close', () => resolve(text.startsWith('listening')));
  });
  if (!listening) {
    removeSocket();
    throw new NsboxError(`cannot relay the terminal: its relay ended with status ${await exited}`);
  }
  return {
    socket,
    exited,
    removeSocket,
    async stop() {
      removeSocket();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * After `start`: wait for the init's status with nsbox-runtime's signals passed on to it (the terminal's own keys
 * reach the container through the pty, so with a relay SIGWINCH is the relay's), then let the relay finish.
 */
export async function waitForRun(init: ProcessIdentity, exited: Promise<number>, relay: TerminalRelay | undefined): Promise<number> {
  const terminals = [0, 1, 2].filter((fd) => isatty(fd));
  const signals = forwardSignals(() => init.pid, () => {}, relay ? ['SIGWINCH'] : []);
  let grace: NodeJS.Timeout | undefined;
  try {
    void relay?.exited.then((status) => {
      if (status !== HUNG_UP || !isAlive(init)) return;
      // The caller's terminal is gone: what a terminal's hang-up would do (runc passes its SIGHUP on), then the end.
      kill(init, 'SIGHUP');
      grace = setTimeout(() => kill(init, 'SIGKILL'), HANGUP_GRACE_MS);
    });
    const code = await exited;
    if (relay) {
      const drained = await Promise.race([relay.exited, new Promise((r) => setTimeout(r, DRAIN_MS, 'late').unref())]);
      if (drained === 'late') await relay.stop();
    }
    return code;
  } finally {
    if (grace) clearTimeout(grace);
    signals.dispose();
    // Node restores a terminal's modes at exit and aborts when the terminal is gone (EIO): let go of it first.
    for (const fd of terminals) if (!isatty(fd)) closeSync(fd);
  }
}

function kill(target: ProcessIdentity, signal: NodeJS.Signals): void {
  if (!isAlive(target)) return; // never a reused pid
  try {
    process.kill(target.pid, signal);
  } catch {
    // gone meanwhile
  }
}
