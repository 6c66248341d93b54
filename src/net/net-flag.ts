// Tells unshare-style `--net` (a new netns with only lo) from Docker-style `--net VALUE` (none, host, bridge, NAME).

import { existsSync } from 'node:fs';
import type { Options } from 'yargs';
import { netPaths, netStateDir } from './state.js';

const MODES = new Set(['none', 'host', 'bridge']);

/**
 * `--net=VALUE` always carries a value; `--net VALUE` does when VALUE is a mode or an existing network's name.
 * Both become `--network=VALUE`; a bare `--net` stays the boolean. Words after the command are never touched.
 */
export function rewriteNetFlag(argv: readonly string[], options: Readonly<Record<string, Options>>, isNetwork: (name: string) => boolean = networkExists): string[] {
  const takesValue = new Set<string>();
  for (const [name, opt] of Object.entries(options)) {
    if (opt.type === 'boolean' || opt.count) continue;
    const aliases = opt.alias === undefined ? [] : Array.isArray(opt.alias) ? opt.alias : [opt.alias];
    for (const n of [name, ...aliases]) takesValue.add(n.length === 1 ? `-${n}` : `--${n}`);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--' || !word.startsWith('-') || word === '-') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (word.startsWith('--net=') && !['true', 'false'].includes(word.slice(6))) out.push(`--network=${word.slice(6)}`);
    else if (word === '--net' && next !== undefined && (MODES.has(next) || (/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(next) && isNetwork(next)))) {
      out.push(`--network=${next}`);
      i++;
    } else {
      out.push(word);
      if (!word.includes('=') && takesValue.has(word) && next !== undefined) {
        out.push(next);
        i++;
      }
    }
  }
  return out;
}

function networkExists(name: string): boolean {
  return existsSync(netPaths(netStateDir()).network(name));
}
