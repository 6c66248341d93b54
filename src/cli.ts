// Command-line entry: picks the subcommand, loads only its module, runs it, and is the one place errors are printed.

import { createRequire } from 'node:module';
import type { NsboxCommand } from './commands/command.js';
import { NsboxError } from './errors.js';
import { firstLine, reportError } from './report-error.js';
import { rewriteBoxWords, runBoxFast, wantsYargs } from './box-fast-path.js';
import { rewriteDockerWords } from './commands/docker-words.js';

type Loader = () => Promise<{ command: NsboxCommand<any> }>;

/** Subcommand -> its module; a module is loaded only when its command runs (start-up time matters). */
export const COMMANDS: Readonly<Record<string, Loader>> = {
  run: () => import('./commands/run.js'),
  sh: () => import('./commands/sh.js'),
  ns: () => import('./commands/ns.js'),
  doctor: () => import('./commands/doctor.js'),
  image: () => import('./commands/image.js'),
  images: () => import('./commands/images.js'),
  rmi: () => import('./commands/rmi.js'),
  volume: () => import('./commands/volume.js'),
  network: () => import('./commands/network.js'),
  ps: () => import('./commands/ps.js'),
  logs: () => import('./commands/logs.js'),
  attach: () => import('./commands/attach.js'),
  exec: () => import('./commands/exec.js'),
  cp: () => import('./commands/cp.js'),
  start: () => import('./commands/start.js'),
  stop: () => import('./commands/stop.js'),
  restart: () => import('./commands/restart.js'),
  kill: () => import('./commands/kill.js'),
  pause: () => import('./commands/pause.js'),
  unpause: () => import('./commands/unpause.js'),
  rm: () => import('./commands/rm.js'),
  create: () => import('./commands/create.js'),
  rename: () => import('./commands/rename.js'),
  wait: () => import('./commands/wait.js'),
  inspect: () => import('./commands/inspect.js'),
  port: () => import('./commands/port.js'),
  stats: () => import('./commands/stats.js'),
  top: () => import('./commands/top.js'),
  gc: () => import('./commands/gc.js'),
  'box-exited': () => import('./commands/box-exited.js'),
  commit: () => import('./commands/commit.js'),
  export: () => import('./commands/export.js'),
  diff: () => import('./commands/diff.js'),
  update: () => import('./commands/update.js'),
  version: () => import('./commands/version.js'),
  lab: () => import('./commands/lab.js'),
  completion: () => import('./commands/completion.js'),
  manpage: () => import('./commands/manpage.js'),
  load: () => import('./commands/load.js'),
  save: () => import('./commands/save.js'),
  tag: () => import('./commands/tag.js'),
  history: () => import('./commands/history.js'),
  container: () => import('./commands/container.js'),
  system: () => import('./commands/system.js'),
  info: () => import('./commands/info.js'),
  pull: async () => ({ command: (await import('./commands/no-registry.js')).pull }),
  build: async () => ({ command: (await import('./commands/no-registry.js')).build }),
  push: async () => ({ command: (await import('./commands/no-registry.js')).push }),
  login: async () => ({ command: (await import('./commands/no-registry.js')).login }),
  logout: async () => ({ command: (await import('./commands/no-registry.js')).logout }),
  search: async () => ({ command: (await import('./commands/no-registry.js')).search }),
  __complete: () => import('./commands/complete-words.js'),
};

