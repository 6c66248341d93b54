// The one interface over the two ways of making cgroups (cgroup-tools commands or direct cgroupfs writes),
// and the choice between them.

import { NsboxError } from '../errors.js';
import { findTool } from '../host/tools.js';
import type { Step } from '../plan/types.js';

export type CgroupDriver = 'cgroup-tools' | 'cgroupfs';

/** What a driver makes of a layout: setup steps, then either a launch prefix or join steps that put the box inside. */
export interface DriverSteps {
  readonly setup: readonly Step[];
  readonly launchPrefix: readonly string[];
  /** Steps run while the box waits at its gate ({box} is its PID); empty when launchPrefix joins. */
  readonly join: readonly Step[];
}

/** NSBOX_CGROUP_DRIVER if set; else cgroup-tools when cgcreate and cgset are installed; else cgroupfs. */
export function chooseCgroupDriver(
  env: Readonly<Record<string, string | undefined>> = process.env,
  find: (name: string) => string | undefined = findTool,
): CgroupDriver {
  const forced = env.NSBOX_CGROUP_DRIVER;
  if (forced === 'cgroup-tools' || forced === 'cgroupfs') return forced;
  if (forced !== undefined && forced !== '' && forced !== 'auto') {
    throw new NsboxError(`invalid NSBOX_CGROUP_DRIVER ${JSON.stringify(forced)}: expected cgroup-tools, cgroupfs or auto`);
  }
  return ['cgcreate', 'cgset'].every((tool) => find(tool) !== undefined) ? 'cgroup-tools' : 'cgroupfs';
}
