// The runc command line, parsed without yargs: global flags, one subcommand, its flags and positionals. Both
// `--flag=value` and `--flag value`; boolean flags take no value; `-a`/`-d`/`-t` short forms as runc has them. Pure.

import { NsboxError } from '../errors.js';

export interface RuntimeGlobals {
  readonly root: string;
  readonly log: string | undefined;
  readonly logFormat: 'text' | 'json';
  readonly systemdCgroup: boolean;
  readonly debug: boolean;
}

export interface RuntimeInvocation {
  readonly globals: RuntimeGlobals;
  /** undefined with --version / --help alone. */
  readonly command: string | undefined;
  readonly flags: Readonly<Record<string, string | boolean | readonly string[]>>;
  readonly args: readonly string[];
  readonly version: boolean;
}

/** Where runtime state lives unless --root says otherwise (runc: /run/runc). */
export const DEFAULT_ROOT = '/run/nsbox-runtime';

type Kind = 'string' | 'bool' | 'list';
interface FlagSpec {
  readonly kind: Kind;
  readonly short?: string;
}

const GLOBAL: Record<string, FlagSpec> = {
  root: { kind: 'string' }, log: { kind: 'string' }, 'log-format': { kind: 'string' }, 'systemd-cgroup': { kind: 'bool' },
  debug: { kind: 'bool' }, criu: { kind: 'string' }, rootless: { kind: 'string' }, version: { kind: 'bool', short: 'v' }, help: { kind: 'bool', short: 'h' },
};

const PROCESS_FLAGS: Record<string, FlagSpec> = {
  process: { kind: 'string', short: 'p' }, detach: { kind: 'bool', short: 'd' }, 'pid-file': { kind: 'string' },
  'console-socket': { kind: 'string' }, tty: { kind: 'bool', short: 't' }, cwd: { kind: 'string' }, env: { kind: 'list', short: 'e' },
  user: { kind: 'string', short: 'u' }, 'additional-gids': { kind: 'list', short: 'g' }, cap: { kind: 'list', short: 'c' },
  'no-new-privs': { kind: 'bool' }, 'preserve-fds': { kind: 'string' }, 'process-label': { kind: 'string' },
  apparmor: { kind: 'string' }, cgroup: { kind: 'list' }, ignore: { kind: 'bool' },
};

const CREATE_FLAGS: Record<string, FlagSpec> = {
  bundle: { kind: 'string', short: 'b' }, 'pid-file': { kind: 'string' }, 'console-socket': { kind: 'string' },
  'no-pivot': { kind: 'bool' }, 'no-new-keyring': { kind: 'bool' }, 'preserve-fds': { kind: 'string' },
  detach: { kind: 'bool', short: 'd' }, 'keep': { kind: 'bool' }, 'no-subreaper': { kind: 'bool' },
};

/** Every subcommand and its flags. */
export const COMMANDS: Record<string, Record<string, FlagSpec>> = {
  create: CREATE_FLAGS,
  run: CREATE_FLAGS,
  start: {},
  state: {},
  kill: { all: { kind: 'bool', short: 'a' } },
  delete: { force: { kind: 'bool', short: 'f' } },
  list: { format: { kind: 'string', short: 'f' }, quiet: { kind: 'bool', short: 'q' } },
  ps: { format: { kind: 'string', short: 'f' } },
  exec: PROCESS_FLAGS,
  pause: {},
  resume: {},
  update: { resources: { kind: 'string', short: 'r' }, memory: { kind: 'string' }, 'memory-swap': { kind: 'string' }, 'pids-limit': { kind: 'string' }, 'cpu-shares': { kind: 'string' }, 'cpu-quota': { kind: 'string' }, 'cpu-period': { kind: 'string' } },
  features: {},
  spec: { bundle: { kind: 'string', short: 'b' }, rootless: { kind: 'bool' } },
  explain: {},
};

/** Parse argv (without node and the script); a bad flag is a one-line NsboxError. */
export function parseRuntimeArgv(argv: readonly string[]): RuntimeInvocation {
  const globals: Record<string, string | boolean | string[]> = {};
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) i = takeFlag(argv, i, GLOBAL, globals, 'nsbox-runtime');
  const command = argv[i];
  const flags: Record<string, string | boolean | string[]> = {};
  const args: string[] = [];
  if (command !== undefined) {
    const specs = COMMANDS[command];
    if (!specs) throw new NsboxError(`unknown command ${JSON.stringify(command)} (try: create, start, state, kill, delete, list, ps, exec, run, pause, resume, update, features, spec, explain)`);
    i++;
    while (i < argv.length) {
      const word = argv[i]!;
      if (word === '--') {
        args.push(...argv.slice(i + 1));
        break;
      }
      // Once the container id is known, exec's remaining words are the command (runc: `exec ID sh -c ...`).
      if (command === 'exec' && args.length > 0) {
        args.push(...argv.slice(i));
        break;
      }
      if (word.startsWith('-') && word !== '-') i = takeFlag(argv, i, specs, flags, command);
      else {
        args.push(word);
        i++;
      }
    }
  }
  const format = (globals['log-format'] as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'json') throw new NsboxError(`invalid --log-format ${JSON.stringify(format)}: text or json`);
  return {
    globals: {
      root: (globals.root as string | undefined) ?? DEFAULT_ROOT,
      log: globals.log as string | undefined,
      logFormat: format,
      systemdCgroup: globals['systemd-cgroup'] === true,
      debug: globals.debug === true,
    },
    command,
    flags,
    args,
    version: globals.version === true,
  };
}

/** One flag at argv[i] into `out`; returns the index after it (and its value). */
function takeFlag(argv: readonly string[], i: number, specs: Record<string, FlagSpec>, out: Record<string, string | boolean | string[]>, where: string): number {
  const word = argv[i]!;
  const eq = word.indexOf('=');
  const raw = word.startsWith('--') ? word.slice(2, eq === -1 ? undefined : eq) : word.slice(1, 2);
  const inline = eq === -1 ? (word.startsWith('--') || word.length <= 2 ? undefined : word.slice(2)) : word.slice(eq + 1);
  const name = word.startsWith('--') ? raw : Object.keys(specs).find((k) => specs[k]!.short === raw);
  const spec = name === undefined ? undefined : specs[name];
  if (name === undefined || !spec) throw new NsboxError(`${where}: unknown flag ${word.split('=')[0]}`);
  if (spec.kind === 'bool') {
    out[name] = inline === undefined ? true : inline !== 'false';
    return i + 1;
  }
  let value = inline;
  let next = i + 1;
  if (value === undefined) {
    value = argv[i + 1];
    next = i + 2;
    if (value === undefined) throw new NsboxError(`${where}: flag ${word} needs a value`);
  }
  if (spec.kind === 'list') out[name] = [...((out[name] as string[] | undefined) ?? []), value];
  else out[name] = value;
  return next;
}
