// The argv of `nsbox exec`: join the box's cgroups, enter every namespace of its PID 1 with nsenter, its root and
// working directory, its user, and (when PID 1 runs with fewer capabilities or no_new_privs) the same limits.
// Pure: the facts about PID 1 are read by the caller.

import { joinPrefix } from '../cgroup/driver-fs.js';
import { decodeCapabilities } from '../ns/cap-names.js';

/** What exec needs to know about the box's PID 1, read from /proc/<pid>/status. */
export interface InitFacts {
  readonly pid: number;
  /** CapBnd of PID 1, and of nsbox itself: equal means no capability was dropped. */
  readonly capBnd: string;
  readonly ownCapBnd: string;
  readonly noNewPrivs: boolean;
}

export interface ExecRequest {
  readonly command: readonly string[];
  readonly workdir: string | undefined;
  readonly runAs: { readonly uid: number; readonly gid: number } | undefined;
  /** cgroup.procs files of the box's cgroups. */
  readonly procsFiles: readonly string[];
}

/** cd inside the box (with the box's own sh: nsenter --wd=DIR would resolve DIR in the host's root). */
const CD = ['/bin/sh', '-c', 'cd -- "$1" || exit 126; shift; exec "$@"', 'nsbox-exec'];

/** The full argv: [sh join-cgroups] nsenter ... -- [limits] CMD. */
export function buildExecArgv(facts: InitFacts, request: ExecRequest): string[] {
  const target = String(facts.pid);
  const inBox = request.workdir === undefined ? [...request.command] : [...CD, request.workdir, ...request.command];
  const restricted = facts.capBnd !== facts.ownCapBnd || facts.noNewPrivs;
  if (!restricted) {
    const user = request.runAs ? ['--setuid', String(request.runAs.uid), '--setgid', String(request.runAs.gid)] : [];
    return [...joinPrefix(request.procsFiles), 'nsenter', '--target', target, '--all', '--root', '--wd', ...user, '--', ...inBox];
  }
  // A box with dropped capabilities: nsenter needs its own (CAP_SYS_ADMIN) to enter, and setpriv/chroot are host
  // tools. So: enter the namespaces but keep the host's root (--root=/), drop to PID 1's bounding set and
  // no_new_privs with the host's setpriv, then chroot (CAP_SYS_CHROOT is in Docker's default set) into PID 1's root.
  const caps = decodeCapabilities(facts.capBnd);
  const limits = ['setpriv', `--bounding-set=-all${caps.map((c) => `,+${c.replace(/^cap_/, '')}`).join('')}`, '--inh-caps=-all', ...(facts.noNewPrivs ? ['--no-new-privs'] : []), '--'];
  const user = request.runAs ? [`--userspec=${request.runAs.uid}:${request.runAs.gid}`] : [];
  return [
    ...joinPrefix(request.procsFiles),
    'nsenter', '--target', target, '--all', '--root=/', '--wd=/', '--',
    ...limits,
    'chroot', ...user, `/proc/${target}/root`,
    ...(request.workdir === undefined ? request.command : inBox),
  ];
}