/** Runs nsbox with argv (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (error) {
    return reportError(error);
  }
}

async function dispatch(argvIn: readonly string[]): Promise<number> {
  let argv = rewriteDockerWords(argvIn, (n) => Object.hasOwn(COMMANDS, n));
  const name = argv.find((a) => !a.startsWith('-'));
  refuseUnknownCommand(argv, name);
  const boxCommand = name === 'run' || name === 'sh' || name === 'create';
  if (boxCommand && argv[0] === name) {
    const [flags] = (await import('./spec/command-line.js')).splitCommandLine(argv.slice(1), (await import('./spec/run-flags.js')).RUN_OPTIONS);
    if (!wantsYargs(flags)) return runBoxFast(argv, name);
  }
  if (boxCommand) argv = await normalizeBoxArgv(argv, name);
  const wanted = name !== undefined && COMMANDS[name] ? [name] : Object.keys(COMMANDS);
  const modules = await Promise.all(wanted.map((n) => COMMANDS[n]!()));
  // A plain command line (the command first, flags it declares): parsed without loading yargs (src/fast-args.ts).
  if (name !== undefined && argv[0] === name && modules.length === 1 && !boxCommand) {
    const { command } = modules[0]!;
    const words = argv.slice(1);
    if (command.parsesOwnWords?.(words)) return command.handler({ _: [name], $0: 'nsbox' } as never);
    const args = command.parsesOwnWords ? undefined : (await import('./fast-args.js')).parseFast(command, name, words);
    if (args) return command.handler(args as never);
  }
  const yargs = loadYargs();
  const { findUnknownFlag } = await import('./fast-args.js');

  let exitCode = 0;
  let y = yargs([...argv])
    .scriptName('nsbox')
    .usage('nsbox: Linux containers from the stock system tools\n\nUsage: nsbox <command> [flags]')
    .parserConfiguration({ 'populate--': true })
    .strict()
    .demandCommand(1, 'name a command: nsbox --help lists them')
    .help()
    .version()
    .wrap(helpWidth())
    .fail((message, error) => {
      if (error instanceof NsboxError) throw error;
      // A flag the command lacks is the mistake to name, whatever yargs tripped on first (a missing operand, taken as its value).
      const unknown = modules.length === 1 && name !== undefined ? findUnknownFlag(modules[0]!.command, argv.slice(argv.indexOf(name) + 1)) : undefined;
      if (unknown !== undefined) throw new NsboxError(`unknown flag ${unknown} for nsbox ${name}`, { hint: `nsbox ${name} --help lists its flags` });
      throw new NsboxError(firstLine(message ?? error?.message ?? 'invalid arguments'));
    });
  for (const { command } of modules) {
    y = y.command({
      command: command.usage,
      describe: command.hidden ? false : command.describe,
      aliases: command.aliases ? [...command.aliases] : [],
      builder: (b: any) => command.builder(b),
      handler: async (args: any) => {
        exitCode = await command.handler(args);
      },
    });
  }
  await y.parseAsync();
  return exitCode;
}

/**
 * A word nsbox has no command for, or a flag before any command: one line, exit 125 as for every usage error
 * (docker exits 1 for an unknown command, 125 for an unknown flag; nsbox keeps one code for a wrong command line).
 */
function refuseUnknownCommand(argv: readonly string[], name: string | undefined): void {
  if (name !== undefined && argv[0] === name && !Object.hasOwn(COMMANDS, name)) throw new NsboxError(`unknown command ${JSON.stringify(name)} (see nsbox --help)`);
  const flag = argv[0];
  if (flag !== undefined && flag.startsWith('-') && !['--help', '-h', '--version', '--'].includes(flag)) throw new NsboxError(`unknown flag ${flag.split('=')[0]} (see nsbox --help)`);
}

/**
 * yargs through its CommonJS entry: the ESM build lays out --help with a wrapper that cuts words in the middle
 * ("l ike unshare"); the CommonJS one wraps at word boundaries (wrap-ansi).
 */
function loadYargs(): typeof import('yargs').default {
  const require = createRequire(process.argv[1] ?? `${process.cwd()}/`);
  return require('yargs');
}

/** --help's width: the terminal's, else $COLUMNS, at most 100. */
function helpWidth(): number {
  return Math.min(100, process.stdout.columns || Number(process.env.COLUMNS) || 100);
}

/**
 * run/sh: the command starts at the first non-flag word (like docker run) or after `--`; hand yargs only the flags
 * and put the command after an explicit `--`, so no word of it is ever taken for an nsbox flag.
 */
async function normalizeBoxArgv(argv: readonly string[], name: string): Promise<string[]> {
  const [{ splitCommandLine }, { RUN_OPTIONS }] = await Promise.all([import('./spec/command-line.js'), import('./spec/run-flags.js')]);
  const at = argv.indexOf(name);
  const [flags, command] = splitCommandLine(await rewriteBoxWords(argv.slice(at + 1), name), RUN_OPTIONS);
  return [...argv.slice(0, at + 1), ...(await import('./plan/explain.js')).rewriteExplainFlag(flags), '--', ...command];
}
