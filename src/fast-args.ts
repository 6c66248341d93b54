// Parses a subcommand's command line without yargs when it is a plain one: loading yargs and building its parser
// (it lays out the help text on every parse) costs each nsbox command ~50 ms, more than the command itself.
//
// The command's own builder runs against a stand-in for yargs that records its options and positionals. Only what
// this file fully understands is parsed here, the way yargs-parser would (its defaults: greedy arrays, short option
// groups, --no-FLAG); everything else returns undefined and goes to yargs as before: --help and --version, "--", an
// unknown flag, a value that looks like a flag, a bad choice, a missing or extra operand, a builder feature the
// stand-in does not record. So yargs still owns every error message and every help text. test/unit/fast-args.test.ts
// checks the results against yargs's own for each command.

import type { NsboxCommand } from './commands/command.js';

interface OptionSpec {
  readonly type?: 'boolean' | 'string' | 'number';
  readonly alias?: string | readonly string[];
  readonly default?: unknown;
  readonly array?: boolean;
  readonly choices?: readonly unknown[];
}

interface Positional {
  readonly name: string;
  readonly required: boolean;
  readonly variadic: boolean;
  readonly spec: OptionSpec;
}

interface Recorded {
  readonly options: Map<string, OptionSpec>;
  readonly positionalSpecs: Map<string, OptionSpec>;
  readonly checks: ((args: Record<string, unknown>) => unknown)[];
  supported: boolean;
}

/** The option keys a spec may carry here; any other (coerce, implies, conflicts, nargs, count...) means yargs. */
const KNOWN_KEYS = new Set(['type', 'alias', 'default', 'array', 'choices', 'describe', 'description', 'desc', 'defaultDescription', 'hidden', 'demandOption']);

/** args as yargs would give them to the command's handler, or undefined: let yargs parse this one. */
export function parseFast(command: NsboxCommand<any>, name: string, words: readonly string[]): Record<string, unknown> | undefined {
  const recorded = record(command);
  if (!recorded) return undefined;
  const positionals = positionalsOf(command.usage, recorded.positionalSpecs);
  if (!positionals) return undefined;
  const byFlag = new Map<string, [string, OptionSpec]>();
  for (const [key, spec] of recorded.options) {
    for (const flag of [key, ...aliasesOf(spec)]) byFlag.set(flag, [key, spec]);
  }
  const values = new Map<string, unknown>();
  const operands: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--' || word === '--help' || word === '-h' || word === '--version') return undefined;
    if (/^-\d/.test(word)) return undefined; // a negative number: yargs-parser's own rules
    if (!word.startsWith('-') || word === '-') {
      operands.push(word);
      continue;
    }
    const taken = word.startsWith('--') ? longFlag(word, words, i, byFlag, values) : shortFlags(word, words, i, byFlag, values);
    if (taken === undefined) return undefined;
    i += taken;
  }
  const args: Record<string, unknown> = { _: [name], $0: 'nsbox' };
  for (const [key, spec] of recorded.options) {
    const value = values.has(key) ? values.get(key) : spec.default;
    if (value === undefined) continue;
    if (spec.choices && !(Array.isArray(value) ? value : [value]).every((v) => spec.choices!.includes(v))) return undefined;
    for (const k of keysOf(key, spec)) args[k] = value;
  }
  for (const [index, p] of positionals.entries()) {
    if (p.variadic) {
      const rest = operands.splice(0);
      if (rest.length === 0 && p.required) return undefined;
      if (rest.length > 0 || p.spec.array) for (const k of keysOf(p.name, p.spec)) args[k] = rest.map((w) => convert(w, p.spec));
      continue;
    }
    const word = operands.shift();
    if (word === undefined) {
      if (p.required || positionals.slice(index).some((q) => q.required)) return undefined;
      continue;
    }
    for (const k of keysOf(p.name, p.spec)) args[k] = convert(word, p.spec);
  }
  if (operands.length > 0) return undefined; // an extra operand: yargs's strict mode says so
  for (const check of recorded.checks) {
    try {
      if (!check(args)) return undefined;
    } catch {
      return undefined;
    }
  }
  return args;
}

