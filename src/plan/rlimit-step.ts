// Resource limits set from the host with prlimit(1) on a process waiting at its gate ({box}), as runc's parent does:
// nsbox run's --ulimit and nsbox-runtime's process.rlimits. Pure.

import type { OciRlimit } from '../oci/container.js';
import type { BoxDescription } from '../spec/box-description.js';
import type { Step } from './types.js';

/**
 * The process inherits the limits through its fork and exec. From the host, because inside a user namespace a process
 * may not raise a hard limit (that needs CAP_SYS_RESOURCE of the host's namespace). Nothing to undo: they end with it.
 */
export function rlimitStep(rlimits: readonly OciRlimit[], why: string): Step {
  return { kind: 'exec', argv: ['prlimit', '--pid', '{box}', ...prlimitOptions(rlimits)], why };
}

/** prlimit(1)'s options for the limits: --nofile=SOFT:HARD ... */
export function prlimitOptions(rlimits: readonly OciRlimit[]): string[] {
  return rlimits.map((r) => `--${r.name}=${r.soft}:${r.hard}`);
}

/** `exec` into a box with --ulimit: prlimit sets them on itself on the host, then execs the rest (Docker's exec gets them too). */
export function prlimitPrefix(rlimits: readonly OciRlimit[] | undefined): string[] {
  return rlimits === undefined || rlimits.length === 0 ? [] : ['prlimit', ...prlimitOptions(rlimits), '--'];
}

/**
 * --ulimit: prlimit on the box's first process (the reaper, or the init itself), which waits at its gate; whatever it
 * starts inherits the limits. From the host: a hard limit above the caller's needs its CAP_SYS_RESOURCE.
 */
export function ulimitSteps(spec: BoxDescription): Step[] {
  const rlimits = spec.process.rlimits ?? [];
  return rlimits.length === 0 ? [] : [rlimitStep(rlimits, '--ulimit: the resource limits, set from the host on the box\'s first process at its gate (the command inherits them).')];
}
