// cgroup-tools driver: a layout as cgcreate/cgset commands (package cgroup-tools); the box joins by a cgroup.procs
// write while it waits at its gate, as with the cgroupfs driver (cgexec would be a third process on the launch path).

import type { Step } from '../plan/types.js';
import { dirOf, type CgroupDir, type CgroupLayout, type KnobWrite } from './layout.js';
import type { DriverSteps } from './driver.js';
import { joinSteps } from './driver-fs.js';

/** One cgcreate for the box's cgroups (one undo each), one cgset per cgroup path in kernel order, then the join writes. */
export function renderWithCgroupTools(layout: CgroupLayout): DriverSteps {
  const setup: Step[] = [];
  if (layout.missingParents.length > 0) {
    setup.push({ kind: 'exec', argv: ['cgcreate', ...layout.missingParents.flatMap(groupArgs)], why: 'create the shared parent cgroup (kept for later boxes)' });
  }
  setup.push(...renderWrites(layout.parentWrites));
  // One cgcreate for every hierarchy (each cgcreate is a process that parses the mount table): one undo per cgroup.
  if (layout.boxes.length > 0) {
    setup.push({
      kind: 'exec',
      argv: ['cgcreate', ...layout.boxes.flatMap(groupArgs)],
      why: `the box's own cgroup${layout.boxes.length > 1 ? 's' : ''} (${layout.boxes.map((b) => b.controllers.join(',')).join('; ')})`,
      undo: { kind: 'remove-cgroup', path: dirOf(layout.boxes[0]!) },
      ...(layout.boxes.length > 1 ? { alsoUndo: layout.boxes.slice(1).map((box) => ({ kind: 'remove-cgroup' as const, path: dirOf(box) })) } : {}),
    });
  }
  setup.push(...renderWrites(layout.limits));
  return { setup, launchPrefix: [], join: joinSteps(layout) };
}

function groupArgs(dir: CgroupDir): string[] {
  return ['-g', `${dir.controllers.join(',')}:${dir.path}`];
}

/**
 * Consecutive writes to one cgroup become one cgset (it applies -r in order); cgroup.subtree_control has no
 * cgroup-tools equivalent and stays a file write. So do the devices rules: cgset keeps one value per key (several
 * -r devices.allow=... are silently dropped, exit 0) and reads back what it wrote, which a rule file never shows.
 */
function renderWrites(writes: readonly KnobWrite[]): Step[] {
  const steps: Step[] = [];
  let run: KnobWrite[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const path = run[0]!.dir.path;
    steps.push({
      kind: 'exec',
      argv: ['cgset', ...run.flatMap((w) => ['-r', `${w.file}=${w.value}`]), path],
      why: run.map((w) => w.why).join('; '),
    });
    run = [];
  };
  for (const write of writes) {
    if (write.file === 'cgroup.subtree_control' || write.file === 'devices.deny' || write.file === 'devices.allow') {
      flush();
      steps.push({ kind: 'write-file', path: `${dirOf(write.dir)}/${write.file}`, content: write.value, why: write.why });
      continue;
    }
    if (run.length > 0 && dirOf(run[0]!.dir) !== dirOf(write.dir)) flush();
    run.push(write);
  }
  flush();
  return steps;
}
