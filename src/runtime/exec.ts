// `exec`: one more process in a running container, built like its first: the container's cgroups, nsenter into its
// namespaces and root, then the toolbox's setpriv/seccomp/env chain. Detached (conmon, the containerd shim): the
// process is forked by a shell still in the host's pid namespace, which exits at once, so the process is
// reparented to the caller (a child subreaper) and its exit status reaches it. Foreground (CRI-O): that shell waits
// and nsbox-runtime exits with the process's status.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { NsboxError } from '../errors.js';
import { closeInheritedFds } from '../exec/close-fds.js';
import { HOST_ENV, HOST_PATH } from '../host/host-env.js';
import { consoleSocketArgv, parsePtyNumber } from '../oci/console-socket.js';
import { namespaceInfo } from '../host/namespaces.js';
import { quoteWord } from '../plan/quote.js';
import { toolboxArgv } from '../rootfs/toolbox.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { processExecArgv } from './init-script.js';
import { parseConfigText } from '../oci/parse-bundle.js';
import { parseProcess } from '../oci/parse-process.js';
import type { OciProcess } from '../oci/container.js';
import { readState, statusOf } from './state.js';

export interface ExecOptions {
  readonly processFile: string | undefined;
  readonly detach: boolean;
  readonly pidFile: string | undefined;
  readonly tty: boolean;
  readonly consoleSocket: string | undefined;
  readonly cwd: string | undefined;
  readonly env: readonly string[];
  readonly user: string | undefined;
  readonly args: readonly string[];
}

/** Resolves to the exit code nsbox-runtime exits with (0 when detached). */
export async function execInContainer(root: string, id: string, o: ExecOptions): Promise<number> {
  const state = readState(root, id);
  const status = statusOf(root, state);
  if (status !== 'running') throw new NsboxError(`cannot exec in a ${status} container`);
  const proc = execProcess(state.process, o);
  const tty = proc.terminal || o.tty;
  if (tty && o.consoleSocket === undefined) throw new NsboxError('cannot exec with a terminal without --console-socket (nsbox-runtime has no terminal relay of its own yet)');
  // A pty from the container's own devpts (reached from the host through the init's root), its master sent now.
  const pty = tty ? sendConsole(`/proc/${state.init.pid}/root/dev/pts/ptmx`, o.consoleSocket!, proc.consoleSize) : undefined;
  if (proc.args.length === 0) throw new NsboxError('cannot exec: no command given (process.args is empty)');
  const final = processExecArgv(proc, state.toolbox, state.seccomp, state.apparmor);
  const nsFlags = state.namespaces.map((n) => namespaceInfo(n).flag);
  const outer = [
    'exec 4>&2 2>&3',
    `for f in ${state.cgroup.dirs.map((d) => quoteWord(join(d.dir, 'cgroup.procs'))).join(' ')}; do echo $$ > "$f" || { echo "failed: join the cgroup $f" >&3; exit 125; }; done`,
    'fork=$1; shift',
    `exec nsenter --target ${state.init.pid} ${nsFlags.join(' ')} --root --no-fork -- ${toolboxArgv(state.toolbox, state.toolbox.shell ?? 'sh').map(quoteWord).join(' ')} -c "$fork" nsbox-exec "$@"`,
  ].join('\n');
  const fork = [
    'exec 2>&4 4>&-',
    'cd "$1" 2>&3 || { echo "failed: cd $1" >&3; exit 125; }',
    'shift',
    'exec 4<&0',
    pty === undefined ? '"$@" <&4 4<&- 3>&- &' : `"$@" 0<>/dev/pts/${pty} 1>&0 2>&0 4<&- 3>&- &`,
    'echo "pid $!" >&3',
    'exec 3>&- 4<&-',
    ...(o.detach ? ['exit 0'] : ['wait $!', 'exit $?']),
  ].join('\n');
  closeInheritedFds();
  const ctty = pty === undefined ? [] : [...toolboxArgv(state.toolbox, 'setsid'), '--ctty'];
  const argv = ['env', '-i', `PATH=${HOST_PATH}`, '/bin/sh', '-c', outer, 'nsbox-exec', fork, proc.cwd, ...ctty, ...final, ...proc.args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(signal ? 128 + 9 : (code ?? 125))));
  const text = await new Promise<string>((resolve, reject) => {
    let t = '';
    const pipe = child.stdio[3] as Readable;
    child.on('error', (e) => reject(new NsboxError(`cannot run env: ${e.message}`)));
    pipe.setEncoding('utf8');
    pipe.on('data', (d: string) => (t += d));
    pipe.on('error', () => {});
    pipe.on('close', () => resolve(t));
  });
  const pidLine = text.split('\n').find((l) => /^pid \d+$/.test(l));
  if (!pidLine) {
    const code = await exited;
    throw new NsboxError(`cannot exec in the container: ${text.split('\n').filter(Boolean).join('; ') || `exit status ${code}`}`);
  }
  if (o.pidFile) writeFileAtomic(o.pidFile, pidLine.slice(4));
  if (o.detach) return 0;
  return exited;
}

/** Allocate the pty, send its master to the socket; returns the slave's number inside the container. */
function sendConsole(ptmx: string, socket: string, size: OciProcess['consoleSize']): number {
  const argv = consoleSocketArgv(ptmx, socket, size);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: HOST_ENV });
  if (r.status !== 0) throw new NsboxError(`cannot set up the terminal: ${(r.stderr || r.error?.message || `exit status ${r.status}`).trim()}`);
  return parsePtyNumber(r.stdout);
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
