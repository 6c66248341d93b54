// The plan-execution half of starting a box: one executor run in the launch mode asked for. Foreground waits with
// signals forwarded and reads the cgroup's verdict; detached hands the box to its supervisor; OCI-created leaves the
// init waiting at its gate, reparented to the caller. Bookkeeping (records, state files) is the caller's, via hooks.

import type { Plan } from '../plan/types.js';
import { readCgroupOutcome, type CgroupOutcome } from '../cgroup/outcome.js';
import { executePlan, exitCodeOf, type Execution } from '../exec/executor.js';
import { hostRunner, type Runner } from '../exec/runner.js';
import { findCommandPid, forwardSignals } from '../exec/signals.js';

/** foreground: nsbox waits (`nsbox run`); detached: `run -d`; create-only: `nsbox create` (recorded, not run); oci-created: `nsbox-runtime create` (and `run`). */
export type StartMode = 'foreground' | 'detached' | 'create-only' | 'oci-created';

export interface ForegroundOptions {
  /** The box has a pid namespace: the command is the reaper's child (PID 1 inside), not the box process. */
  readonly viaReaper: boolean;
  /** -t: the relay keeps the pty's size in step itself, so SIGWINCH is not forwarded. */
  readonly tty?: boolean;
  /** Print the result as one JSON line on stderr instead of the one-line verdict. */
  readonly json: boolean;
  readonly id: string;
  /** Once the gate is open: the box process's pid (a recorded box records it). */
  readonly onReleased?: (boxPid: number) => void;
}

export interface ForegroundResult {
  /** nsbox's exit code: Docker's rules, 137 for an OOM kill. */
  readonly code: number;
  readonly oomKilled: boolean;
}

/** Execute `plan` while nsbox waits, forwarding signals to the command; resolves once the box has ended. */
export async function runForeground(plan: Plan, options: ForegroundOptions): Promise<ForegroundResult> {
  const abort: { aborted: NodeJS.Signals | undefined } = { aborted: undefined };
  let boxPid: number | undefined;
  const signals = forwardSignals(
    () => (boxPid !== undefined ? findCommandPid(boxPid, options.viaReaper) : undefined),
    (signal) => (abort.aborted = signal),
    options.tty ? ['SIGWINCH'] : [],
  );
  let outcome: CgroupOutcome | undefined;
  try {
    const status = await executePlan(plan, hostRunner, {
      abortSignal: abort,
      onReleased: (execution) => {
        boxPid = execution.pids.box;
        options.onReleased?.(boxPid!);
      },
      beforeTeardown: () => {
        if (plan.cgroup) outcome = readCgroupOutcome(plan.cgroup);
      },
    });
    const raw = exitCodeOf(status);
    // Killed by the memory limit: Docker's 137, whatever the program made of it (stress exits 1, unshare too).
    const code = outcome?.oomKilled && raw !== 0 ? 137 : raw;
    if (options.json) {
      const result = { id: options.id, exitCode: code, signal: status.signal, oomKilled: outcome?.oomKilled ?? false, message: outcome?.message ?? null, cgroup: outcome?.facts ?? null };
      process.stderr.write(`${JSON.stringify(result)}\n`);
    } else if (outcome?.message) process.stderr.write(`nsbox: ${outcome.message}\n`);
    return { code, oomKilled: outcome?.oomKilled ?? false };
  } finally {
    signals.dispose();
  }
}

/** Execute a detached plan; `onDetach` runs once the command has started (a throw there rolls everything back). */
export async function runDetached(plan: Plan, onDetach: (execution: Execution) => Promise<void>): Promise<void> {
  await executePlan(plan, hostRunner, { onDetach });
}

export interface CreatedOptions {
  /** The init is ready at its gate: record it (state, pid file, hooks); a throw rolls everything back. */
  readonly onCreated: (execution: Execution) => Promise<void> | void;
  /** The error for an init that did not get ready, from what it said on fd 3. */
  readonly failure: (lines: readonly string[]) => Error;
  /** Before the rollback: end what the init may have forked (the undos then remove empty cgroups). */
  readonly beforeRollback: (execution: Execution) => Promise<void> | void;
  readonly runner?: Runner;
}

/** Execute an OCI create plan (its launch in mode 'oci-created'); resolves once the init waits at its gate. */
export async function runCreated(plan: Plan, options: CreatedOptions): Promise<void> {
  await executePlan(plan, options.runner ?? hostRunner, { onCreated: options.onCreated, createdFailure: options.failure, beforeRollback: options.beforeRollback });
}
