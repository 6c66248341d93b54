// Tells unshare-style `--net` (a new netns with only lo) from Docker-style `--net VALUE` (none, host, bridge, NAME).

import { existsSync } from 'node:fs';
import type { Options } from 'yargs';
import { rewriteAmbiguousFlag } from '../spec/ambiguous-flag.js';
import { netPaths, netStateDir } from './state.js';

const MODES = new Set(['none', 'host', 'bridge']);
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * `--net=VALUE` always carries a value; `--net VALUE` does when VALUE is a mode or an existing network's name.
 * Both become `--network=VALUE`; a bare `--net` stays the boolean.
 */
export function rewriteNetFlag(argv: readonly string[], options: Readonly<Record<string, Options>>, isNetwork: (name: string) => boolean = networkExists): string[] {
  return rewriteAmbiguousFlag(argv, options, {
    flag: '--net',
    valueFlag: '--network',
    joinedIsValue: (value) => !['true', 'false'].includes(value),
    nextIsValue: (next) => MODES.has(next) || (NETWORK_NAME.test(next) && isNetwork(next)),
  });
}

function networkExists(name: string): boolean {
  return existsSync(netPaths(netStateDir()).network(name));
}