/** --name, --name=value, --no-name; returns how many more words it took, or undefined (yargs decides). */
function longFlag(word: string, words: readonly string[], i: number, byFlag: Map<string, [string, OptionSpec]>, values: Map<string, unknown>): number | undefined {
  const eq = word.indexOf('=');
  const flag = eq === -1 ? word.slice(2) : word.slice(2, eq);
  const inline = eq === -1 ? undefined : word.slice(eq + 1);
  let found = byFlag.get(flag);
  if (!found && flag.startsWith('no-') && inline === undefined) {
    const negated = byFlag.get(flag.slice(3));
    if (!negated || negated[1].type !== 'boolean' || negated[1].array) return undefined;
    values.set(negated[0], false);
    return 0;
  }
  if (!found) return undefined;
  return take(found, inline, words, i, values);
}

/** -a, -abc (booleans, the last may take a value), -n 5; returns how many more words it took, or undefined. */
function shortFlags(word: string, words: readonly string[], i: number, byFlag: Map<string, [string, OptionSpec]>, values: Map<string, unknown>): number | undefined {
  if (word.includes('=')) return undefined;
  const letters = word.slice(1);
  for (let j = 0; j < letters.length; j++) {
    const found = byFlag.get(letters[j]!);
    if (!found) return undefined;
    const last = j === letters.length - 1;
    if (found[1].type === 'boolean' && !found[1].array) {
      if (last && (words[i + 1] === 'true' || words[i + 1] === 'false')) return undefined; // yargs takes it as the value
      values.set(found[0], true);
      continue;
    }
    // A value-taking letter inside a group takes the rest of the word (-n5); yargs does, but rarely is it meant.
    if (!last) return undefined;
    return take(found, undefined, words, i, values);
  }
  return 0;
}

/** Stores an option's value from `inline` or the next word(s); the number of words taken, or undefined. */
function take([key, spec]: [string, OptionSpec], inline: string | undefined, words: readonly string[], i: number, values: Map<string, unknown>): number | undefined {
  if (spec.type === 'boolean' && !spec.array) {
    if (inline !== undefined) return undefined; // --flag=false: yargs's rules, not ours
    // yargs would take a following "true"/"false" as the flag's value.
    if (words[i + 1] === 'true' || words[i + 1] === 'false') return undefined;
    values.set(key, true);
    return 0;
  }
  if (spec.type !== 'string' && spec.type !== 'number') return undefined;
  const list = spec.array ? ((values.get(key) as unknown[] | undefined) ?? []) : undefined;
  if (inline !== undefined) {
    if (list) values.set(key, [...list, convert(inline, spec)]);
    else if (values.has(key)) return undefined; // given twice: yargs makes an array
    else values.set(key, convert(inline, spec));
    return 0;
  }
  const next = words[i + 1];
  if (next === undefined || next.startsWith('-')) return undefined; // yargs's handling of a missing value
  if (!list) {
    if (values.has(key)) return undefined;
    values.set(key, convert(next, spec));
    return 1;
  }
  // Greedy, as yargs: an array option takes every following word up to the next flag.
  let n = 0;
  const out = [...list];
  while (i + 1 + n < words.length && !words[i + 1 + n]!.startsWith('-')) out.push(convert(words[i + 1 + n]!, spec)), n++;
  values.set(key, out);
  return n;
}

function convert(word: string, spec: OptionSpec): unknown {
  return spec.type === 'number' ? Number(word) : word;
}

function aliasesOf(spec: OptionSpec): string[] {
  return spec.alias === undefined ? [] : typeof spec.alias === 'string' ? [spec.alias] : [...spec.alias];
}

/** The keys yargs sets for an option: its name, its camelCase form and its aliases. */
function keysOf(key: string, spec: OptionSpec): string[] {
  const camel = key.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
  return [...new Set([key, camel, ...aliasesOf(spec)])];
}

