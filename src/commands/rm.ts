// `nsbox rm [-f] BOX...`: remove boxes and everything they made (cgroups, upper layers, network, state).

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { removeBox } from '../lifecycle/remove-box.js';
import { describeUnreadable, findUnreadableBox } from '../lifecycle/unreadable-box.js';
import { resolveBoxRef } from '../state/names.js';
import { allBoxes } from './each-box.js';
import { describeStore, resolveStoreRoot } from '../image/store.js';

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
      // docker rm -v: its anonymous volumes; nsbox boxes have none (named volumes stay, as in docker), so -fv works as typed
      .option('volumes', { alias: 'v', type: 'boolean', default: false, describe: 'as docker rm -v (nsbox boxes have no anonymous volumes; named ones stay)' })
      .options(STATE_OPTION) as unknown as Argv<RmArgs>,
  async handler(args) {
    const state = openStateFromArgs(args);
    // Every box at once, as docker rm: each waits on its own box's end and teardown (one after another, rm -f of 20
    // boxes took 1.5 s for 0.4 s of CPU). Each holds its own box lock; names and leases change under flock in sync
    // sections, which never interleave.
    return allBoxes(args.boxes.map(String), async (ref) => {
      const box = findUnreadableBox(state, resolveBoxRef(state, ref)) ?? openBox(state, ref);
      let warnings: string[];
      if ('reason' in box) {
        // No record: its cgroups (named by its id) say which processes are its own.
        process.stderr.write(`nsbox: warning: ${describeUnreadable(box)}\n`);
        const { removeUnreadableBox } = await import('../lifecycle/remove-unreadable-box.js');
        warnings = await removeUnreadableBox(state, box, args.force, describeStore(resolveStoreRoot(undefined)).containers);
      } else warnings = await removeBox(box, args.force);
      for (const w of warnings) process.stderr.write(`nsbox: warning: ${w}\n`);
    });
  },
};
