// `nsbox exec [-it] [-e K=V] [-w DIR] [-u USER] BOX CMD...`: run a command inside a running box.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Argv, Options } from 'yargs';
import type { NsboxCommand } from './command.js';
import { NsboxError, flagError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs, refreshBox } from '../lifecycle/open-box.js';
import { buildHostExecArgv, buildImageExecArgv, type InitFacts } from '../lifecycle/exec-argv.js';
import { closeInheritedFds } from '../exec/close-fds.js';
import { HOST_ENV, HOST_PATH } from '../host/host-env.js';
import { checkCommandName } from '../rootfs/final-exec.js';
import type { BoxRecord } from '../state/record.js';
import { acquireLock } from '../state/lock.js';
import { buildEnv } from '../spec/env.js';
import { readLiveTable, resolveUserFromTables } from '../rootfs/image-user.js';
import { exitCodeOf } from '../exec/executor.js';
import { findTool, requireTool } from '../host/tools.js';
import { splitCommandLine } from '../spec/command-line.js';
import { parseFlags } from '../spec/parse-flags.js';

const EXEC_OPTIONS: Readonly<Record<string, Options>> = {
  interactive: { alias: 'i', type: 'boolean', describe: 'keep stdin open (it is passed through)' },
  tty: { alias: 't', type: 'boolean', describe: 'use your terminal (it is passed through)' },
  env: { alias: 'e', type: 'string', array: true, describe: 'KEY=VAL to set' },
  workdir: { alias: 'w', type: 'string', describe: 'working directory inside the box' },
  user: { alias: 'u', type: 'string', describe: 'UID[:GID] or NAME[:GROUP] to run as, from the box\'s own /etc/passwd and /etc/group (default: the box\'s user)' },
  ...STATE_OPTION,
};

/** nsbox's own words after `name` (bin/nsbox passes "--" first). */
function rawWordsAfter(name: string): string[] {
  const raw = process.argv.slice(2);
  if (raw[0] === '--') raw.shift();
  return raw.slice(raw.indexOf(name) + 1);
}

/** Like docker exec: flags, then BOX, then the command, whose words are never taken for nsbox flags. */
export function splitExecWords(words: readonly string[]): [ExecArgs, string[]] {
  const [flags, rest] = splitCommandLine(words, EXEC_OPTIONS);
  const parsed = parseFlags(flags, EXEC_OPTIONS) as Partial<ExecArgs>;
  const [box, ...command] = rest;
  if (box === undefined) throw new NsboxError('missing box: nsbox exec [flags] BOX CMD [ARG...]');
  if (command[0] === '--') command.shift();
  return [{ interactive: false, tty: false, ...parsed, box } as ExecArgs, command];
}

interface ExecArgs {
  box: string;
  interactive: boolean;
  tty: boolean;
  env: string[] | undefined;
  workdir: string | undefined;
  user: string | undefined;
  state: string | undefined;
}

