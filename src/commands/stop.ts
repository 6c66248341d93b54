// `nsbox stop [-t SECS] BOX...`: SIGTERM, then SIGKILL to the whole box after the grace period.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { flagError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { stopBox } from '../lifecycle/stop-box.js';
import { allBoxes } from './each-box.js';

interface StopArgs {
  boxes: string[];
  time: number | undefined;
  state: string | undefined;
}

export const command: NsboxCommand<StopArgs> = {
  usage: 'stop <boxes..>',
  describe: 'stop boxes: SIGTERM to the command, SIGKILL to every process after -t seconds',
  builder: (y: Argv) =>
    y
      .positional('boxes', { type: 'string', array: true })
      .option('time', { alias: 't', type: 'number', describe: 'seconds to wait before SIGKILL (default: the box\'s --stop-timeout, 10)' })
      .options(STATE_OPTION) as unknown as Argv<StopArgs>,
  async handler(args) {
    if (args.time !== undefined && (!Number.isFinite(args.time) || args.time < 0 || args.time > 86_400)) throw flagError('--time', args.time, 'expected seconds from 0 to 86400');
    const state = openStateFromArgs(args);
    return allBoxes(args.boxes.map(String), async (ref) => stopBox(openBox(state, ref), args.time));
  },
};
