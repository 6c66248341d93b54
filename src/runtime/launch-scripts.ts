// The two short scripts that start a container's init, so that the process tree is the one conmon and the
// containerd shim rely on. They are child subreapers: a container's exit status reaches them only if its process
// is reparented to them, and the kernel picks a subreaper at the dying parent's own pid-namespace level. So the
// process that forks the init sits in the host's pid namespace and exits at once (`unshare --pid` without --fork
// moves only the caller's children into the new namespace), leaving PID 1 to the caller. Pure.

import { namespaceInfo, type NamespaceName } from '../host/namespaces.js';
import { quoteWord } from '../plan/quote.js';
import { connectConsoleArgv } from '../oci/console-socket.js';
import type { OciTimeOffset } from '../oci/container.js';
import { timeNamespaceWords } from './time-offsets.js';

/** Where the init finds the console socket's connection when the launch made it (a new user namespace). */
export const CONSOLE_FD = 8;

export interface LaunchInput {
  /** Each container cgroup's file a self-move writes 0 into (selfJoinFile): joined before anything forks, so everything starts inside. */
  readonly cgroupJoinFiles: readonly string[];
  /** Namespaces to join by path (nsenter), e.g. the pod's network namespace. */
  readonly join: readonly { readonly type: NamespaceName; readonly path: string }[];
  /** New namespaces (unshare). */
  readonly unshare: readonly NamespaceName[];
  /** `run`: the forker stays the init's parent and exits with its status (nsbox-runtime itself waits). */
  readonly foreground: boolean;
  /** linux.timeOffsets of the new time namespace: unshare writes them before its exec enters it. */
  readonly timeOffsets?: readonly OciTimeOffset[];
  /** A new user namespace (linux.uidMappings): its maps as /proc/PID/uid_map text, and the fifo the two sides meet at. */
  readonly userns?: { readonly uidMap: string; readonly gidMap: string; readonly gate: string };
  /**
   * In a user namespace (new, or a pod's joined by path): the console socket, connected here as the host's root (its
   * path may be out of the mapped root's reach: conmon's is 0755, the shim's dir 0700), the connection on CONSOLE_FD.
   */
  readonly connectConsole?: string;
}

/** argv of the launch: an empty environment (conmon's _OCI_* never reaches the container), host PATH only. */
export function launchArgv(input: LaunchInput, hostPath: string, initScript: string, args: readonly string[]): string[] {
  return ['env', '-i', `PATH=${hostPath}`, '/bin/sh', '-c', outerScript(input), 'nsbox-launch', forkerScript(input), initScript, ...args];
}

