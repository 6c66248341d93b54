// The Runner seam: the only code that starts processes or writes to the host for a plan. Tests swap in a recorder.
//
// The run path uses node:child_process rather than execa: importing execa costs more start-up time than a whole
// box launch, and the box needs an extra fd (the gate socket) with inherited stdio, which spawn gives directly.

import { spawn } from 'node:child_process';
// File steps are sync: a plan's dozen small writes and mkdirs take microseconds each; awaited, each is a thread-pool round trip.
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFile, writeFileSync } from 'node:fs';
import type { Duplex, Readable } from 'node:stream';
import { NsboxError } from '../errors.js';
import { closeInheritedFds } from './close-fds.js';
import { withPassedFds } from './passed-fds.js';
import { mountsBelow } from './mounts-below.js';
import { toolMessage } from './tool-message.js';
import { quoteWord } from '../plan/quote.js';
import { launchEnvironment, peelLaunchPrefix, withToolPaths } from './launch-prefix.js';
import { HOST_ENV } from '../host/host-env.js';
import { findTool } from '../host/tools.js';
import { removeTree, removeTreeInBackground } from '../host/remove-tree.js';
import { relayTerminalPipes, stdioAvoidingTerminals, terminalFds } from '../tty/terminal-pipes.js';
import { readNamespaceInodes, type NamespaceInodes } from '../ns/inodes.js';
import { GATE_READY, type DetachFiles, type LaunchStep } from '../plan/types.js';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** "exit status 3" or "killed by SIGKILL", for messages. */
export function describeExit(status: ExitStatus): string {
  return status.signal ? `killed by ${status.signal}` : `exit status ${status.code}`;
}

export interface LaunchedProcess {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  hasExited(): boolean;
  /**
   * Gated boxes: let the box go on (writes a line to its fd 3). `close`: once the box has said GATE_READY there (it
   * says nothing after it), nsbox's end is closed, while the box runs, rather than read to its end after the box has
   * exited (~1 ms of node's stream code between the box's exit and nsbox's own).
   */
  release(close?: boolean): void;
  /** What the box wrote on fd 3 so far (set-up failures of its init script). */
  messages(): string;
  /**
   * Detached boxes: wait until every process of the box has closed the gate (the command started) or the box
   * exited, at most timeoutMs; then stop tracking it so nsbox can exit. Resolves to what it wrote on fd 3.
   * OCI-created (`forked`): the launched process forks the init and exits, so only the gate's close counts; with
   * `keep` nsbox still waits for its exit (nsbox-runtime run), so it keeps nsbox alive.
   */
  handOver?(timeoutMs: number, forked?: { readonly keep: boolean }): Promise<string>;
}

