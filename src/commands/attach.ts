// `nsbox attach BOX`, as `docker attach`. A box run with -dit: its terminal. The box's relay (outside the box, under
// its supervisor) holds the pty; this connects to its socket, puts your terminal in raw mode, passes keys and window
// sizes in, output out, and ends on Ctrl-P Ctrl-Q (the box runs on) or with the box's exit code. A box without a
// terminal: its output from now on, your stdin into a -d -i box's, signals passed on (src/tty/attach-output.ts).

import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { NsboxError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { deriveState } from '../state/status.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../tty/attach-protocol.js';
import { connectTerminal, relayTerminal } from '../tty/attach-terminal.js';

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
    const socket = await connectTerminal(box.paths.attach, label);
    return relayTerminal(socket, { keys, label, stdin });
  },
};