/** In the host's namespaces: join the cgroups, then enter or make the namespaces and run the forker there. */
export function outerScript(input: LaunchInput): string {
  const nsenter = input.join.length > 0 ? ['nsenter', ...input.join.map((j) => `${namespaceInfo(j.type).flag}=${j.path}`), ...(input.join.some((j) => j.type === 'pid') ? ['--no-fork'] : []), '--'] : [];
  const userns = input.userns;
  // A new time namespace's offsets: unshare's own flags, or (nanoseconds) a program after it that makes the namespace.
  const time = input.unshare.includes('time') ? timeNamespaceWords(input.timeOffsets ?? []) : { unshareFlags: [], wrapper: [] };
  const flags = input.unshare.filter((n) => !(userns && n === 'user')).flatMap((n) => (n === 'time' ? time.unshareFlags : [namespaceInfo(n).flag]));
  const unshare = ['unshare', ...flags, '--propagation', 'private', '--', ...time.wrapper];
  if (userns) {
    // The console socket's path may be out of the mapped root's reach (conmon's is 0755, the shim's dir 0700): the
    // connection is made here, as the host's root, and the init sends the master over it (fd 8).
    const console = input.connectConsole !== undefined ? connectConsoleArgv(input.connectConsole, CONSOLE_FD) : [];
    const enter = [...console, ...nsenter, 'nsenter', '--user=/proc/$holder/ns/user', '--', ...unshare];
    return [
      '# Tool errors go to nsbox-runtime (fd 3), not to the container\'s stderr (fd 2 is the caller\'s, kept on fd 4).',
      'exec 4>&2 2>&3',
      ...joinLines(input),
      'fork=$1; shift',
      '# linux.uidMappings: a holder makes the user namespace; root writes its maps itself (newuidmap would refuse ranges',
      '# not in /etc/subuid; setgroups stays "allow", as runc leaves it). The holder waits at the fifo, and ends once',
      '# the forker, in the namespace, closes fd 7 (it is in the container\'s cgroups: a failed create kills it too).',
      `unshare --user -- /bin/sh -c ${quoteWord(USERNS_HOLDER)} nsbox-userns ${quoteWord(userns.gate)} </dev/null >/dev/null 3>&- 4>&- &`,
      'holder=$!',
      `exec 7>${quoteWord(userns.gate)}  # returns once the holder opened its end: it is in its user namespace then`,
      `printf '%s' ${quoteWord(userns.uidMap)} > /proc/$holder/uid_map || { echo "failed: write /proc/$holder/uid_map" >&3; exit 125; }`,
      `printf '%s' ${quoteWord(userns.gidMap)} > /proc/$holder/gid_map || { echo "failed: write /proc/$holder/gid_map" >&3; exit 125; }`,
      '# Namespaces joined by path first (they belong to the host\'s user namespace), then the held one: nsenter becomes',
      '# its root (the mapped host uid) with every capability there, and the new namespaces are made inside it.',
      `exec ${enter.map((w) => (w.includes('$holder') ? `"${w}"` : quoteWord(w))).join(' ')} /bin/sh -c "$fork" nsbox-fork "$@"`,
    ].join('\n');
  }
  return [
    '# Tool errors go to nsbox-runtime (fd 3), not to the container\'s stderr (fd 2 is the caller\'s, kept on fd 4).',
    'exec 4>&2 2>&3',
    ...joinLines(input),
    'fork=$1; shift',
    ...(input.connectConsole !== undefined ? ['# The console socket is connected here, before nsenter joins the user namespace (the init sends the master on fd 8).'] : []),
    `exec ${[...(input.connectConsole !== undefined ? connectConsoleArgv(input.connectConsole, CONSOLE_FD) : []), ...nsenter, ...unshare].map(quoteWord).join(' ')} /bin/sh -c "$fork" nsbox-fork "$@"`,
  ].join('\n');
}

/** In the new namespaces but still the host's pid namespace: start the init (PID 1 there), say its pid, exit. */
export function forkerScript(input: LaunchInput): string {
  return [
    'init=$1; shift',
    'exec 2>&4 4>&-  # the caller\'s stderr again',
    ...(input.userns ? ['exec 7>&-  # the user namespace is held from here on: its holder may go'] : []),
    'exec 4<&0  # a background job would get /dev/null as stdin: hand the caller\'s to the init',
    '/bin/sh -c "$init" nsbox-init "$@" <&4 4<&- &',
    'echo "pid $!" >&3',
    'exec 3>&- 4<&-',
    ...(input.foreground
      ? ['# run: stay the init\'s parent and exit with its status.', 'wait $!', 'exit $?']
      : ['# create: exit now; the init is reparented to the caller (a child subreaper: conmon, the shim).', 'exit 0']),
  ].join('\n');
}

/** The user namespace's holder: unshare, then wait at the fifo until its writers (the outer shell, then the forker) close. */
const USERNS_HOLDER = 'exec 6<"$1"; read -r _ <&6';

/**
 * This shell moves itself into the container's cgroups (0: the writer; on v1 into `tasks`, which skips the lock a
 * move by PID takes and its RCU wait, see selfJoinFile), before it forks anything.
 */
function joinLines(input: LaunchInput): string[] {
  if (input.cgroupJoinFiles.length === 0) return [];
  return ['# Join the container\'s cgroups first (a self-move): the init and all it forks start inside the limits.', `for f in ${input.cgroupJoinFiles.map(quoteWord).join(' ')}; do echo 0 > "$f" || { echo "failed: join the cgroup $f" >&3; exit 125; }; done`];
}
