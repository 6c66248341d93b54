// `exec`: one more process in a running container, built like its first: the container's cgroups, nsenter into its
// namespaces and root, then the toolbox's setpriv/seccomp/env chain. Detached (conmon, the containerd shim): the
// process is forked by a shell still in the host's pid namespace, which exits at once, so the process is
// reparented to the caller (a child subreaper) and its exit status reaches it. Foreground (CRI-O): that shell waits
// and nsbox-runtime exits with the process's status, passing on the signals it gets, as runc does. A terminal
// without --console-socket (CRI-O's exec -t): nsbox's own relay (src/tty/relay-program.ts) opens a pty in the
// container's devpts, runs the exec on its slave and copies between it and nsbox-runtime's stdio (raw mode, window
// size at start and on SIGWINCH, a hang-up of the caller's terminal hangs up the container's pty).

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { Readable } from 'node:stream';
import { NsboxError } from '../errors.js';
import { closeInheritedFds } from '../exec/close-fds.js';
import { withPassedFds, type StdioEntry } from '../exec/passed-fds.js';
import { EXEC_DIRECT_FDS, checkPreservedFds, execPassedFds, moveFdsArgv, toolboxHasPerl, type PassedFds } from './preserve-fds.js';
import { HOST_ENV, HOST_PATH } from '../host/host-env.js';
import { consoleSocketArgv, parsePtyNumber } from '../oci/console-socket.js';
import type { NamespaceName } from '../host/namespaces.js';
import { mapToHost } from '../spec/id-map.js';
import { quoteWord } from '../plan/quote.js';
import { toolboxArgv } from '../rootfs/toolbox.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { processExecArgv } from './init-script.js';
import { execLimitLines } from './process-limits.js';
import { parseConfigText } from '../oci/parse-bundle.js';
import { parseProcess } from '../oci/parse-process.js';
import type { OciProcess } from '../oci/container.js';
import { readState, statusOf } from './state.js';
import { listCgroupPids } from './cgroups.js';
import { selfJoinFile } from '../cgroup/self-join.js';
import { relayArgv } from '../tty/relay-program.js';
import { relayTitle } from '../tty/tty-reaper-script.js';
import { identify, isAlive, type ProcessIdentity } from '../state/proc-identity.js';
import { runsAsRoot } from '../host/runs-as-root.js';
import { holdExecNamespaces } from './exec-namespaces.js';

export interface ExecOptions {
  readonly processFile: string | undefined;
  readonly detach: boolean;
  readonly pidFile: string | undefined;
  readonly tty: boolean;
  readonly consoleSocket: string | undefined;
  readonly cwd: string | undefined;
  readonly env: readonly string[];
  readonly user: string | undefined;
  /** --preserve-fds: the runtime's fds 3 .. 3+N-1 become the process's (preserve-fds.ts). */
  readonly preserveFds?: number;
  /** bin/nsbox-runtime's list of the caller's open fds 3-9 (checkPreservedFds). */
  readonly callerFds?: string;
  readonly args: readonly string[];
}