export interface Runner {
  exec(argv: readonly string[]): Promise<void>;
  /**
   * Several commands one after another in one process (sh), stopping at the first that fails, as exec would each:
   * the next starts the moment the one before it ends, whatever nsbox is doing meanwhile.
   */
  execInOrder?(argvs: readonly (readonly string[])[]): Promise<void>;
  writeFile(path: string, content: string): Promise<void>;
  /** The same write on libuv's thread pool, so nsbox goes on while the kernel blocks it (a cgroup move). */
  writeFileInBackground?(path: string, content: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  /** rm -r, never through a mount; `inBackground`: on libuv's thread pool (rm of many boxes side by side). */
  remove(path: string, inBackground?: boolean): Promise<void>;
  /** `ino`: the inode of the cgroup nsbox made there; a cgroup with another one is left alone (an error). */
  removeCgroup(path: string, ino?: number): Promise<void>;
  /** `tty`: the box's relay holds the caller's terminal; otherwise a terminal on 0-2 reaches the box as a pipe. */
  launch(argv: readonly string[], gated: boolean, detach?: DetachFiles, tty?: boolean, passFds?: LaunchStep['passFds']): LaunchedProcess;
  readNamespaces(pid: number, forChildren: boolean): NamespaceInodes;
  kill(pid: number, signal: NodeJS.Signals): void;
  /** The first child of a launched process (a supervisor's box), once it has one; rejects if it exits first. */
  childOf?(proc: LaunchedProcess, timeoutMs: number): Promise<number>;
}

/** The runner that really does it. */
export const hostRunner: Runner = {
  exec(argv) {
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: HOST_ENV });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', (error) => reject(new NsboxError(`cannot run ${argv[0]}: ${error.message}`)));
      child.on('close', (code, signal) => {
        if (code === 0) resolve();
        else {
          const why = toolMessage(stderr) || (signal ? `killed by ${signal}` : `exit status ${code}`);
          reject(new NsboxError(`${argv.join(' ')}: ${why}`));
        }
      });
    });
  },
  execInOrder(argvs) {
    // The script --explain shows for a background group, `a || exit; b || exit`, with the failing one's index and
    // status on fd 3 (for exec's message). fd 3 is the script's own: the tools do not get it.
    const script = argvs.map((argv, i) => `${argv.map(quoteWord).join(' ')} 3>&- || { echo ${i} $? >&3; exit 1; }`).join('\n');
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: HOST_ENV });
      let stderr = '';
      let failed = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      (child.stdio[3] as Readable).setEncoding('utf8').on('data', (d: string) => (failed += d));
      child.on('error', (error) => reject(new NsboxError(`cannot run sh: ${error.message}`)));
      child.on('close', (code, signal) => {
        if (code === 0) return resolve();
        const at = /^(\d+) (\d+)/.exec(failed);
        const argv = at ? argvs[Number(at[1])]! : argvs.flat();
        const why = toolMessage(stderr) || (signal ? `killed by ${signal}` : `exit status ${at ? at[2] : code}`);
        reject(new NsboxError(`${argv.join(' ')}: ${why}`));
      });
    });
  },
  async writeFile(path, content) {
    try {
      writeFileSync(path, content);
    } catch (error) {
      throw new NsboxError(`cannot write ${path}: ${(error as Error).message}`);
    }
  },
  writeFileInBackground(path, content) {
    return new Promise((resolve, reject) => {
      writeFile(path, content, (error) => (error ? reject(new NsboxError(`cannot write ${path}: ${error.message}`)) : resolve()));
    });
  },
  async mkdir(path) {
    try {
      mkdirSync(path);
    } catch (error) {
      throw new NsboxError(`cannot create ${path}: ${(error as Error).message}`);
    }
  },
  async rmdir(path) {
    rmdirSync(path);
  },
  async remove(path, inBackground) {
    // Never delete through a mount: detach whatever is mounted inside first (lazily: a busy one goes too), and
    // refuse if one is still there (mountinfo read again only when something was mounted).
    const mounts = mountsBelow(path);
    for (const target of mounts) await hostRunner.exec(['umount', '-l', target]).catch(() => undefined);
    const left = mounts.length > 0 ? mountsBelow(path) : [];
    if (left.length > 0) throw new NsboxError(`cannot remove ${path}: ${left[0]} is a mount point that cannot be unmounted`);
    // One tree (a --rm box's end, a rollback): unlinked on this thread, each unlink a syscall; on the thread pool
    // each is also a round trip to the loop (a --rm box's ~20 files: ~4 ms more). rm of many boxes: side by side.
    if (inBackground) await removeTreeInBackground(path);
    else removeTree(path);
  },
  async removeCgroup(path, ino) {
    const { removeCgroupTree } = await import('../cgroup/remove.js');
    await removeCgroupTree(path, ino);
  },
  launch(argv, gated, detach, tty, passFds) {
    // Node passes on every fd it inherited without close-on-exec: close them so only 0-2 (and the gate) reach a box;
    // --preserve-fds keeps fds 3 .. 3+count-1, passed at their own places (stdio entry at+i is fd 3+i).
    const kept = passFds ? Array.from({ length: passFds.count }, (_, i) => 3 + i) : [];
    closeInheritedFds(kept);
    // Detached: stdout and stderr to the log, fd 4 on the exit file (the reaper writes PID 1's status there).
    const files = detach ? [openSync(detach.log, 'a', 0o640), openSync(detach.exitFile, 'w', 0o600)] : [];
    const terminals = gated && !detach && !tty ? terminalFds() : [];
    // `env [-i] ...` and `setsid --` at the head are spawn options here (the script runs them as tools).
    const native = peelLaunchPrefix(argv);
    const env = native.env ? launchEnvironment(native, process.env) : undefined;
    let child: ReturnType<typeof spawn>;
    try {
      const argv = keepsOwnPath(env) ? withToolPaths(native.argv, findTool) : native.argv;
      child = spawn(argv[0]!, argv.slice(1), {
        argv0: native.argv[0]!,
        ...(env ? { env } : {}),
        ...(native.setsid ? { detached: true } : {}),
        stdio: withPassedFds(detach ? ['ignore', files[0]!, files[0]!, 'pipe', files[1]!] : gated ? [...stdioAvoidingTerminals(terminals), 'pipe'] : ['ignore', 'ignore', 'ignore'], passFds),
      });
    } finally {
      for (const fd of files) closeSync(fd);
      // The box has its copies: nothing nsbox starts later (hooks) gets them.
      for (const fd of kept) closeQuietly(fd);
    }
    const relay = terminals.length > 0 && child.pid !== undefined ? relayTerminalPipes(child, terminals) : undefined;
    let done = false;
    let text = '';
    const gate = gated ? (child.stdio[3] as Duplex) : undefined;
    // release(true): 'wanted' until the box has said GATE_READY, then 'now' (once "go" is written too).
    let closeGate: 'no' | 'wanted' | 'now' = 'no';
    const closeIfReady = () => {
      if (closeGate === 'wanted' && text.split('\n').includes(GATE_READY)) closeGate = 'now';
      if (closeGate === 'now') gate?.destroy();
    };
    gate?.setEncoding('utf8');
    gate?.on('data', (d: string) => {
      text += d;
      closeIfReady();
    });
    gate?.on('error', () => {}); // the box may close its end first
    const exited = new Promise<ExitStatus>((resolve, reject) => {
      child.on('error', (error) => {
        done = true;
        reject(new NsboxError(`cannot run ${native.argv[0]}: ${error.message}`));
      });
      child.on('exit', (code, signal) => {
        done = true;
        if (relay) void relay.finish().then(() => resolve({ code, signal }));
        else resolve({ code, signal });
      });
    });
    exited.catch(() => {}); // observed by the executor; avoid an unhandled rejection meanwhile
    if (child.pid === undefined) {
      // spawn failed synchronously (e.g. ENOENT); the 'error' event carries the reason
      return { pid: -1, exited, hasExited: () => true, release() {}, messages: () => text };
    }
    return {
      pid: child.pid,
      exited,
      hasExited: () => done,
      release: (close) => {
        gate?.write('go\n', () => {
          if (close) closeGate = 'wanted';
          closeIfReady();
        });
      },
      messages: () => text,
      handOver: (timeoutMs, forked) =>
        new Promise<string>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            gate?.destroy();
            if (!forked?.keep) child.unref();
            resolve(text);
          };
          const timer = setTimeout(done, timeoutMs);
          if (!gate || gate.readableEnded || gate.destroyed) return done();
          gate.once('end', done);
          gate.once('close', done);
          if (!forked) child.once('exit', () => setImmediate(done)); // let the last gate data arrive first
        }),
    };
  },
  readNamespaces: (pid, forChildren) => readNamespaceInodes(pid, forChildren),
  async childOf(proc, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let children = '';
      try {
        children = readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim();
      } catch {
        // gone: reported below
      }
      if (children !== '') return Number(children.split(/\s+/)[0]);
      if (proc.hasExited() || Date.now() > deadline) throw new NsboxError(`cannot start the box: its supervisor (PID ${proc.pid}) ${proc.hasExited() ? 'exited' : 'started nothing'}`);
      await new Promise((r) => setTimeout(r, 1));
    }
  },
  kill(pid, signal) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  },
};

/**
 * Whether a launch keeps nsbox's PATH (host-root boxes): then its tools are started by the paths checkPlanTools
 * found (withToolPaths). A launch with an environment of its own (env -i PATH=..., image boxes) searches its own.
 */
function keepsOwnPath(env: NodeJS.ProcessEnv | undefined): boolean {
  return env === undefined || env.PATH === process.env.PATH;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // not open (already closed)
  }
}
