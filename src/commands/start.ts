// `nsbox start [-a] BOX...`: run stopped boxes again (same id, name, upper layer and limits), detached.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { eachBox } from './each-box.js';
import { NsboxError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { followUntilExit, startBox } from '../lifecycle/start-again.js';

interface StartArgs {
  boxes: string[];
  attach: boolean;
  state: string | undefined;
}

export const command: NsboxCommand<StartArgs> = {
  usage: 'start <boxes..>',
  describe: 'start stopped boxes again: the same box, its upper layer, name and limits (-a: follow its output, exit with its code)',
  builder: (y: Argv) =>
    y
      .positional('boxes', { type: 'string', array: true })
      .option('attach', { alias: 'a', type: 'boolean', default: false, describe: 'print the box\'s output until it exits; exit with its code' })
      .options(STATE_OPTION) as unknown as Argv<StartArgs>,
  async handler(args) {
    const state = openStateFromArgs(args);
    if (args.attach) {
      if (args.boxes.length > 1) throw new NsboxError('cannot attach to more than one box');
      const box = openBox(state, String(args.boxes[0]));
      return followUntilExit(box, await startBox(box));
    }
    return eachBox(args.boxes.map(String), async (ref) => {
      await startBox(openBox(state, ref));
    });
  },
};
