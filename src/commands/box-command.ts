// What `nsbox run` and `nsbox sh` share: flags -> a box description, checked against the host, then started
// (src/start-box: plan -> --explain/--dry-run -> execute -> exit code).

import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { ArgumentsCamelCase } from 'yargs';
import { NsboxError, flagError } from '../errors.js';
import type { BoxDescription } from '../spec/box-description.js';
import { buildBoxDescription, type RunArgs } from '../spec/run-flags.js';
import { quoteArgv } from '../plan/quote.js';
import { resolveCommand } from '../exec/resolve-command.js';
import { startBox } from '../start-box/start-box.js';
import { startModeOf } from '../lifecycle/run-options.js';

/** The command line after the flags: positionals that yargs stopped at, then everything after `--`. */
export function commandArgv(args: ArgumentsCamelCase<RunArgs>, subcommand: string): string[] {
  const positional = (args._ ?? []).map(String);
  if (positional[0] === subcommand) positional.shift();
  const rest = ((args['--'] as unknown[] | undefined) ?? []).map(String);
  return [...positional, ...rest];
}

/** Build, show and run a box; resolves to nsbox's exit code. */
export async function runBox(args: ArgumentsCamelCase<RunArgs>, command: readonly string[], interactive: boolean, title: string): Promise<number> {
  if (args['group-add'] !== undefined) throw flagError('--group-add', String(args['group-add']), 'only image boxes take it for now (run IMAGE): a host-root box\'s command keeps nsbox\'s groups');
  if (args.entrypoint !== undefined) throw flagError('--entrypoint', args.entrypoint, 'only image boxes have an entrypoint (run IMAGE)');
  const spec = buildBoxDescription(args, command, { interactive });
  checkProcessDescription(spec);
  return startBox({ kind: 'host', description: spec, title }, startModeOf(args), args);
}

/** Checks that need the host but change nothing: subordinate ids, the working directory, the program. */
function checkProcessDescription(spec: BoxDescription): void {
  if (spec.idMapping.kind === 'auto') checkSubordinateIds();
  const workdir = spec.process.workdir;
  if (workdir !== undefined) {
    let isDir = false;
    try {
      isDir = statSync(workdir).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new NsboxError(`invalid --workdir ${JSON.stringify(workdir)}: no such directory`);
  }
  const pathVar = spec.process.env.PATH ?? process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  resolveCommand(spec.process.argv[0]!, pathVar, workdir ?? process.cwd());
}

/** "nsbox run --uts -- sh -c 'echo hi'": the invocation, quoted, for the --explain header. */
export function titleOf(argv: readonly string[]): string {
  return `nsbox ${quoteArgv(argv)}`;
}

/** --map-auto maps the caller's first /etc/subuid and /etc/subgid ranges; say so clearly if there is none. */
function checkSubordinateIds(): void {
  const user = userInfo().username;
  const uid = String(process.getuid?.() ?? '');
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // treated as empty
    }
    const owner = (line: string) => line.split(':')[0];
    if (!text.split('\n').some((line) => owner(line) === user || owner(line) === uid)) {
      throw new NsboxError(`--map-auto: no range for ${user} in ${file}`, {
        hint: `add one, e.g. usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user}`,
      });
    }
  }
}
