// The two short scripts that start a container's init, so that the process tree is the one conmon and the
// containerd shim rely on. They are child subreapers: a container's exit status reaches them only if its process
// is reparented to them, and the kernel picks a subreaper at the dying parent's own pid-namespace level. So the
// process that forks the init sits in the host's pid namespace and exits at once (`unshare --pid` without --fork
// moves only the caller's children into the new namespace), leaving PID 1 to the caller. Pure.

import { namespaceInfo, type NamespaceName } from '../host/namespaces.js';
import { quoteWord } from '../plan/quote.js';

export interface LaunchInput {
  /** Each container cgroup's cgroup.procs: joined before anything forks, so everything starts inside. */
  readonly procsFiles: readonly string[];
  /** Namespaces to join by path (nsenter), e.g. the pod's network namespace. */
  readonly join: readonly { readonly type: NamespaceName; readonly path: string }[];
  /** New namespaces (unshare). */
  readonly unshare: readonly NamespaceName[];
  /** `run`: the forker stays the init's parent and exits with its status (nsbox-runtime itself waits). */
  readonly foreground: boolean;
}

/** argv of the launch: an empty environment (conmon's _OCI_* never reaches the container), host PATH only. */
export function launchArgv(input: LaunchInput, hostPath: string, initScript: string, args: readonly string[]): string[] {
  return ['env', '-i', `PATH=${hostPath}`, '/bin/sh', '-c', outerScript(input), 'nsbox-launch', forkerScript(input), initScript, ...args];
}

/** In the host's namespaces: join the cgroups, then enter or make the namespaces and run the forker there. */
export function outerScript(input: LaunchInput): string {
  const nsenter = input.join.length > 0 ? ['nsenter', ...input.join.map((j) => `${namespaceInfo(j.type).flag}=${j.path}`), ...(input.join.some((j) => j.type === 'pid') ? ['--no-fork'] : []), '--'] : [];
  const unshare = ['unshare', ...input.unshare.map((n) => namespaceInfo(n).flag), '--propagation', 'private', '--'];
  return [
    '# Tool errors go to nsbox-runtime (fd 3), not to the container\'s stderr (fd 2 is the caller\'s, kept on fd 4).',
    'exec 4>&2 2>&3',
    ...(input.procsFiles.length > 0
      ? ['# Join the container\'s cgroups first: the init and all it forks start inside the limits.', `for f in ${input.procsFiles.map(quoteWord).join(' ')}; do echo $$ > "$f" || { echo "failed: join the cgroup $f" >&3; exit 125; }; done`]
      : []),
    'fork=$1; shift',
    `exec ${[...nsenter, ...unshare].map(quoteWord).join(' ')} /bin/sh -c "$fork" nsbox-fork "$@"`,
  ].join('\n');
}

/** In the new namespaces but still the host's pid namespace: start the init (PID 1 there), say its pid, exit. */
export function forkerScript(input: LaunchInput): string {
  return [
    'init=$1; shift',
    'exec 2>&4 4>&-  # the caller\'s stderr again',
    'exec 4<&0  # a background job would get /dev/null as stdin: hand the caller\'s to the init',
    '/bin/sh -c "$init" nsbox-init "$@" <&4 4<&- &',
    'echo "pid $!" >&3',
    'exec 3>&- 4<&-',
    ...(input.foreground
      ? ['# run: stay the init\'s parent and exit with its status.', 'wait $!', 'exit $?']
      : ['# create: exit now; the init is reparented to the caller (a child subreaper: conmon, the shim).', 'exit 0']),
  ].join('\n');
}
