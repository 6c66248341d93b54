// Flags that mean two things (unshare's boolean namespace flag, Docker's flag with a value) are told apart
// before yargs sees them, by looking at the next word. Shared by --mount, --net and the command-line split.

import type { Options } from 'yargs';

/** The spellings (`-e`, `--env`) of every flag that takes a value, so its value is never mistaken for a flag. */
export function valueFlagSpellings(options: Readonly<Record<string, Options>>): Set<string> {
  const spellings = new Set<string>();
  for (const [name, opt] of Object.entries(options)) {
    if (opt.type === 'boolean' || opt.count) continue;
    const aliases = opt.alias === undefined ? [] : Array.isArray(opt.alias) ? opt.alias : [opt.alias];
    for (const n of [name, ...aliases]) spellings.add(n.length === 1 ? `-${n}` : `--${n}`);
  }
  return spellings;
}

export interface AmbiguousFlag {
  /** The flag as typed, e.g. `--net`. */
  readonly flag: string;
  /** The unambiguous spelling it becomes when it carries a value, e.g. `--network`. */
  readonly valueFlag: string;
  /** Whether `--flag=VALUE` carries a value (else it stays as typed, e.g. `--net=true`). */
  readonly joinedIsValue: (value: string) => boolean;
  /** Whether the separate word after `--flag` is its value (else `--flag` is the boolean). */
  readonly nextIsValue: (next: string) => boolean;
}

/**
 * `--flag=VALUE` and `--flag VALUE` become `--valueFlag=VALUE` when they carry a value; a bare `--flag` stays the
 * boolean. Words after the command are never touched (the first non-flag word, or `--`, ends the flags).
 */
export function rewriteAmbiguousFlag(argv: readonly string[], options: Readonly<Record<string, Options>>, rule: AmbiguousFlag): string[] {
  const takesValue = valueFlagSpellings(options);
  const joined = `${rule.flag}=`;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--' || !word.startsWith('-') || word === '-') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (word.startsWith(joined) && rule.joinedIsValue(word.slice(joined.length))) out.push(`${rule.valueFlag}=${word.slice(joined.length)}`);
    else if (word === rule.flag && next !== undefined && rule.nextIsValue(next)) {
      out.push(`${rule.valueFlag}=${next}`);
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
