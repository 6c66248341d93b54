// Fault injection for crash-safety tests: NSBOX_FAULT=<point> makes nsbox SIGKILL itself when it reaches that point.
// Points: step:<n> (before plan step n, from 1), a step kind (before its first step: launch, release, ...), and the
// lifecycle's own (created, named, detached, recorded). Unset in normal use: one env lookup per point.

const FAULT = process.env.NSBOX_FAULT;

/** SIGKILL this process if NSBOX_FAULT names `point` (no cleanup runs: that is the point). */
export function injectFault(...points: readonly string[]): void {
  if (FAULT !== undefined && points.includes(FAULT)) process.kill(process.pid, 'SIGKILL');
}
