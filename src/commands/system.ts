// `nsbox system prune [-a] [--volumes] [-f]`, as docker system prune: stopped boxes, unused networks, unreferenced
// layers (-a: unused images), and with --volumes the unused anonymous volumes, of one store and state dir.

import type { Argv } from 'yargs';
import { NsboxError } from '../errors.js';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { PRUNE_OPTIONS } from './prune-flags.js';

interface SystemArgs {
  action: string | undefined;
  force: boolean;
  all: boolean;
  volumes: boolean;
  filter: string[] | undefined;
  root: string | undefined;
  state: string | undefined;
}

export const command: NsboxCommand<SystemArgs> = {
  usage: 'system [action]',
  describe: 'system prune: remove stopped boxes, unused networks and unreferenced layers (-a: unused images; --volumes: unused anonymous volumes; -f: without asking)',
  builder: (y: Argv) =>
    y
      .positional('action', { type: 'string', describe: 'prune' })
      .options(PRUNE_OPTIONS)
      .option('volumes', { type: 'boolean', default: false, describe: 'prune: unused anonymous volumes too' })
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' })
      .options(STATE_OPTION)
      .example('nsbox system prune -af', 'everything no box uses, without asking') as unknown as Argv<SystemArgs>,
  async handler(args) {
    if (args.action !== 'prune') {
      throw new NsboxError(args.action === undefined ? 'usage: nsbox system prune [-a] [--volumes] [-f]' : `unknown command "system ${args.action}" (see nsbox --help)`);
    }
    const { runPrune } = await import('./prune.js');
    return runPrune('system', { force: args.force, all: args.all, volumes: args.volumes, filter: args.filter ?? [], root: args.root, state: args.state });
  },
};