/** Resolves to the exit code nsbox-runtime exits with (0 when detached). */
export async function execInContainer(root: string, id: string, o: ExecOptions): Promise<number> {
  const state = readState(root, id);
  const status = statusOf(root, state);
  if (status !== 'running') throw new NsboxError(`cannot exec in a ${status} container`);
  const proc = execProcess(state.process, o);
  const tty = proc.terminal || o.tty;
  // runc's rule: a detached process cannot keep a terminal nobody holds.
  if (tty && o.detach && o.consoleSocket === undefined) throw new NsboxError('cannot exec with a terminal detached without --console-socket');
  const relay = tty && o.consoleSocket === undefined;
  if (proc.args.length === 0) throw new NsboxError('cannot exec: no command given (process.args is empty)');
  const preserved = execPassedFds(o.preserveFds ?? 0);
  if (preserved) {
    checkPreservedFds(preserved.count, o.callerFds);
    if (relay) throw new NsboxError('cannot honour --preserve-fds with a terminal relayed by nsbox-runtime: give --console-socket');
    if (preserved.at !== 3 && !toolboxHasPerl(state.toolbox)) throw new NsboxError(`cannot honour --preserve-fds ${preserved.count}: more than ${EXEC_DIRECT_FDS} fds need perl in the container's toolbox to move them (it is there when the container was created with --preserve-fds or a seccomp filter loaded by perl)`);
  }
  // --console-socket: a pty from the container's own devpts (reached from the host through the init's root), its
  // master sent now. The relay opens its own pty there and gives the exec its slave as stdio.
  const ptmx = `/proc/${state.init.pid}/root/dev/pts/ptmx`;
  const pty = tty && !relay ? sendConsole(ptmx, o.consoleSocket!, proc.consoleSize, ptyOwner(state.init.pid, state.namespaces, proc)) : undefined;
  // --preserve-fds: up to EXEC_DIRECT_FDS at their own numbers 3.. from the start (the shells keep to fds 8 and 9);
  // more travel at 10.. and the toolbox's perl moves them to 3.. after the drop.
  // nsenter without --user keeps nsbox-runtime's own ids: run by root, a process user 0:0 gets one setpriv.
  const final = processExecArgv(proc, state.toolbox, state.seccomp, state.apparmor, {
    ...(preserved && preserved.at !== 3 ? { afterDrop: moveFdsArgv(state.toolbox, preserved) } : {}),
    startsAsRoot: !state.namespaces.includes('user') && runsAsRoot(),
    commandFollows: true,
  });
  const fork = [
    'exec 2>&8 8>&-',
    'cd "$1" 2>&9 || { echo "failed: cd $1" >&9; exit 125; }',
    'shift',
    'exec 8<&0',
    // Detached: the process waits until nsbox-runtime has exited (its end of fd 9 closes then), so it cannot end
    // before the caller has read the pid file: containerd 1.6's shim drops an exit whose pid it does not know yet
    // (and `ctr task exec` then waits forever).
    ...(o.detach
      ? [pty === undefined ? '{ read -r _ <&9; exec "$@" 9>&-; } <&8 8<&- &' : `{ read -r _ <&9; exec "$@" 9>&-; } 0<>/dev/pts/${pty} 1>&0 2>&0 8<&- &`]
      : [pty === undefined ? '"$@" <&8 8<&- 9>&- &' : `"$@" 0<>/dev/pts/${pty} 1>&0 2>&0 8<&- 9>&- &`]),
    'echo "pid $!" >&9',
    'exec 9>&- 8<&-',
    ...(o.detach ? ['exit 0'] : ['wait $!', 'exit $?']),
  ].join('\n');
  closeInheritedFds(preserved ? Array.from({ length: preserved.count }, (_, i) => 3 + i) : []);
  // The mount namespace create made (the init may have chrooted or made namespaces of its own), held from here.
  const namespaces = holdExecNamespaces(state.init.pid, state.namespaces);
  // The shells' own fds are 9 (nsbox-runtime's messages) and 8 (the caller's stderr, then stdin): out of the way of
  // preserved fds 3..7, and still within the fds 0-9 sh can name. No --root: the mount namespace's root is the
  // container's (the init's chroot has no say).
  const outer = [
    'exec 8>&2 2>&9',
    `for f in ${state.cgroup.dirs.map((d) => quoteWord(selfJoinFile(d.dir, state.cgroup.version))).join(' ')}; do echo 0 > "$f" || { echo "failed: join the cgroup $f" >&9; exit 125; }; done`,
    ...execLimitLines(proc, 9),
    'fork=$1; shift',
    `exec nsenter --target ${state.init.pid} ${namespaces.flags.join(' ')} --no-fork -- ${toolboxArgv(state.toolbox, state.toolbox.shell ?? 'sh').map(quoteWord).join(' ')} -c "$fork" nsbox-exec "$@"`,
  ].join('\n');
  // A terminal: the process leads a session of its own with the pty as its controlling terminal (setsid --ctty in the
  // container's pid namespace, as the container's own shell would see it).
  const ctty = tty ? [...toolboxArgv(state.toolbox, 'setsid'), '--ctty'] : [];
  // The host's fixed environment only (conmon's _OCI_* never reaches the container), given by spawn: no `env -i` exec.
  const execArgv = ['/bin/sh', '-c', outer, 'nsbox-exec', fork, proc.cwd, ...ctty, ...final, ...proc.args];
  const argv = relay ? relayArgv(relayTitle(id), ptmx, { stdin: true, ctty: false }, execArgv) : execArgv;
  // In the foreground, nsbox-runtime's signals are the process's from the start: held until its pid is known.
  const signals = o.detach ? undefined : holdSignals();
  try {
    let child;
    try {
      child = spawn(argv[0]!, argv.slice(1), { stdio: execStdio(preserved), env: { PATH: HOST_PATH } });
    } finally {
      // The process has its copies; the runtime keeps none (as after a create's launch).
      if (preserved) for (let fd = 3; fd < 3 + preserved.count; fd++) closeSync(fd);
    }
    const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(signal ? 128 + 9 : (code ?? 125))));
    // Read fd 9 until the "pid N" line (the relay keeps its copy of the pipe open while it runs) or its end.
    const text = await new Promise<string>((resolve, reject) => {
      let t = '';
      const pipe = (child.stdio as unknown as Readable[])[MESSAGES_FD]!;
      child.on('error', (e) => reject(new NsboxError(`cannot run ${argv[0]}: ${e.message}`)));
      pipe.setEncoding('utf8');
      pipe.on('data', (d: string) => {
        t += d;
        if (/^pid \d+$/m.test(t)) {
          // Detached, the process waits for this end to close: it stays open (not holding the event loop) until exit.
          if (o.detach) {
            pipe.pause();
            (pipe as unknown as { unref(): void }).unref();
          } else pipe.destroy();
          resolve(t);
        }
      });
      pipe.on('error', () => {});
      pipe.on('close', () => resolve(t));
    });
    const pidLine = text.split('\n').find((l) => /^pid \d+$/.test(l));
    if (!pidLine) {
      const code = await exited;
      throw new NsboxError(`cannot exec in the container: ${text.split('\n').filter(Boolean).join('; ') || `exit status ${code}`}`);
    }
    if (o.pidFile) writeFileAtomic(o.pidFile, pidLine.slice(4));
    if (!signals) return 0;
    return await waitInForeground(identify(Number(pidLine.slice(4))), signals, exited, state.cgroup.dirs.map((d) => d.dir));
  } finally {
    namespaces.close();
    signals?.release();
  }
}

