// `nsbox system prune [-a] [--volumes] [-f]`, as docker system prune: stopped boxes, unused networks, unreferenced
// layers (-a: unused images), and with --volumes the unused anonymous volumes, of one store and state dir.
// `system info` (nsbox info) and `system df [-v]`, as Docker's (system-report.ts).

import type { Argv } from 'yargs';
import { NsboxError } from '../errors.js';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { PRUNE_OPTIONS } from './prune-flags.js';

interface SystemArgs {
  action: string | undefined;
  verbose: boolean;
  format: string | undefined;
  json: boolean;
  force: boolean;
  all: boolean;
  volumes: boolean;
  filter: string[] | undefined;
  root: string | undefined;
  state: string | undefined;
}

export const command: NsboxCommand<SystemArgs> = {
  usage: 'system [action]',
  describe: 'system info (as nsbox info); system df [-v]: images, boxes and volumes, how many, how many in use, their size and what is reclaimable; system prune: remove stopped boxes, unused networks and unreferenced layers (-a: unused images; --volumes: unused anonymous volumes; -f: without asking)',
  builder: (y: Argv) =>
    y
      .positional('action', { type: 'string', describe: 'info, df or prune' })
      .options(PRUNE_OPTIONS)
      .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'df: each image, box and volume' })
      .option('format', { type: 'string', describe: 'info, df: a Go template over Docker\'s fields (see nsbox info --help), or "json"' })
      .option('json', { type: 'boolean', default: false, describe: 'info, df: print JSON (sizes in bytes)' })
      .option('volumes', { type: 'boolean', default: false, describe: 'prune: unused anonymous volumes too' })
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' })
      .options(STATE_OPTION)
      .example('nsbox system df -v', 'what each image, box and volume takes')
      .example('nsbox system prune -af', 'everything no box uses, without asking') as unknown as Argv<SystemArgs>,
  async handler(args) {
    if (args.action === 'info' || args.action === 'df') {
      const report = await import('./system-report.js');
      return args.action === 'info' ? report.runInfo(args) : report.runDiskUsage(args);
    }
    if (args.action !== 'prune') {
      throw new NsboxError(args.action === undefined ? 'usage: nsbox system info|df [-v]|prune [-a] [--volumes] [-f]' : `unknown command "system ${args.action}" (see nsbox --help)`);
    }
    const { runPrune } = await import('./prune.js');
    return runPrune('system', { force: args.force, all: args.all, volumes: args.volumes, filter: args.filter ?? [], root: args.root, state: args.state });
  },
};
