// Docker's `--pid host`, `--ipc host`, `--uts host`, `--userns host` and `--cgroupns host|private`: nsbox's namespace
// flags are unshare's booleans, so `--pid host` read "host" as the image. `host` (share the host's) becomes
// `--pid=false`, `private` (a new one) `--pid`; the image-box description refuses what it cannot share.

import type { Options } from 'yargs';
import { valueFlagSpellings } from './ambiguous-flag.js';

const FLAGS: Readonly<Record<string, string>> = { '--pid': '--pid', '--ipc': '--ipc', '--uts': '--uts', '--userns': '--userns', '--cgroupns': '--cgroup' };
const VALUES: Readonly<Record<string, string>> = { host: '=false', private: '' };

/** argv's flags (up to the first non-flag word or `--`) with Docker's namespace values in nsbox's spelling. */
export function rewriteHostNamespaceFlags(argv: readonly string[], options: Readonly<Record<string, Options>>): string[] {
  const takesValue = valueFlagSpellings(options);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--' || !word.startsWith('-')) {
      out.push(...argv.slice(i));
      break;
    }
    const [flag, joined] = word.includes('=') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined];
    const nsboxFlag = FLAGS[flag];
    const next = argv[i + 1];
    if (nsboxFlag !== undefined && joined !== undefined && VALUES[joined] !== undefined) out.push(`${nsboxFlag}${VALUES[joined]}`);
    else if (nsboxFlag !== undefined && joined === undefined && next !== undefined && VALUES[next] !== undefined) {
      out.push(`${nsboxFlag}${VALUES[next]}`);
      i++;
    } else {
      out.push(word);
      // another flag's value (-e A=1) is not the end of the flags
      if (joined === undefined && takesValue.has(word) && next !== undefined) {
        out.push(next);
        i++;
      }
    }
  }
  return out;
}
