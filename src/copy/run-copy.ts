// Runs one `nsbox cp`: the box's tar (box-side.ts) and the host's tar (cp-rules.ts), joined by the archive filter.
// The only part of cp that starts processes or looks at host files.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { NsboxError } from '../errors.js';
import { HOST_ENV } from '../host/host-env.js';
import { terminalField } from '../format/terminal-text.js';
import type { InitFacts } from '../lifecycle/exec-argv.js';
import { filterArchive } from './archive-filter.js';
import { BOX_EXIT, buildArchiveArgv, buildExtractArgv, type BoxDestKind, type BoxSideInput } from './box-side.js';
import { hostArchiveArgv, hostExtractArgv, landInBox, landOnHost, type HostDestKind } from './cp-rules.js';
import type { CopySpec } from './cp-spec.js';

export interface CopyRun {
  readonly spec: CopySpec;
  readonly input: BoxSideInput;
  readonly hostTar: string;
  /** The box's name (or short id). */
  readonly label: string;
  /** Called once the box side has answered: it is in the box's cgroup then. */
  readonly answered: () => void;
}

/** PID 1's bounding set and no_new_privs, and nsbox's own set (exec's InitFacts). */
export function readInitFacts(pid: number): InitFacts {
  const field = (p: number | 'self', key: string): string =>
    readFileSync(`/proc/${p}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${key}:`))?.slice(key.length + 1).trim() ?? '';
  return { pid, capBnd: field(pid, 'CapBnd'), ownCapBnd: field('self', 'CapBnd'), noNewPrivs: field(pid, 'NoNewPrivs') === '1' };
}

/** Box -> host (or stdout). */
export async function copyFromBox(run: CopyRun): Promise<number> {
  const { spec } = run;
  const src = spec.boxPath;
  const boxSide = start(buildArchiveArgv(run.input, src, spec.followLink), ['ignore', 'pipe', 'pipe']);
  boxSide.child.stdout!.once('data', run.answered);
  // The box picks `.` for SRC/. and for a symlink -L follows to a directory.
  const tops = src.contents || src.name === '' ? [''] : spec.followLink ? [src.name, ''] : [src.name];
  let hostSide: Started | undefined;
  let failure: unknown;
  let members = 0;
  const skipped: string[] = [];
  try {
    const result = await filterArchive(boxSide.child.stdout!, {
      tops,
      hostile: true,
      keepSetId: spec.archive,
      label: `box ${run.label}`,
      onSkip: (name) => skipped.push(name),
      decide: (first) => {
        if (src.trailingSlash && first.type !== 'directory') throw new NsboxError(`cannot copy ${run.label}:${src.given}: not a directory`);
        if (!spec.hostPath) return { to: src.contents || src.name === '' ? '' : src.name, sink: process.stdout };
        const landing = landOnHost(src, first.type === 'directory', spec.hostPath, hostDestKind(spec.hostPath.path));
        hostSide = start(hostExtractArgv(run.hostTar, landing.dir, spec.archive), ['pipe', 'ignore', 'pipe']);
        return { to: landing.name, sink: hostSide.child.stdin! };
      },
    });
    members = result.members;
  } catch (error) {
    failure = error;
    killGroup(boxSide.child);
    if (hostSide) killGroup(hostSide.child);
  }
  run.answered();
  const box = await boxSide.done;
  const host = await hostSide?.done;
  const boxError = boxExitError(box, spec, run.label);
  if (boxError) throw boxError;
  if (skipped.length > 0) {
    const more = skipped.length > 1 ? ` and ${skipped.length - 1} more` : '';
    process.stderr.write(`nsbox: skipped ${printable(skipped[0]!)}${more}: device nodes and fifos are not copied out of a box\n`);
  }
  if (failure) {
    if ((failure as NodeJS.ErrnoException).code === 'EPIPE') return 141; // the reader of stdout went away
    throw failure;
  }
  if (members === 0 || (box.code !== 0 && box.code !== 1)) {
    throw new NsboxError(`cannot copy from box ${run.label}: ${box.code === 0 ? 'its tar sent no archive' : `its tar failed: ${printable(box.stderr) || `exit ${box.code ?? box.signal}`}`}`);
  }
  // tar's 1: a file changed while it was read (a running box's log); the archive is complete, as with tar itself.
  if (box.code === 1) process.stderr.write(`nsbox: warning: box ${run.label}: ${printable(box.stderr) || 'tar exited 1'}\n`);
  if (host && host.code !== 0) throw new NsboxError(`cannot copy to ${spec.hostPath!.given}: tar: ${printable(host.stderr) || `exit ${host.code ?? host.signal}`}`);
  return 0;
}

