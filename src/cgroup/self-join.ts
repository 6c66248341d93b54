// How a box's own shell joins its cgroups: the file it writes 0 into (0 is "the writer itself"), and the lines.

import type { CgroupVersion } from './detect.js';
import { quoteWord } from '../plan/quote.js';

/**
 * v1: a single-threaded process that writes 0 into a hierarchy's `tasks` moves itself without the kernel's global
 * threadgroup lock (kernel/cgroup/cgroup.c, cgroup_procs_write_start: a self-move of one thread needs no threadgroup
 * stability). Any PID written to cgroup.procs takes that lock, and its first writer after a quiet spell waits out
 * an RCU grace period: 10-50 ms on this host, where the self-move takes 0.03 ms. v2 has no such path (a domain
 * cgroup takes whole processes), so there it is cgroup.procs, which moves the writer's whole process.
 */
export function selfJoinFile(dir: string, version: CgroupVersion): string {
  return version === 1 ? `${dir}/tasks` : `${dir}/cgroup.procs`;
}

/**
 * Lines for a box's shell that holds the gate (a dash: one thread), right after it: it joins its cgroups before it
 * forks anything, so everything the box starts is inside. A failure says so on fd 3 and exits 125 (set-up failed).
 */
export function selfJoinLines(files: readonly string[]): string[] {
  if (files.length === 0) return [];
  return [
    '# Join the box\'s cgroups: this shell moves itself (0 = the writer) before it forks anything, so everything the box',
    '# starts is inside; on v1 a self-move skips the lock a move by PID takes (it waits out an RCU grace period).',
    ...files.map((f) => `echo 0 2>&3 >${quoteWord(f)} || { echo ${quoteWord(`failed: join the box's cgroup ${f}`)} >&3; exit 125; }`),
  ];
}
