// `nsbox restart [-t SECS] BOX...`: stop (as `stop` does), then start again.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { eachBox } from './each-box.js';
import { flagError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { stopBox } from '../lifecycle/stop-box.js';
import { startBox } from '../lifecycle/start-again.js';

interface RestartArgs {
  boxes: string[];
  time: number | undefined;
  state: string | undefined;
}

export const command: NsboxCommand<RestartArgs> = {
  usage: 'restart <boxes..>',
  describe: 'stop boxes (if running) and start them again',
  builder: (y: Argv) =>
    y
      .positional('boxes', { type: 'string', array: true })
      .option('time', { alias: 't', type: 'number', describe: 'seconds to wait before SIGKILL (default: the box\'s --stop-timeout, 10)' })
      .options(STATE_OPTION) as unknown as Argv<RestartArgs>,
  async handler(args) {
    if (args.time !== undefined && (!Number.isFinite(args.time) || args.time < 0 || args.time > 86_400)) throw flagError('--time', args.time, 'expected seconds from 0 to 86400');
    const state = openStateFromArgs(args);
    return eachBox(args.boxes.map(String), async (ref) => {
      const box = openBox(state, ref);
      await stopBox(box, args.time);
      await startBox(box);
    });
  },
};