/** Host (or stdin) -> box. */
export async function copyToBox(run: CopyRun): Promise<number> {
  const { spec } = run;
  const dest = spec.boxPath;
  const source = spec.hostPath ? readHostSource(spec) : undefined;
  const boxSide = start(buildExtractArgv(run.input, dest, spec.archive), ['pipe', 'pipe', 'pipe']);
  const stdin = boxSide.child.stdin!;
  const verdict = await firstLine(boxSide.child.stdout!);
  run.answered();
  if (verdict !== 'dir' && verdict !== 'file' && verdict !== 'missing') {
    stdin.end();
    const box = await boxSide.done;
    throw boxExitError(box, spec, run.label) ?? new NsboxError(`cannot copy to box ${run.label}: ${printable(box.stderr) || `the box side ended (exit ${box.code ?? box.signal})`}`);
  }
  let name: string;
  try {
    name = landInBox(spec.hostPath, source?.isDir ?? true, dest, verdict as BoxDestKind, run.label);
  } catch (error) {
    stdin.end();
    await boxSide.done;
    throw error;
  }
  stdin.write('go\n');
  let hostSide: Started | undefined;
  let failure: unknown;
  if (!source) {
    process.stdin.pipe(stdin);
  } else {
    hostSide = start(hostArchiveArgv(run.hostTar, source), ['ignore', 'pipe', 'pipe']);
    try {
      await filterArchive(hostSide.child.stdout!, {
        tops: [source.name],
        hostile: false,
        keepSetId: true,
        label: spec.hostPath!.given,
        onSkip: (member, type) => process.stderr.write(`nsbox: skipped ${printable(member)}: a ${type.replace('-', ' ')} is not copied into a box\n`),
        decide: () => ({ to: name, sink: stdin }),
      });
    } catch (error) {
      failure = error;
      killGroup(boxSide.child);
      killGroup(hostSide.child);
    }
  }
  const host = await hostSide?.done;
  const box = await boxSide.done;
  if (host && host.code !== 0) throw new NsboxError(`cannot copy ${spec.hostPath!.given}: tar: ${printable(host.stderr) || `exit ${host.code ?? host.signal}`}`);
  if (failure) throw failure;
  if (box.code !== 0) throw new NsboxError(`cannot copy to box ${run.label}: its tar failed: ${printable(box.stderr) || `exit ${box.code ?? box.signal}`}`);
  return 0;
}

/** SRC on the host (trusted: the user's own files, its links followed only with -L). */
function readHostSource(spec: CopySpec): { readonly dir: string; readonly name: string; readonly isDir: boolean } {
  const path = spec.hostPath!;
  let isDir: boolean;
  try {
    isDir = (spec.followLink || path.contents ? statSync(path.path) : lstatSync(path.path)).isDirectory();
  } catch {
    throw new NsboxError(`cannot copy ${path.given}: no such file or directory`);
  }
  if (path.trailingSlash && !isDir && !path.contents) throw new NsboxError(`cannot copy ${path.given}: not a directory`);
  if (path.contents && !isDir) throw new NsboxError(`cannot copy the contents of ${path.given}: it is not a directory`);
  const real = spec.followLink ? realpathSync(path.path) : path.path;
  if (path.contents || real === '/') return { dir: real, name: '', isDir };
  return { dir: dirname(real), name: basename(real), isDir };
}

/** What DEST on the host is (its links followed: they are the user's). */
function hostDestKind(path: string): HostDestKind {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return 'no-parent';
  }
  try {
    return statSync(dirname(path)).isDirectory() ? 'missing' : 'no-parent';
  } catch {
    return 'no-parent';
  }
}

/** The one-line messages for the box scripts' own exit codes (box-side.ts). */
function boxExitError(box: Finished, spec: CopySpec, label: string): NsboxError | undefined {
  const path = spec.boxPath;
  const where = `${label}:${path.given}`;
  if (spec.direction === 'from-box') {
    if (box.code === BOX_EXIT.noDir) return new NsboxError(`no such directory in box ${label}: ${path.dir}`);
    if (box.code === BOX_EXIT.noPath) return new NsboxError(`no such file or directory in box ${label}: ${path.given}`);
    if (box.code === BOX_EXIT.notDir) return new NsboxError(`cannot copy the contents of ${where}: it is not a directory`);
    return undefined;
  }
  if (box.code === BOX_EXIT.noDir) return new NsboxError(`cannot copy to ${where}: no such directory in the box: ${path.dir}`);
  if (box.code === BOX_EXIT.cannotEnter) return new NsboxError(`cannot copy to ${where}: cannot enter the directory`);
  return undefined;
}

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

interface Started {
  readonly child: ChildProcess;
  readonly done: Promise<Finished>;
}

/** A process group of its own (so a failure ends all of it), host tools' fixed environment, stderr kept. */
function start(argv: readonly string[], stdio: StdioOptions): Started {
  const child = spawn(argv[0]!, argv.slice(1), { stdio, env: { ...HOST_ENV }, detached: true });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 65536) stderr += d;
  });
  child.stdin?.on('error', () => undefined); // EPIPE when it ended early: its exit says why
  const done = new Promise<Finished>((resolve) => {
    child.on('error', (e) => resolve({ code: 127, signal: null, stderr: `cannot run ${argv[0]}: ${e.message}` }));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, done };
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** The first line of a stream (the box side's answer), or undefined when it ends first. */
function firstLine(stream: Readable): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\n');
      if (end < 0 && text.length < 64) return;
      stream.off('data', onData);
      stream.off('close', onEnd);
      resolve(end < 0 ? text : text.slice(0, end));
    };
    const onEnd = () => resolve(undefined);
    stream.on('data', onData);
    stream.once('close', onEnd);
  });
}

/**
 * A process's message as one printable line: a box's processes can write anything there (its root can ptrace the
 * box's tar), and terminal control sequences must not reach the caller's terminal.
 */
export function printable(text: string): string {
  // The toolbox's tar names itself by its path in the box.
  const line = text.replaceAll('/dev/.nsbox/tar:', 'tar:').split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 3).join('; ');
  return terminalField(line).slice(0, 400);
}