/** The usage's operands: "rm <boxes..>" -> boxes (required, variadic); "port <box> [port]". */
function positionalsOf(usage: string, specs: Map<string, OptionSpec>): Positional[] | undefined {
  const out: Positional[] = [];
  for (const token of usage.split(/\s+/).slice(1)) {
    const m = /^([<[])([a-z][a-z0-9-]*)(\.\.)?[>\]]$/.exec(token);
    if (!m) return undefined;
    const spec = specs.get(m[2]!) ?? {};
    if (spec.type !== undefined && spec.type !== 'string' && spec.type !== 'number') return undefined;
    out.push({ name: m[2]!, required: m[1] === '<', variadic: m[3] === '..', spec });
  }
  return out;
}

/** Runs the builder against the stand-in; undefined when it used something the stand-in does not record. */
function record(command: NsboxCommand<any>): Recorded | undefined {
  const recorded: Recorded = { options: new Map(), positionalSpecs: new Map(), checks: [], supported: true };
  const addOption = (key: string, spec: OptionSpec) => {
    if (Object.keys(spec).some((k) => !KNOWN_KEYS.has(k))) recorded.supported = false;
    recorded.options.set(key, spec);
  };
  const standIn: Record<string, unknown> = {
    option: (key: string, spec: OptionSpec) => (addOption(key, spec), standIn),
    options: (all: Record<string, OptionSpec>) => {
      for (const [key, spec] of Object.entries(all)) addOption(key, spec);
      return standIn;
    },
    positional: (key: string, spec: OptionSpec) => {
      if (Object.keys(spec).some((k) => !KNOWN_KEYS.has(k))) recorded.supported = false;
      recorded.positionalSpecs.set(key, spec);
      return standIn;
    },
    check: (fn: (args: Record<string, unknown>) => unknown) => (recorded.checks.push(fn), standIn),
    example: () => standIn,
    usage: () => standIn,
    epilogue: () => standIn,
  };
  const proxy = new Proxy(standIn, {
    get(target, prop) {
      if (typeof prop === 'string' && prop in target) return target[prop];
      recorded.supported = false; // strict(false), parserConfiguration, conflicts, ...: yargs's job
      return () => proxy;
    },
  });
  for (const key of Object.keys(standIn)) {
    const method = standIn[key] as (...a: unknown[]) => unknown;
    standIn[key] = (...a: unknown[]) => (method(...a), proxy);
  }
  try {
    command.builder(proxy as never);
  } catch {
    return undefined;
  }
  return recorded.supported ? recorded : undefined;
}

/** For the tests: the options and operands the stand-in recorded (undefined: the command always goes to yargs). */
export function recordedShape(command: NsboxCommand<any>): { options: [string, OptionSpec][]; positionals: Positional[] } | undefined {
  const recorded = record(command);
  const positionals = recorded ? positionalsOf(command.usage, recorded.positionalSpecs) : undefined;
  return recorded && positionals ? { options: [...recorded.options], positionals } : undefined;
}

/**
 * The first flag in `words` (before `--`) that the command does not declare, as typed; undefined when every flag is
 * known or the builder is one the stand-in cannot read. For yargs's failures only: `logs -t BOX` takes BOX as -t's
 * value and yargs then complains of a missing operand, where the user's mistake is the flag.
 */
export function findUnknownFlag(command: NsboxCommand<any>, words: readonly string[]): string | undefined {
  const recorded = record(command);
  if (!recorded) return undefined;
  const known = new Set(['help', 'h', 'version']);
  for (const [key, spec] of recorded.options) for (const k of keysOf(key, spec)) known.add(k);
  const isKnown = (flag: string) => known.has(flag) || known.has(flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()));
  for (const word of words) {
    if (word === '--') return undefined;
    if (!word.startsWith('-') || word === '-' || /^-\d/.test(word)) continue;
    if (word.startsWith('--')) {
      const flag = word.slice(2).split('=')[0]!;
      if (!isKnown(flag) && !(flag.startsWith('no-') && isKnown(flag.slice(3)))) return `--${flag}`;
      continue;
    }
    const letter = [...word.slice(1).split('=')[0]!].find((c) => !known.has(c));
    if (letter !== undefined) return `-${letter}`;
  }
  return undefined;
}
