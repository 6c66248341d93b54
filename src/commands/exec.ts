// `nsbox exec [-d] [-it] [-e K=V] [-w DIR] [-u USER] BOX CMD...`: run a command inside a running box.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Argv, Options } from 'yargs';
import type { NsboxCommand } from './command.js';
import { NsboxError, flagError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { selfJoinFile } from '../cgroup/self-join.js';
import { openBox, openStateFromArgs, refreshBox } from '../lifecycle/open-box.js';
import { checkInitNamespaces } from '../lifecycle/init-namespaces-check.js';
import { buildHostExecArgv, buildImageExecArgv, type InitFacts } from '../lifecycle/exec-argv.js';
import { EXEC_STARTED } from '../lifecycle/exec-check.js';
import { closeInheritedFds } from '../exec/close-fds.js';
import { HOST_ENV, HOST_PATH } from '../host/host-env.js';
import { checkCommandName } from '../rootfs/final-exec.js';
import { isFrozen } from '../lifecycle/freeze-box.js';
import { refusePipedTerminal } from '../tty/piped-terminal.js';
import type { BoxRecord } from '../state/record.js';
import { acquireLock } from '../state/lock.js';
import { buildEnv } from '../spec/env.js';
import { readLiveTable, resolveUserFromTables } from '../rootfs/image-user.js';
import { exitCodeOf } from '../exec/executor.js';
import { findTool, requireTool } from '../host/tools.js';
import { splitCommandLine } from '../spec/command-line.js';
import { parseFlags } from '../spec/parse-flags.js';
import { relayArgv } from '../tty/relay-program.js';
import { relayTitle } from '../tty/tty-reaper-script.js';
import { relayTerminalPipes, stdioAvoidingTerminals, terminalFds, type TerminalRelay } from '../tty/terminal-pipes.js';
import { findCommandPid } from '../exec/signals.js';
import { explainExec } from '../lifecycle/explain-exec.js';

const EXEC_OPTIONS: Readonly<Record<string, Options>> = {
  detach: { alias: 'd', type: 'boolean', describe: 'in the background: nsbox returns once the command is found and started; its output goes nowhere (as docker exec -d)' },
  interactive: { alias: 'i', type: 'boolean', describe: 'keep stdin open (a pipe without -t)' },
  tty: { alias: 't', type: 'boolean', describe: 'a new pty of the box\'s own for the command, relayed to your terminal (TERM=xterm unless given)' },
  env: { alias: 'e', type: 'string', array: true, describe: 'KEY=VAL to set' },
  workdir: { alias: 'w', type: 'string', describe: 'working directory inside the box' },
  user: { alias: 'u', type: 'string', describe: 'UID[:GID] or NAME[:GROUP] to run as, from the box\'s own /etc/passwd and /etc/group (default: the box\'s user)' },
  explain: { type: 'boolean', describe: 'print the exec as a sh script on stderr (the exact argv nsbox spawns), then run it' },
  'dry-run': { type: 'boolean', describe: 'print the exec as a sh script on stdout and stop (the box must be running: the argv depends on its PID 1)' },
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
  const parsed = parseFlags(flags, EXEC_OPTIONS, 'exec') as Partial<ExecArgs>;
  const [box, ...command] = rest;
  if (box === undefined) throw new NsboxError('missing box: nsbox exec [flags] BOX CMD [ARG...]');
  if (command[0] === '--') command.shift();
  return [{ detach: false, interactive: false, tty: false, explain: false, 'dry-run': false, ...parsed, box } as ExecArgs, command];
}

interface ExecArgs {
  box: string;
  detach: boolean;
  interactive: boolean;
  tty: boolean;
  env: string[] | undefined;
  workdir: string | undefined;
  user: string | undefined;
  explain: boolean;
  'dry-run': boolean;
  state: string | undefined;
}

function readStatusField(pid: number | 'self', key: string): string {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${key}:`));
  return line?.slice(key.length + 1).trim() ?? '';
}

export const command: NsboxCommand<ExecArgs> = {
  usage: 'exec [box] [cmd..]',
  parsesOwnWords: (words) => !splitCommandLine(words, EXEC_OPTIONS)[0].some((w) => w === '--help' || w === '-h'),
  describe: 'run a command in a running box (its namespaces, cgroup, root, user and capabilities)',
  // Not strict: the command's own flags (`ls -la`) must pass yargs; the handler re-splits the raw words below.
  builder: (y: Argv) => y.strict(false).positional('box', { type: 'string' }).positional('cmd', { type: 'string', array: true }).options(EXEC_OPTIONS) as unknown as Argv<ExecArgs>,
  async handler(yargsArgs) {
    void yargsArgs;
    const [args, commandArgv] = splitExecWords(rawWordsAfter('exec'));
    if (commandArgv.length === 0 || commandArgv[0] === '') throw new NsboxError('missing command: nsbox exec BOX CMD [ARG...]');
    // Nobody would read a detached command's terminal (-i is let through: its stdin is /dev/null, as Docker's without an attach).
    if (args.detach && args.tty) throw new NsboxError('cannot exec -d with -t: a detached command\'s stdio is /dev/null');
    refusePipedTerminal({ tty: args.tty, openStdin: args.interactive }, 'exec -it');
    if (args.workdir !== undefined && !args.workdir.startsWith('/')) throw flagError('--workdir', args.workdir, 'must be an absolute path');
    const extraEnv = buildEnv(args.env ?? [], [], process.env);
    const tool = (name: string): string => requireTool(name, (n) => findTool(n, HOST_PATH));
    const tools = { nsenter: realpathSync(tool('nsenter')), unshare: tool('unshare'), mount: tool('mount'), sh: tool('sh') };
    if (args.tty) tool('perl');
    // Only 0-2 go into the box: an inherited fd of a host file or directory would be a way out (CVE-2024-21626).
    closeInheritedFds();
    const box = openBox(openStateFromArgs({ state: args.state }), String(args.box));

    // Hold the box's lock until the new process is inside the box's cgroup: an rm racing us then kills it too.
    const lock = await acquireLock(box.paths.lock, `box ${args.box}`);
    let child: ChildProcess | undefined;
    let relay: TerminalRelay | undefined;
    let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
    let started: Promise<boolean> | undefined;
    try {
      const { record, now } = refreshBox(box);
      if (now.status !== 'running' || !record.init) throw new NsboxError(`cannot exec in box ${args.box}: it is ${now.status === 'running' ? 'starting' : now.status}`);
      if (isFrozen(record)) throw new NsboxError(`cannot exec in box ${args.box}: it is paused`, { hint: `nsbox unpause ${args.box}` });
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
        label: record.name ?? record.id.slice(0, 12),
        workdir: args.workdir ?? record.process.workdir,
        runAs: runAsFlag ?? record.process.runAs,
        cgroupJoinFiles: (record.cgroup?.dirs ?? []).map((d) => selfJoinFile(d, record.cgroup!.version)),
        ctty: args.tty,
        rlimits: record.process.rlimits,
        // As Docker's exec: the command's groups (its user's, --group-add) without -u; -u USER's own from the box's /etc/group.
        groups: user ? user.groups : record.process.groups,
        detached: args.detach,
      };
      // Docker's exec -u: HOME is the user's (from the box's passwd) unless -e sets it.
      const [execArgv, env, added] = execArgvAndEnv(record, facts, request, user ? { HOME: user.home, ...extraEnv } : extraEnv, tools, args.tty);
      // -t: a new pty from the box's own devpts (through PID 1's root), relayed from here, outside the box; the
      // command becomes the leader of a session of its own with the pty as its controlling terminal (setsid --ctty
      // inside the box's pid namespace), like docker exec -t.
      const argv = args.tty ? relayArgv(relayTitle(record.id), `/proc/${record.init.pid}/root/dev/pts/ptmx`, { stdin: args.interactive, ctty: false }, execArgv) : execArgv;
      if (args.explain || args['dry-run']) {
        const script = explainExec({ label: request.label, argv, env, fixedEnv: Boolean(record.toolbox), added, tty: args.tty, detach: args.detach });
        if (args['dry-run']) {
          process.stdout.write(script);
          return 0;
        }
        process.stderr.write(script);
      }
      const terminals = args.tty || args.detach ? [] : terminalFds();
      // Without -t the command gets a session of its own (detached) and never the caller's terminal.
      // -d: stderr is a pipe only until the check says the command was found (waitUntilStarted).
      const stdio = args.detach ? (['ignore', 'ignore', 'pipe'] as const) : args.tty ? 'inherit' : stdioAvoidingTerminals(terminals, args.interactive ? 'inherit' : 'ignore');
      child = spawnRetryingBusy(() => spawn(argv[0]!, argv.slice(1), { stdio: stdio as never, env, detached: !args.tty }));
      if (terminals.length > 0) relay = relayTerminalPipes(child, terminals.filter((fd) => fd !== 0 || args.interactive));
      // Read at once: node discards what nobody reads of a child that exited (a missing command, during the wait below).
      if (args.detach) started = waitUntilStarted(child);
      // Listen before anything else is awaited: a command that ends during the cgroup wait would emit 'exit' to
      // nobody, and nsbox would exit 0 once its loop drained.
      const spawned = child;
      exited = new Promise((resolve, reject) => {
        spawned.on('error', (e) => reject(new NsboxError(`cannot run ${e.message}`)));
        spawned.on('exit', (code, signal) => resolve({ code, signal }));
      });
      exited.catch(() => undefined);
      await waitUntilJoined(args.tty ? () => findCommandPid(child!.pid!, true) : () => child!.pid, record.cgroup?.dirs ?? []);
    } finally {
      lock.release();
    }
    const running = child!;
    if (started) return (await started) ? (running.unref(), 0) : exitCodeOf(await exited!);
    // Its own session hears nothing from the caller's terminal: pass nsbox's signals to its whole process group.
    const forward = (signal: NodeJS.Signals) => {
      try {
        if (running.pid !== undefined) process.kill(args.tty ? running.pid : -running.pid, signal);
      } catch {
        // gone already
      }
    };
    const signals = args.tty ? [] : (['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const);
    for (const signal of signals) process.on(signal, forward);
    try {
      const status = await exited!;
      await relay?.finish();
      return exitCodeOf(status);
    } finally {
      for (const signal of signals) process.off(signal, forward);
    }
  },
};

/**
 * Image boxes: host tools get a fixed environment, the command the box's (applied inside, after the drop).
 * Host-root boxes are not sandboxes: nsenter and the command inherit nsbox's environment, plus the box's.
 * Returns the argv, its environment, and what that adds to nsbox's own (host-root boxes; --explain shows it).
 */
function execArgvAndEnv(record: BoxRecord, facts: InitFacts, request: Parameters<typeof buildHostExecArgv>[1], extraEnv: Record<string, string>, tools: Parameters<typeof buildImageExecArgv>[1]['tools'], tty: boolean): [string[], NodeJS.ProcessEnv, Record<string, string>] {
  // -t: TERM=xterm as docker exec -t sets it, unless -e gives one (a host-root box keeps the one it inherits).
  if (record.toolbox) {
    const bad = checkCommandName(request.command);
    if (bad) throw new NsboxError(bad);
    checkInitNamespaces(facts.pid, record.namespaces.mount, `exec in box ${record.name ?? record.id.slice(0, 12)}`);
    if (request.detached && !record.toolbox.shell) {
      throw new NsboxError(`cannot exec -d in box ${record.name ?? record.id.slice(0, 12)}: it was started by an older nsbox (no sh in its toolbox); restart it`);
    }
    if (tty && !record.toolbox.files.some((f) => f.name === 'setsid')) {
      throw new NsboxError(`cannot exec -t in box ${record.name ?? record.id.slice(0, 12)}: it was started by an older nsbox (no setsid in its toolbox); restart it`);
    }
    const argv = buildImageExecArgv(facts, { ...request, toolbox: record.toolbox, env: { ...record.process.env, ...(tty ? { TERM: 'xterm' } : {}), ...extraEnv }, tools });
    return [argv, { ...HOST_ENV }, {}];
  }
  if (!record.process.inheritEnv) throw new NsboxError(`cannot exec in box ${record.name ?? record.id.slice(0, 12)}: it was started by an older nsbox (no toolbox recorded); restart it`);
  const term: Record<string, string> = tty && process.env.TERM === undefined && record.process.env.TERM === undefined ? { TERM: 'xterm' } : {};
  const added = { ...record.process.env, ...term, ...extraEnv };
  return [buildHostExecArgv(facts, request), { ...process.env, ...added }, added];
}

/**
 * exec -d: true once the check in the box writes EXEC_STARTED (the command was found and is being exec'd; nsbox leaves
 * it running), false when stderr ends first (the chain failed: a missing command, with the check's message).
 * Whatever else comes on stderr before that (nsenter's, setpriv's errors) is passed on.
 */
async function waitUntilStarted(child: ChildProcess): Promise<boolean> {
  const stderr = child.stderr!;
  stderr.setEncoding('utf8');
  let pending = '';
  const started = await new Promise<boolean>((resolve) => {
    stderr.on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line === EXEC_STARTED) return resolve(true);
        process.stderr.write(`${line}\n`);
      }
    });
    stderr.on('end', () => {
      if (pending !== '') process.stderr.write(pending);
      resolve(false);
    });
  });
  if (started) stderr.destroy();
  return started;
}

/** Until /proc/<pid>/cgroup names the box's cgroup (or the process is gone), at most 2 s; `pid()` may not exist yet
 * (the relay's child). */
async function waitUntilJoined(processId: () => number | undefined, dirs: readonly string[]): Promise<void> {
  if (dirs.length === 0) return;
  const leaf = dirs[0]!.split('/').pop()!;
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    const pid = processId();
    if (pid === undefined) {
      await sleep(1);
      continue;
    }
    try {
      if (readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`/${leaf}\n`)) return;
    } catch {
      return;
    }
    await sleep(1);
  }
}

/**
 * spawn, again after a short pause when the kernel says ETXTBSY: execve(2) refuses a binary while any process holds
 * it open for writing, which another process's fork can do for an instant (a file being written elsewhere on the
 * host). Node throws that one synchronously. Seen rarely on a busy host; a retry is how other runtimes cope.
 */
function spawnRetryingBusy(start: () => ChildProcess): ChildProcess {
  for (let attempt = 1; ; attempt++) {
    try {
      return start();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ETXTBSY' || attempt >= 5) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 * attempt);
    }
  }
}
