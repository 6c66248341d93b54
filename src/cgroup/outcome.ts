// STUB (to be replaced by the cgroup module): why did the box die, from the cgroup's own counters.
import type { BoxCgroup } from './plan-cgroup.js';

export interface CgroupOutcome {
  readonly oomKilled: boolean;
  /** One line for the user, e.g. "killed by the memory limit (100M, peak 100M)"; undefined when nothing to say. */
  readonly message: string | undefined;
  /** Facts for --json results. */
  readonly facts: Readonly<Record<string, unknown>>;
}

export function readCgroupOutcome(_box: BoxCgroup): CgroupOutcome {
  return { oomKilled: false, message: undefined, facts: {} };
}
