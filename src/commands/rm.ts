// `nsbox rm [-f] BOX...`: remove boxes and everything they made (cgroups, upper layers, network, state).

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { removeBox } from '../lifecycle/remove-box.js';

interface RmArgs {
  boxes: string[];
  force: boolean;
  state: string | undefined;
}

export const command: NsboxCommand<RmArgs> = {
  usage: 'rm <boxes..>',
  describe: 'remove stopped boxes (-f: kill running ones first)',
  builder: (y: Argv) =>
    y
      .positional('boxes', { type: 'string', array: true })
      .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'kill a running box, then remove it' })
      .options(STATE_OPTION) as unknown as Argv<RmArgs>,
  async handler(args) {
    const state = openStateFromArgs(args);
    // Resolve every name first: one unknown box changes nothing.
    const boxes = args.boxes.map(String).map((ref) => [ref, openBox(state, ref)] as const);
    for (const [ref, box] of boxes) {
      const warnings = await removeBox(box, args.force);
      for (const w of warnings) process.stderr.write(`nsbox: warning: ${w}\n`);
      process.stdout.write(`${ref}\n`);
    }
    return 0;
  },
};