function readStatusField(pid: number | 'self', key: string): string {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${key}:`));
  return line?.slice(key.length + 1).trim() ?? '';
}

export const command: NsboxCommand<ExecArgs> = {
  usage: 'exec [box] [cmd..]',
  describe: 'run a command in a running box (its namespaces, cgroup, root, user and capabilities)',
  // Not strict: the command's own flags (`ls -la`) must pass yargs; the handler re-splits the raw words below.
  builder: (y: Argv) => y.strict(false).positional('box', { type: 'string' }).positional('cmd', { type: 'string', array: true }).options(EXEC_OPTIONS) as unknown as Argv<ExecArgs>,
  async handler(yargsArgs) {
    void yargsArgs;
    const [args, commandArgv] = splitExecWords(rawWordsAfter('exec'));
    if (commandArgv.length === 0 || commandArgv[0] === '') throw new NsboxError('missing command: nsbox exec BOX CMD [ARG...]');
    if (args.workdir !== undefined && !args.workdir.startsWith('/')) throw flagError('--workdir', args.workdir, 'must be an absolute path');
    const extraEnv = buildEnv(args.env ?? [], [], process.env);
    const tool = (name: string): string => requireTool(name, (n) => findTool(n, HOST_PATH));
    const tools = { nsenter: realpathSync(tool('nsenter')), unshare: tool('unshare'), mount: tool('mount'), sh: tool('sh') };
    // Only 0-2 go into the box: an inherited fd of a host file or directory would be a way out (CVE-2024-21626).
    closeInheritedFds();
    const box = openBox(openStateFromArgs({ state: args.state }), String(args.box));

    // Hold the box's lock until the new process is inside the box's cgroup: an rm racing us then kills it too.
    const lock = await acquireLock(box.paths.lock, `box ${args.box}`);
    let child: ChildProcess;
    let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    try {
      const { record, now } = refreshBox(box);
      if (now.status !== 'running' || !record.init) throw new NsboxError(`cannot exec in box ${args.box}: it is ${now.status === 'running' ? 'starting' : now.status}`);
      const facts: InitFacts = {
        pid: record.init.pid,
        capBnd: readStatusField(record.init.pid, 'CapBnd'),
        ownCapBnd: readStatusField('self', 'CapBnd'),
        noNewPrivs: readStatusField(record.init.pid, 'NoNewPrivs') === '1',
      };
      // -u NAME is looked up in the box's own /etc/passwd and /etc/group (the host's, for a box on the host's root).
      const user = args.user === undefined ? undefined : await resolveUserFromTables(args.user, (name) => readLiveTable(record.init!.pid, name), 'the box\'s');
      const runAsFlag = user && { uid: user.uid, gid: user.gid };
      const request = {
        command: commandArgv,
        workdir: args.workdir ?? record.process.workdir,
        runAs: runAsFlag ?? record.process.runAs,
        procsFiles: (record.cgroup?.dirs ?? []).map((d) => join(d, 'cgroup.procs')),
      };
      // Docker's exec -u: HOME is the user's (from the box's passwd) unless -e sets it.
      const [argv, env] = execArgvAndEnv(record, facts, request, user ? { HOME: user.home, ...extraEnv } : extraEnv, tools);
      child = spawn(argv[0]!, argv.slice(1), { stdio: [args.interactive || args.tty ? 'inherit' : 'ignore', 'inherit', 'inherit'], env });
      // Listen before anything else is awaited: a command that ends while we wait for the cgroup join (`exit 42`
      // takes a millisecond) would otherwise emit 'exit' to nobody, and nsbox would exit 0 when its loop drained.
      exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
        child!.on('error', (e) => reject(new NsboxError(`cannot run ${e.message}`)));
        child!.on('exit', (code, signal) => resolve({ code, signal }));
      });
      exited.catch(() => undefined);
      await waitUntilJoined(child.pid, record.cgroup?.dirs ?? []);
    } finally {
      lock.release();
    }
    return exitCodeOf(await exited);
  },
};

/**
 * Image boxes: host tools get a fixed environment, the command the box's (applied inside, after the drop).
 * Host-root boxes are not sandboxes: nsenter and the command inherit nsbox's environment, plus the box's.
 */
function execArgvAndEnv(record: BoxRecord, facts: InitFacts, request: Parameters<typeof buildHostExecArgv>[1], extraEnv: Record<string, string>, tools: Parameters<typeof buildImageExecArgv>[1]['tools']): [string[], NodeJS.ProcessEnv] {
  if (record.toolbox) {
    const bad = checkCommandName(request.command);
    if (bad) throw new NsboxError(bad);
    const argv = buildImageExecArgv(facts, { ...request, toolbox: record.toolbox, env: { ...record.process.env, ...extraEnv }, tools });
    return [argv, { ...HOST_ENV }];
  }
  if (!record.process.inheritEnv) throw new NsboxError(`cannot exec in box ${record.name ?? record.id.slice(0, 12)}: it was started by an older nsbox (no toolbox recorded); restart it`);
  return [buildHostExecArgv(facts, request), { ...process.env, ...record.process.env, ...extraEnv }];
}

/** Until /proc/<pid>/cgroup names the box's cgroup (or the process is gone), at most 2 s. */
async function waitUntilJoined(pid: number | undefined, dirs: readonly string[]): Promise<void> {
  if (pid === undefined || dirs.length === 0) return;
  const leaf = dirs[0]!.split('/').pop()!;
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    try {
      if (readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`/${leaf}\n`)) return;
    } catch {
      return;
    }
    await sleep(1);
  }
}
