// `nsbox container X`, as docker container X: the top-level command X (`container ls` is ps; cli.ts turns these into
// the top-level words before parsing, src/commands/docker-words.ts), and `container prune`, handled here.

import type { Argv } from 'yargs';
import { NsboxError } from '../errors.js';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { PRUNE_OPTIONS } from './prune-flags.js';

interface ContainerArgs {
  action: string | undefined;
  force: boolean;
  filter: string[] | undefined;
  root: string | undefined;
  state: string | undefined;
}

export const command: NsboxCommand<ContainerArgs> = {
  usage: 'container [action]',
  describe: 'docker container X: the same as nsbox X (ls/list: ps); container prune removes every stopped box (-f: without asking)',
  builder: (y: Argv) =>
    y
      .positional('action', { type: 'string', describe: 'prune, or any of nsbox\'s box commands (ls, run, rm, logs, exec, ...)' })
      .option('force', PRUNE_OPTIONS.force!)
      .option('filter', PRUNE_OPTIONS.filter!)
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' })
      .options(STATE_OPTION)
      .example('nsbox container ls -a', 'the same as nsbox ps -a')
      .example('nsbox container prune -f', 'remove every stopped box, print their ids and the space given back') as unknown as Argv<ContainerArgs>,
  async handler(args) {
    if (args.action !== 'prune') {
      throw new NsboxError(args.action === undefined ? 'usage: nsbox container COMMAND (ls, run, rm, prune, ...)' : `unknown command "container ${args.action}" (see nsbox --help)`);
    }
    const { runPrune } = await import('./prune.js');
    return runPrune('container', { force: args.force, all: false, volumes: false, filter: args.filter ?? [], root: args.root, state: args.state });
  },
};
