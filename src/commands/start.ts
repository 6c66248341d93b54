// `nsbox start [-a] [-i] BOX...`: run stopped boxes again (same id, name, upper layer and limits), detached; -a/-i
// then attach to the one box, as `docker start -a -i`: its terminal (a -t box: raw mode, window size, detach keys)
// or its output and stdin, from its start on, and exit with its code.

import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { eachBox } from './each-box.js';
import { NsboxError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs, refreshBox, type OpenedBox } from '../lifecycle/open-box.js';
import { followUntilExit, startBox } from '../lifecycle/start-again.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../tty/attach-protocol.js';
import { refusePipedTerminal } from '../tty/piped-terminal.js';

interface StartArgs {
  boxes: string[];
  attach: boolean;
  interactive: boolean;
  'detach-keys': string;
  state: string | undefined;
}

export const command: NsboxCommand<StartArgs> = {
  usage: 'start <boxes..>',
  describe: 'start stopped boxes again: the same box, its upper layer, name and limits (-a: attach to its output and exit with its code; -i: its stdin too)',
  builder: (y: Argv) =>
    y
      .positional('boxes', { type: 'string', array: true })
      .option('attach', { alias: 'a', type: 'boolean', default: false, describe: 'attach to the box\'s output (its terminal, with -t) until it exits; exit with its code' })
      .option('interactive', { alias: 'i', type: 'boolean', default: false, describe: 'attach your stdin too (implies -a): a -t box\'s terminal, a -i box\'s stdin' })
      .option('detach-keys', { type: 'string', default: DEFAULT_DETACH_KEYS, describe: 'the keys that detach from a terminal, e.g. ctrl-x,x' })
      .options(STATE_OPTION) as unknown as Argv<StartArgs>,
  async handler(args) {
    const state = openStateFromArgs(args);
    if (args.attach || args.interactive) {
      const keys = parseDetachKeys(String(args['detach-keys']));
      if (args.boxes.length > 1) throw new NsboxError('cannot attach to more than one box', { hint: 'start the others without -a and -i' });
      const box = openBox(state, String(args.boxes[0]));
      const recipe = box.record.launch;
      const process = recipe?.kind === 'image' ? recipe.spec.box.process : recipe?.spec.process;
      if (args.interactive && process) refusePipedTerminal({ tty: process.tty, openStdin: true }, 'start -ai');
      return startAttached(box, await startBox(box), args.interactive, keys);
    }
    return eachBox(args.boxes.map(String), async (ref) => {
      await startBox(openBox(state, ref));
    });
  },
};

/** Attach to the box just started (its output from `offset`, where this run's begins); resolves to its exit code. */
async function startAttached(started: OpenedBox, offset: number, stdin: boolean, keys: readonly number[]): Promise<number> {
  let box: ReturnType<typeof refreshBox>;
  try {
    box = refreshBox(started);
  } catch {
    return followUntilExit(started, offset); // removed already (--rm): its output, then 0
  }
  const label = box.record.name ?? box.record.id.slice(0, 12);
  // A -t box's relay listens here from before its command starts until it has ended.
  if (existsSync(box.paths.attach)) {
    const { connectTerminal, relayTerminal } = await import('../tty/attach-terminal.js');
    const socket = await connectTerminal(box.paths.attach, label).catch(() => undefined);
    if (socket) return relayTerminal(socket, { keys, label, stdin, replayFrom: { log: box.paths.log, offset } });
    // Gone already (a short command): its output is in the log.
  }
  if (stdin && box.now.status === 'running') {
    const { attachToOutput } = await import('../tty/attach-output.js');
    return attachToOutput(box, { stdin: true, sigProxy: true, offset });
  }
  return followUntilExit(box, offset);
}
