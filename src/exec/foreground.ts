// Runs a box plan in the foreground: forwards signals to the command, reads the cgroup's verdict, maps the exit code.

import type { Plan } from '../plan/types.js';
import { readCgroupOutcome, type CgroupOutcome } from '../cgroup/outcome.js';
import { executePlan, exitCodeOf } from './executor.js';
import { hostRunner } from './runner.js';
import { findCommandPid, forwardSignals } from './signals.js';

export interface ForegroundOptions {
  /** The box has a pid namespace: the command is the reaper's child (PID 1 inside), not the box process. */
  readonly viaReaper: boolean;
  /** -t: the relay keeps the pty's size in step itself, so SIGWINCH is not forwarded. */
  readonly tty?: boolean;
  /** Print the result as one JSON line on stderr instead of the one-line verdict. */
  readonly json: boolean;
  readonly id: string;
}

/** Execute `plan` while nsbox waits; resolves to nsbox's exit code (Docker's rules, 137 for an OOM kill). */
export async function runInForeground(plan: Plan, options: ForegroundOptions): Promise<number> {
  const abort: { aborted: NodeJS.Signals | undefined } = { aborted: undefined };
  let boxPid: number | undefined;
  let released = false;
  const signals = forwardSignals(
    () => (released && boxPid !== undefined ? findCommandPid(boxPid, options.viaReaper) : undefined),
    (signal) => (abort.aborted = signal),
    options.tty ? ['SIGWINCH'] : [],
  );
  let outcome: CgroupOutcome | undefined;
  try {
    const status = await executePlan(plan, hostRunner, {
      abortSignal: abort,
      onReleased: (execution) => {
        boxPid = execution.pids.box;
        released = true;
      },
      beforeTeardown: () => {
        if (plan.cgroup) outcome = readCgroupOutcome(plan.cgroup);
      },
    });
    const code = exitCodeOf(status);
    // Killed by the memory limit: Docker's 137, whatever the program made of it (stress exits 1, unshare too).
    const exitCode = outcome?.oomKilled && code !== 0 ? 137 : code;
    if (options.json) {
      const result = { id: options.id, exitCode, signal: status.signal, oomKilled: outcome?.oomKilled ?? false, message: outcome?.message ?? null, cgroup: outcome?.facts ?? null };
      process.stderr.write(`${JSON.stringify(result)}\n`);
    } else if (outcome?.message) process.stderr.write(`nsbox: ${outcome.message}\n`);
    return exitCode;
  } finally {
    signals.dispose();
  }
}
