// `nsbox gc [--dry-run]`: remove what dead and finished boxes left behind (cgroups, mounts, upper layers, state).

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { openStateFromArgs } from '../lifecycle/open-box.js';
import { findGarbage } from '../lifecycle/collect-garbage.js';
import { describeStore, resolveStoreRoot } from '../image/store.js';

interface GcArgs {
  'dry-run': boolean;
  state: string | undefined;
  root: string | undefined;
}

export const command: NsboxCommand<GcArgs> = {
  usage: 'gc',
  describe: 'remove the residue of dead boxes and of --rm boxes that exited',
  builder: (y: Argv) =>
    y
      .option('dry-run', { type: 'boolean', default: false, describe: 'list what would be removed, change nothing' })
      .option('root', { type: 'string', describe: 'image store whose containers/ to check (default $NSBOX_ROOT, else /var/lib/nsbox)' })
      .options(STATE_OPTION) as unknown as Argv<GcArgs>,
  async handler(args) {
    const state = openStateFromArgs(args);
    const garbage = findGarbage(state, describeStore(resolveStoreRoot(args.root)).containers);
    let failed = 0;
    for (const item of garbage) {
      if (args['dry-run']) {
        process.stdout.write(`would remove ${item.what}\n${item.actions.map((a) => `  ${a}\n`).join('')}`);
        continue;
      }
      const warnings = await item.remove();
      for (const w of warnings) process.stderr.write(`nsbox: warning: ${w}\n`);
      failed += warnings.length > 0 ? 1 : 0;
      process.stdout.write(`removed ${item.what}\n`);
    }
    // Leases whose box is gone some other way (a foreground nsbox killed, a box that exited by itself): rules,
    // lease and peers' hosts lines go too.
    const { gcNetworks } = await import('../net/release.js');
    const { netEnvFor } = await import('../net/box-network.js');
    for (const line of gcNetworks(netEnvFor(state.root), args['dry-run'])) process.stdout.write(`${args['dry-run'] ? 'would release' : 'released'} ${line}\n`);
    return failed > 0 ? 1 : 0;
  },
};