/** The exec shells' fd for nsbox-runtime's messages ("pid N", set-up failures). */
const MESSAGES_FD = 9;

/**
 * spawn's stdio for the exec: the caller's stdio, the preserved fds at their places (3.. directly, or 10.. for the
 * mover), the messages pipe at MESSAGES_FD; every other fd closed.
 */
export function execStdio(preserved: PassedFds | undefined): StdioEntry[] {
  const stdio: StdioEntry[] = ['inherit', 'inherit', 'inherit'];
  const direct = preserved?.at === 3 ? preserved.count : 0;
  for (let fd = 3; fd < MESSAGES_FD; fd++) stdio.push(fd < 3 + direct ? fd : 'ignore');
  stdio.push('pipe');
  return withPassedFds(stdio, preserved && preserved.at !== 3 ? preserved : undefined);
}

/** The signals a foreground exec passes on (SIGWINCH is the relay's: it resizes the pty, whose kernel tells the process). */
const FORWARDED = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2'] as const;

interface HeldSignals {
  /** The process is known: pass on what was held, and from now on every signal. */
  aim(target: ProcessIdentity | undefined): void;
  send(signal: NodeJS.Signals): void;
  release(): void;
}

/** Take nsbox-runtime's FORWARDED signals (Node's default would end it and orphan the exec) and pass them on. */
function holdSignals(): HeldSignals {
  const held: NodeJS.Signals[] = [];
  let aimed = false;
  let target: ProcessIdentity | undefined;
  const send = (signal: NodeJS.Signals) => {
    if (!isAlive(target)) return; // never a reused pid
    try {
      process.kill(target!.pid, signal);
    } catch {
      // gone meanwhile
    }
  };
  const handler = (signal: NodeJS.Signals) => (aimed ? send(signal) : void held.push(signal));
  for (const signal of FORWARDED) process.on(signal, handler);
  return {
    aim(who) {
      target = who;
      aimed = true;
      for (const signal of held.splice(0)) send(signal);
    },
    send,
    release: () => {
      for (const signal of FORWARDED) process.off(signal, handler);
    },
  };
}

