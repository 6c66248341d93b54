// The executor's proof of isolation: waits for a launched process's namespaces and checks them against nsbox's own
// from /proc, before the command runs (and PID 1's once it exists).

import { NsboxError } from '../errors.js';
import { NAMESPACES, type NamespaceName } from '../host/namespaces.js';
import type { AwaitNamespacesStep } from '../plan/types.js';
import { describeExit, type LaunchedProcess, type Runner } from './runner.js';
import { findCommandPid } from './signals.js';
import { describeSetupFailure } from './setup-failure.js';
import type { Execution } from './executor.js';

/** Wait until the process of `step` is in new namespaces (each in isolate), then check every other one is shared. */
export async function awaitNamespaces(step: AwaitNamespacesStep, execution: Execution, runner: Runner, helpers: LaunchedProcess[], timeoutMs: number): Promise<void> {
  const pid = execution.pids[step.pid]!;
  const proc = step.pid === 'box' ? execution.box! : helpers[helpers.length - 1]!;
  const own = runner.readNamespaces(process.pid, false);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.hasExited()) {
      const status = await proc.exited;
      const said = proc.messages().trim();
      // An init whose steps come before its gate fails here, before release: the same words as after it.
      if (status.code === 125 && said.includes('failed: ')) throw new NsboxError(`cannot set up the box: ${describeSetupFailure(said)}`);
      throw new NsboxError(`the box exited during set-up (${describeExit(status)})${said ? `: ${said.split('\n').pop()}` : ''}`);
    }
    const theirs = runner.readNamespaces(pid, true);
    // pid_for_children cannot be read until the new pid namespace has its PID 1: unreadable means new and empty.
    // The executor checks PID 1's own pid namespace after release (verifyCommandNamespaces).
    const isNew = (n: NamespaceName) => (theirs[n] === undefined ? n === 'pid' : theirs[n] !== own[n]);
    if (step.isolate.every(isNew)) {
      if (step.checkShared) checkShared(step.isolate, own, theirs);
      return;
    }
    if (Date.now() > deadline) throw new NsboxError(`the namespaces of PID ${pid} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * With a pid namespace, the command is the reaper's child (PID 1 inside): once it exists, check its namespaces
 * against nsbox's own. A mismatch kills the box and fails the run.
 */
export async function verifyCommandNamespaces(execution: Execution, runner: Runner, isolate: readonly NamespaceName[]): Promise<void> {
  const box = execution.box!;
  const own = runner.readNamespaces(process.pid, false);
  for (let tries = 0; tries < 2000 && !box.hasExited(); tries++) {
    // The reaper's child (execution.pids.box is the reaper: the launched process itself, or a supervisor's child).
    const child = findCommandPid(execution.pids.box ?? box.pid, true);
    const theirs = child === undefined ? undefined : runner.readNamespaces(child, false);
    if (theirs && theirs.pid !== undefined) {
      for (const { name } of NAMESPACES) {
        if (own[name] === undefined || theirs[name] === undefined) continue;
        const isolated = theirs[name] !== own[name];
        if (isolated !== isolate.includes(name)) {
          runner.kill(box.pid, 'SIGKILL');
          runner.kill(child!, 'SIGKILL');
          throw new NsboxError(`namespace check failed: PID ${child}'s ${name} namespace is ${isolated ? 'new' : 'the host\'s'}, but ${isolated ? 'none' : 'a new one'} was asked for`);
        }
      }
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Every namespace not asked for must be nsbox's own: a mismatch means something else changed it. */
function checkShared(isolate: readonly NamespaceName[], own: Readonly<Record<NamespaceName, number | undefined>>, theirs: Readonly<Record<NamespaceName, number | undefined>>): void {
  for (const { name } of NAMESPACES) {
    if (isolate.includes(name) || own[name] === undefined) continue;
    if (name === 'pid' && theirs.pid === undefined) {
      throw new NsboxError('namespace check failed: the box has a new pid namespace, but none was asked for');
    }
    if (theirs[name] !== own[name]) {
      throw new NsboxError(`namespace check failed: the box's ${name} namespace is not the host's, but no new one was asked for`);
    }
  }
}

