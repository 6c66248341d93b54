// The flags the prune commands share, as docker's: -f/--force, -a/--all, --filter.

import type { Options } from 'yargs';

export const PRUNE_OPTIONS: Readonly<Record<string, Options>> = {
  force: { alias: 'f', type: 'boolean', default: false, describe: 'prune: do not ask first' },
  all: { alias: 'a', type: 'boolean', default: false, describe: 'prune: every unused image (image, system), every unused volume (volume)' },
  filter: { type: 'string', array: true, describe: 'prune: not supported yet (refused)' },
};