/**
 * Until the exec ends, with nsbox-runtime's signals passed on. If the shell or relay between them ended first (the
 * relay gives up on a process that outlived a hang-up by 5 s), the process is killed; after a hang-up of the caller's
 * terminal, so is every process of its session (it led one: setsid --ctty), as a terminal's hang-up would have ended
 * them had they not ignored it. An exec in the foreground leaves nothing behind.
 */
async function waitInForeground(target: ProcessIdentity | undefined, signals: HeldSignals, exited: Promise<number>, cgroupDirs: readonly string[]): Promise<number> {
  const terminals = [0, 1, 2].filter((fd) => isatty(fd));
  signals.aim(target);
  const code = await exited;
  const hungUp = terminals.filter((fd) => !isatty(fd));
  if (isAlive(target)) signals.send('SIGKILL');
  if (hungUp.length > 0 && target) killSession(target.pid, cgroupDirs);
  // Node restores a terminal's modes at exit and aborts when the terminal is gone (EIO): let go of it first.
  for (const fd of hungUp) closeSync(fd);
  return code;
}

/** SIGKILL every process of the container's cgroups in session `sid` (field 6 of /proc/<pid>/stat, host pids). */
function killSession(sid: number, cgroupDirs: readonly string[]): void {
  for (const pid of listCgroupPids(cgroupDirs)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]) === sid) process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** Allocate the pty, send its master to the socket; returns the slave's number inside the container. */
function sendConsole(ptmx: string, socket: string, size: OciProcess['consoleSize'], owner?: { uid: number; gid: number }): number {
  const argv = consoleSocketArgv(ptmx, socket, size, process.arch, owner);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: HOST_ENV });
  if (r.status !== 0) throw new NsboxError(`cannot set up the terminal: ${(r.stderr || r.error?.message || `exit status ${r.status}`).trim()}`);
  return parsePtyNumber(r.stdout);
}

/** In a user namespace: the host ids that own the exec's pty slave (the process's uid, the tty group 5 as runc). */
function ptyOwner(init: number, namespaces: readonly NamespaceName[], proc: OciProcess): { uid: number; gid: number } | undefined {
  if (!namespaces.includes('user')) return undefined;
  const map = (file: string) => readFileSync(`/proc/${init}/${file}`, 'utf8').trim().split('\n').map((l) => {
    const [inside, outside, count] = l.trim().split(/\s+/).map(Number) as [number, number, number];
    return { inside, outside, count };
  });
  const uid = mapToHost(map('uid_map'), proc.uid);
  const gids = map('gid_map');
  const gid = mapToHost(gids, 5) ?? mapToHost(gids, proc.gid);
  if (uid === undefined || gid === undefined) throw new NsboxError(`cannot set up the terminal: uid ${proc.uid} is not mapped in the container's user namespace`);
  return { uid, gid };
}

/** The process to run: --process FILE, or the container's own with args, --cwd, --env and --user applied. */
function execProcess(base: OciProcess, o: ExecOptions): OciProcess {
  if (o.processFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.processFile, 'utf8');
    } catch (error) {
      throw new NsboxError(`cannot read --process ${o.processFile}: ${(error as Error).message}`);
    }
    return parseProcess(parseConfigText(text, o.processFile), 'process');
  }
  let uid = base.uid;
  let gid = base.gid;
  if (o.user !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(o.user);
    if (!m) throw new NsboxError(`invalid --user ${JSON.stringify(o.user)}: uid[:gid] (numbers)`);
    uid = Number(m[1]);
    gid = m[2] === undefined ? 0 : Number(m[2]);
  }
  return { ...base, args: o.args, cwd: o.cwd ?? base.cwd, env: [...base.env, ...o.env], uid, gid, terminal: o.tty };
}
