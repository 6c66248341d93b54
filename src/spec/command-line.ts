// Splits `nsbox run [flags] CMD [ARG...]` at the command: the first word that is not a flag or a flag's value,
// or whatever follows `--`. The command's own words are never parsed as nsbox flags.

import type { Options } from 'yargs';
import { valueFlagSpellings } from './ambiguous-flag.js';

/**
 * Returns [flags, command, afterDash]. `afterDash` is true when the command came after `--` (`run -- CMD`: the host's
 * root filesystem) rather than as the first non-flag word (`run IMAGE [CMD...]`). `options` tells which flags take
 * a value (string/number) and their aliases.
 */
export function splitCommandLine(argv: readonly string[], options: Readonly<Record<string, Options>>): [string[], string[], boolean] {
  const takesValue = valueFlagSpellings(options);
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') return [argv.slice(0, i), argv.slice(i + 1), true];
    if (!word.startsWith('-') || word === '-') return [argv.slice(0, i), argv.slice(i), false];
    if (!word.includes('=') && takesValue.has(word)) i++;
  }
  return [[...argv], [], false];
}
