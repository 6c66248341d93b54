// cgroupfs driver: a layout as plain directory and file operations, and a sh prefix that joins the cgroups.

import type { Step } from '../plan/types.js';
import { dirOf, type CgroupLayout, type KnobWrite } from './layout.js';
import type { DriverSteps } from './driver.js';

/**
 * mkdir/write-file steps; nsbox writes the box's PID into each cgroup.procs while the box waits at its gate, so
 * it is inside before the command's first instruction, without an extra process on the launch path.
 */
export function renderWithCgroupfs(layout: CgroupLayout): DriverSteps {
  const setup: Step[] = [];
  if (layout.missingParents.length > 0) {
    // -p: another box may create the shared parent at the same moment; it is kept for later boxes, like Docker's.
    setup.push({ kind: 'exec', argv: ['mkdir', '-p', ...layout.missingParents.map(dirOf)], why: 'create the shared parent cgroup (kept for later boxes)' });
  }
  setup.push(...layout.parentWrites.map(writeStep));
  for (const box of layout.boxes) {
    setup.push({ kind: 'mkdir', path: dirOf(box), why: `the box's own cgroup (${box.controllers.join(',') || 'cgroup2'})`, undo: { kind: 'remove-cgroup', path: dirOf(box) } });
  }
  setup.push(...layout.limits.map(writeStep));
  return { setup, launchPrefix: [], join: joinSteps(layout) };
}

/**
 * Both drivers: nsbox writes the waiting box's PID into each cgroup.procs (cgexec would be one more process), in the
 * background: the first move after a quiet spell waits out an RCU grace period, and the plan's next steps overlap it.
 */
export function joinSteps(layout: CgroupLayout): Step[] {
  return layout.boxes.map((b) => ({
    kind: 'write-file',
    path: `${dirOf(b)}/cgroup.procs`,
    content: '{box}',
    background: true,
    why: `Move the waiting box into its cgroup (${b.controllers.join(',') || 'cgroup2'}); everything it starts stays inside.`,
  }));
}

function writeStep(write: KnobWrite): Step {
  return { kind: 'write-file', path: `${dirOf(write.dir)}/${write.file}`, content: write.value, why: write.why };
}

/**
 * `sh -c` moves itself into every cgroup (0 into each selfJoinFile: on v1 no RCU wait) and execs the launcher: the
 * process is in its cgroups before its first instruction, and any failure stops it with 125 before it runs.
 */
export function joinPrefix(joinFiles: readonly string[]): readonly string[] {
  if (joinFiles.length === 0) return [];
  const lines = joinFiles.map((_f, i) => `echo 0 >"$${i + 1}" || exit 125`);
  const script = `${lines.join('; ')}; shift ${joinFiles.length}; exec "$@"`;
  return ['/bin/sh', '-c', script, 'nsbox-join', ...joinFiles];
}
