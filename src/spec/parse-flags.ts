// A small flag parser driven by the same yargs option table, for the hot path of `run`/`sh`: loading and running
// yargs costs ~35 ms, more than nsbox's whole start-up budget. yargs still serves --help and every other command.

import type { Options } from 'yargs';
import { NsboxError } from '../errors.js';

export type ParsedFlags = Record<string, unknown>;

/** Parse `flags` (no positionals: the command line was already split) like yargs' strict mode would. */
export function parseFlags(flags: readonly string[], options: Readonly<Record<string, Options>>, command = 'run'): ParsedFlags {
  // Docker's wording ("unknown flag: --bogus"), with the command whose --help lists the real ones.
  const unknown = (flag: string): NsboxError => new NsboxError(`unknown flag ${flag} for nsbox ${command}`, { hint: `nsbox ${command} --help lists its flags` });
  const byName = new Map<string, [string, Options]>();
  for (const [name, opt] of Object.entries(options)) {
    byName.set(name, [name, opt]);
    const aliases = opt.alias === undefined ? [] : Array.isArray(opt.alias) ? opt.alias : [opt.alias];
    for (const alias of aliases) byName.set(alias, [name, opt]);
  }
  const out: ParsedFlags = {};
  for (const [name, opt] of Object.entries(options)) {
    if (opt.default !== undefined) out[name] = opt.default;
  }
  for (let i = 0; i < flags.length; i++) {
    const word = flags[i]!;
    // Bundled short booleans, as in `-it`.
    if (/^-[A-Za-z]{2,}$/.test(word) && [...word.slice(1)].every((c) => byName.get(c)?.[1].type === 'boolean')) {
      for (const c of word.slice(1)) out[byName.get(c)![0]] = true;
      continue;
    }
    const match = /^--?([^=]+)(?:=([\s\S]*))?$/.exec(word);
    if (!match || word === '-' || (word.startsWith('-') && !word.startsWith('--') && match[1]!.length > 1)) {
      throw unknown(word.split('=')[0]!);
    }
    let key = match[1]!;
    let inline = match[2];
    let negated = false;
    if (!byName.has(key) && key.startsWith('no-') && byName.get(key.slice(3))?.[1].type === 'boolean') {
      key = key.slice(3);
      negated = true;
    }
    const entry = byName.get(key);
    if (!entry) throw unknown(`${key.length === 1 ? '-' : '--'}${key}`);
    const [name, opt] = entry;
    if (opt.type === 'boolean') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') throw new NsboxError(`Not a boolean: --${key}=${inline}`);
      out[name] = negated ? false : inline !== 'false';
      continue;
    }
    if (inline === undefined) {
      inline = flags[i + 1];
      if (inline === undefined) throw new NsboxError(`flag ${key.length === 1 ? '-' : '--'}${key} of nsbox ${command} needs a value`);
      i++;
    }
    const value = opt.type === 'number' ? Number(inline) : inline;
    if (opt.array) out[name] = [...((out[name] as unknown[] | undefined) ?? []), value];
    else out[name] = value;
  }
  return out;
}
