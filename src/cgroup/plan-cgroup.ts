// The plan steps that create, limit and join a box's cgroup(s): v1 or v2 layout, rendered by one driver.
//
// Placement: with either driver, the box joins while it waits at its gate, before it forks anything: its gate
// shell writes 0 into `selfJoin` itself, or nsbox runs the `join` steps (its PID into each cgroup.procs). Either
// way the box and everything it forks is inside the limits before the command's first instruction.

import { NsboxError } from '../errors.js';
import type { Step } from '../plan/types.js';
import { detectCgroupHost, type CgroupHost, type CgroupVersion } from './detect.js';
import { chooseCgroupDriver, type CgroupDriver, type DriverSteps } from './driver.js';
import { renderWithCgroupfs } from './driver-fs.js';
import { renderWithCgroupTools } from './driver-tools.js';
import { dirOf, type CgroupLayout } from './layout.js';
import { layoutV1 } from './layout-v1.js';
import { layoutV2 } from './layout-v2.js';
import { refusePreexistingCgroups } from './preexisting.js';
import { selfJoinFile } from './self-join.js';
import type { CgroupRequest } from './request.js';

/** What the rest of nsbox needs to know about a box's cgroup(s) after planning. */
export interface BoxCgroup {
  /** Absolute cgroup directories of the box (one per v1 hierarchy, or one on v2). */
  readonly dirs: readonly string[];
  readonly version: CgroupVersion;
  readonly driver: CgroupDriver;
  /** The box's cgroup on the hierarchy with memory / pids (for the outcome), if it has one. */
  readonly memoryDir: string | undefined;
  readonly pidsDir: string | undefined;
  /** The limits asked for, for messages ("killed by the memory limit (100M, ...)"). */
  readonly memoryBytes: number | undefined;
  readonly pidsLimit: number | undefined;
}

export interface CgroupPlan {
  /** Before launch: create the cgroup(s) and write the limits (each with its undo). */
  readonly setup: readonly Step[];
  /** After launch, before release: move {box} into the cgroup(s), if not done by launchPrefix. */
  readonly join: readonly Step[];
  /**
   * The files the box's gate shell writes 0 into instead (selfJoinLines), after the gate and before it forks: the
   * faster way where there is one (v1). Used unless the box has a user namespace of its own: its root cannot open
   * the host's cgroup files, so nsbox's `join` steps move it.
   */
  readonly selfJoin: readonly string[];
  /** Prepended to the launch argv (e.g. cgexec -g ...), or empty. */
  readonly launchPrefix: readonly string[];
  readonly box: BoxCgroup;
}

/** Plan a box's cgroups on this host (detected unless given) with the chosen driver; NsboxError fails closed. */
export function planCgroup(
  request: CgroupRequest,
  boxId: string,
  host: CgroupHost = detectCgroupHost(),
  driver: CgroupDriver = chooseCgroupDriver(),
): CgroupPlan {
  if (host.mode === 'none') {
    throw new NsboxError(`cannot apply resource limits: no cgroup filesystem is mounted at ${host.root}`);
  }
  const layout: CgroupLayout = host.mode === 'v2' ? layoutV2(request, boxId, host) : layoutV1(request, boxId, host);
  refusePreexistingCgroups(layout);
  // cgcreate names controllers; a cgroup with none (a v2 box without any controller) is made directly.
  const used = driver === 'cgroup-tools' && layout.boxes.every((b) => b.controllers.length > 0) ? driver : 'cgroupfs';
  const steps: DriverSteps = used === 'cgroup-tools' ? renderWithCgroupTools(layout) : renderWithCgroupfs(layout);
  const on = (controller: string) => layout.boxes.find((b) => b.controllers.includes(controller));
  const memory = on('memory');
  const pids = on('pids');
  return {
    setup: inBackground(steps.setup),
    join: steps.join,
    selfJoin: layout.version === 1 ? layout.boxes.map((b) => selfJoinFile(dirOf(b), 1)) : [],
    launchPrefix: steps.launchPrefix,
    box: {
      dirs: layout.boxes.map(dirOf),
      version: layout.version,
      driver: used,
      memoryDir: memory ? dirOf(memory) : undefined,
      pidsDir: pids ? dirOf(pids) : undefined,
      memoryBytes: request.memoryBytes,
      pidsLimit: request.pidsLimit,
    },
  };
}

/**
 * How the box joins its cgroups: its gate shell moves itself (selfJoin, v1) or nsbox moves it (join steps), the
 * latter with a user namespace (its root cannot open the host's cgroup files).
 */
export function chooseJoin(cgroup: CgroupPlan | undefined, namespaces: readonly string[]): { readonly steps: readonly Step[]; readonly selfJoin: readonly string[] } {
  if (!cgroup) return { steps: [], selfJoin: [] };
  if (cgroup.selfJoin.length === 0 || namespaces.includes('user')) return { steps: cgroup.join, selfJoin: [] };
  return { steps: [], selfJoin: cgroup.selfJoin };
}

/**
 * cgcreate and cgset run in the background (in order, ExecStep.background): the box waits at its gate meanwhile, and
 * the container's files and the namespace check overlap the two processes; release waits for them. Only when the
 * setup is processes alone: a file write among them (devices rules, subtree_control) keeps the whole setup in line.
 */
function inBackground(setup: readonly Step[]): Step[] {
  if (setup.length === 0 || !setup.every((s) => s.kind === 'exec')) return [...setup];
  return setup.map((s) => (s.kind === 'exec' ? { ...s, background: true } : s));
}
