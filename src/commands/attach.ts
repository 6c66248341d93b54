// `nsbox attach BOX`, as `docker attach`. A box run with -dit: its terminal. The box's relay (outside the box, under
// its supervisor) holds the pty; this connects to its socket, puts your terminal in raw mode, passes keys and window
// sizes in, output out, and ends on Ctrl-P Ctrl-Q (the box runs on) or with the box's exit code. A box without a
// terminal: its output from now on, your stdin into a -d -i box's, signals passed on (src/tty/attach-output.ts).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, basename } from 'node:path';
import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { NsboxError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { deriveState } from '../state/status.js';
import { DEFAULT_DETACH_KEYS, DetachWatcher, encodeFrames, FrameReader, parseDetachKeys, windowSizeFrame } from '../tty/attach-protocol.js';

interface AttachArgs {
  box: string;
  'detach-keys': string;
  'sig-proxy': boolean;
  stdin: boolean;
  state: string | undefined;
}

export const command: NsboxCommand<AttachArgs> = {
  usage: 'attach <box>',
  describe: 'attach to a detached box: its terminal (-dit; Ctrl-P Ctrl-Q detaches), or its output from now on and its stdin (-d, -d -i); exits with the box\'s code when it ends',
  builder: (y: Argv) =>
    y
      .positional('box', { type: 'string' })
      .option('detach-keys', { type: 'string', default: DEFAULT_DETACH_KEYS, describe: 'the keys that detach from a terminal, e.g. ctrl-x,x' })
      .option('sig-proxy', { type: 'boolean', default: true, describe: 'pass the signals nsbox attach gets (Ctrl-C\'s SIGINT, ...) to a box without a terminal; --sig-proxy=false: Ctrl-C detaches' })
      .option('stdin', { type: 'boolean', default: true, describe: '--no-stdin: do not pass your stdin to the box' })
      .options(STATE_OPTION) as unknown as Argv<AttachArgs>,
  async handler(args) {
    const keys = parseDetachKeys(String(args['detach-keys']));
    const box = openBox(openStateFromArgs(args), String(args.box));
    const label = box.record.name ?? box.record.id.slice(0, 12);
    if (deriveState(box.record, box.paths).status !== 'running') throw new NsboxError(`cannot attach to box ${label}: it is not running`, { hint: `nsbox start ${label}, then nsbox attach ${label}` });
    const stdin = args.stdin !== false;
    if (!existsSync(box.paths.attach)) {
      if (!box.record.detached) throw new NsboxError(`cannot attach to box ${label}: it runs in the foreground of another nsbox`);
      const { attachToOutput } = await import('../tty/attach-output.js');
      return attachToOutput(box, { stdin, sigProxy: args['sig-proxy'] !== false });
    }
    // sun_path holds 108 bytes and state dirs can be deeper: connect by the name from inside the box's directory.
    process.chdir(dirname(box.paths.attach));
    const socket = connect(basename(box.paths.attach));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (error: NodeJS.ErrnoException) =>
        reject(new NsboxError(error.code === 'ECONNREFUSED' || error.code === 'ENOENT' ? `cannot attach to box ${label}: it is not running` : `cannot attach to box ${label}: ${error.message}`)),
      );
    });
    return relay(socket, keys, label, stdin);
  },
};

/**
 * Relay until the box ends ('x': its exit code), the keys detach (0), or another attach takes over (0). --no-stdin:
 * output only, your terminal as it is (Ctrl-C ends nsbox attach).
 */
function relay(socket: Socket, keys: readonly number[], label: string, withStdin: boolean): Promise<number> {
  const stdin = process.stdin;
  const raw = withStdin && stdin.isTTY === true;
  const watcher = new DetachWatcher(keys);
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
        else if (frame.type === 'x') return finish(frame.data[0] ?? 0);
        else if (frame.type === 'k') return finish(0, `another nsbox attach took over box ${label}'s terminal`);
      }
    });
    socket.on('error', () => {});
    // The relay ends only after sending 'x': a close without it means it was killed (rm -f, stop's SIGKILL).
    socket.on('close', () => finish(137, `the terminal of box ${label} went away`));
  });
}
