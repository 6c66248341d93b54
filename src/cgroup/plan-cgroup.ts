// STUB (to be replaced by the cgroup module): the plan steps that create, limit and join a box's cgroup.
import type { Step } from '../plan/types.js';
import type { CgroupRequest } from './request.js';

/** What the rest of nsbox needs to know about a box's cgroup(s) after planning. */
export interface BoxCgroup {
  /** Absolute cgroup directories of the box (one per v1 hierarchy, or one on v2). */
  readonly dirs: readonly string[];
}

export interface CgroupPlan {
  /** Before launch: create the cgroup(s) and write the limits (each with its undo). */
  readonly setup: readonly Step[];
  /** After launch, before release: move {box} into the cgroup(s), if not done by launchPrefix. */
  readonly join: readonly Step[];
  /** Prepended to the launch argv (e.g. cgexec -g ...), or empty. */
  readonly launchPrefix: readonly string[];
  readonly box: BoxCgroup;
}

export function planCgroup(_request: CgroupRequest, _boxId: string): CgroupPlan {
  throw new Error('cgroup limits are not implemented yet');
}
