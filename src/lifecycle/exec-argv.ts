// The argv of `nsbox exec`. Pure: the facts about PID 1 are read by the caller.
//
// Image boxes (untrusted images, untrusted box processes), the answers to runc's CVE-2019-5736 and CVE-2024-21626
// built from stock tools:
//  1. On the host, in a throw-away private mount namespace, nsenter is bind-mounted read-only over itself. The one
//     host executable that ever runs inside the box (nsenter's child, between its fork and its exec) is then a file
//     on a read-only mount: /proc/PID/exe cannot be opened for writing (EROFS), not even via an O_PATH fd later.
//  2. nsenter joins the cgroup-placed process to every namespace of PID 1 *without* --root/--wd: setns(2) into the
//     mount namespace sets root and cwd to that namespace's root (the box's, after pivot_root), and nsenter forks
//     into the pid namespace only after every setns. So nothing of the host's tree is ever the root or cwd of a
//     process a box process can see, and PID 1 (box code, which may chroot) has no say over where exec lands.
//  3. The child execs the box's toolbox (host setpriv and env, read-only bind mounts under a read-only toolbox
//     mount, run through the loader): setpriv drops to PID 1's bounding set and no_new_privs, then env applies the
//     box's environment and -w (resolved inside the box, after the drop) and execs the command (final-exec.ts).
//     Nothing from the box's files runs while privileges are held, and the box's /bin/sh is never used.
// The caller closes every fd above 2 first and gives the host tools a fixed environment.
//
// Host-root boxes (not sandboxes) have no toolbox: nsenter enters root and cwd of PID 1 and runs the command,
// through the host's setpriv when PID 1 has dropped capabilities.

import { joinPrefix } from '../cgroup/driver-fs.js';
import { newSessionKeyringArgv } from '../host/session-keyring.js';
import { decodeCapabilities } from '../ns/cap-names.js';
import { buildFinalExecArgv, environmentApplier, type FinalExecInput } from '../rootfs/final-exec.js';
import { DEFAULT_EXEC_PATH, execCheckScript } from './exec-check.js';
import { toolboxArgv, type Toolbox } from '../rootfs/toolbox.js';
import { prlimitPrefix } from '../plan/rlimit-step.js';
import type { OciRlimit } from '../oci/container.js';

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
  /** The box's name (or short id), for the check's message (exec-check.ts). */
  readonly label?: string;
  readonly workdir: string | undefined;
  readonly runAs: { readonly uid: number; readonly gid: number } | undefined;
  /** The files of the box's cgroups a self-move writes 0 into (selfJoinFile). */
  readonly cgroupJoinFiles: readonly string[];
  /**
   * -t: inside the box's pid namespace, `setsid --ctty` (the toolbox's in an image box, the host's in a host-root box)
   * makes the command the leader of a new session whose controlling terminal is the pty on its fd 0 (a leader outside,
   * invisible to the box, breaks job control: a shell cannot give the terminal back when it exits).
   */
  readonly ctty?: boolean;
  /** The box's --ulimit: set on the host, before nsenter, so the command inherits them (Docker's exec has them too). */
  readonly rlimits?: readonly OciRlimit[];
  /** Image boxes: supplementary groups of the command (setpriv --groups); absent: none. */
  readonly groups?: readonly number[];
  /**
   * exec -d: the command outlives its `nsbox exec` (no parent-death signals), its stdio is the box's /dev/null, and
   * the check writes EXEC_STARTED on stderr once the command is found (exec-check.ts).
   */
  readonly detached?: boolean;
}

export interface ImageExecRequest extends ExecRequest {
  /** The box's toolbox (as mounted in it when it started). */
  readonly toolbox: Toolbox;
  /** The command's whole environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Host paths nsbox resolved: nsenter (its real path), unshare, mount, sh. */
  readonly tools: { readonly nsenter: string; readonly unshare: string; readonly mount: string; readonly sh: string };
}

/**
 * The exec'd command dies with its `nsbox exec` (as a box dies with `nsbox run`): nsenter's parent gets SIGKILL when
 * nsbox dies (this prefix: host setpriv, before anything else), and the command gets it when nsenter's parent dies
 * (--pdeathsig on the setpriv that starts it). What the command started itself stays until the box stops.
 */
const DIE_WITH_NSBOX = ['setpriv', '--pdeathsig', 'KILL', '--'];

/** In a private mount namespace: nsenter read-only over itself, then run it ($0 is its path). */
const READ_ONLY_NSENTER = 'mount --bind -o ro -- "$0" "$0" || exit 125; exec "$0" "$@"';

/** An image box: [join cgroups] unshare -m sh (ro nsenter) nsenter --all -- setpriv ... -- env ... CMD. */
export function buildImageExecArgv(facts: InitFacts, request: ImageExecRequest): string[] {
  const t = request.tools;
  const caps = decodeCapabilities(facts.capBnd).map((c) => c.replace(/^cap_/, ''));
  const user = request.runAs ?? { uid: 0, gid: 0 };
  const input: FinalExecInput = {
    toolbox: request.toolbox,
    uid: user.uid,
    gid: user.gid,
    groups: request.groups ?? [],
    capabilities: caps,
    noNewPrivs: facts.noNewPrivs,
    env: request.env,
    workdir: request.workdir,
    // The box's own filter, from its toolbox: an exec'd process is confined like the command (Docker does the same).
    ...(request.toolbox.seccomp ? { seccomp: request.toolbox.seccomp } : {}),
    pdeathsig: !request.detached,
  };
  const final = withCommandCheck(buildFinalExecArgv(input), input, request);
  return [
    ...prlimitPrefix(request.rlimits),
    ...enterImageBox(facts, request.cgroupJoinFiles, t, { detached: request.detached, ownSessionKeyring: request.toolbox.ownSessionKeyring }),
    ...(request.ctty ? [...toolboxArgv(request.toolbox, 'setsid'), '--ctty', '--'] : []),
    ...final,
    ...request.command,
  ];
}

/** The way into an image box that exec takes (1 and 2 above), up to the words that run inside it (nsbox cp's too). */
export function enterImageBox(facts: InitFacts, cgroupJoinFiles: readonly string[], t: ImageExecRequest['tools'], options: { readonly detached?: boolean; readonly ownSessionKeyring?: boolean } = {}): string[] {
  return [
    ...(options.detached ? [] : DIE_WITH_NSBOX),
    // Not the caller's session keyring (session-keyring.ts): the box's filter may let keyctl through.
    ...(options.ownSessionKeyring ? newSessionKeyringArgv() : []),
    ...joinPrefix(cgroupJoinFiles),
    t.unshare, '--mount', '--propagation', 'private', '--',
    t.sh, '-c', READ_ONLY_NSENTER, t.nsenter,
    // The mount namespace first (nsenter opens a named one while it reads its options), then --all's look at the user
    // namespace: PID 1 unsharing both in between puts nsenter in its user namespace too, never host root in its mount
    // one (init-namespaces-check.ts).
    `--mount=/proc/${facts.pid}/ns/mnt`, '--target', String(facts.pid), '--all', '--',
  ];
}
/**
 * The toolbox's sh checks the command (exec-check.ts) as the box's user, right before env applies the box's
 * environment; the check reads the box's PATH from the words, so nothing of the box's environment reaches the shell.
 * A box made before its toolbox had sh: no check (env's own message).
 */
function withCommandCheck(final: readonly string[], input: FinalExecInput, request: ImageExecRequest): string[] {
  if (!request.toolbox.shell || request.command.length === 0) return [...final];
  const env = environmentApplier(input);
  const check = [...toolboxArgv(request.toolbox, request.toolbox.shell), '-c', execCheckScript(request.label ?? 'box', request.env.PATH ?? DEFAULT_EXEC_PATH, { detached: request.detached }), 'nsbox-exec', request.command[0]!, request.workdir ?? ''];
  return [...final.slice(0, final.length - env.length), ...check, ...env];
}

const CTTY = ['setsid', '--ctty', '--'];

/**
 * A host-root box: [sh join-cgroups] nsenter --all --root --wd [user] -- CMD; when PID 1 runs with fewer
 * capabilities or no_new_privs, the host's setpriv gives the command the same limits (and the user) first.
 */
export function buildHostExecArgv(facts: InitFacts, request: ExecRequest): string[] {
  // The box's sh (the host's, in a host-root box) enters -w and checks the command, with the PATH it inherits.
  const inBox = ['/bin/sh', '-c', execCheckScript(request.label ?? 'box', undefined, { enterWorkdir: true, detached: request.detached }), 'nsbox-exec', request.command[0] ?? '', request.workdir ?? '', ...request.command];
  const enter = [...prlimitPrefix(request.rlimits), ...(request.detached ? [] : DIE_WITH_NSBOX), ...joinPrefix(request.cgroupJoinFiles), 'nsenter', '--target', String(facts.pid), '--all', '--root', '--wd'];
  const restricted = facts.capBnd !== facts.ownCapBnd || facts.noNewPrivs;
  const ctty = request.ctty ? CTTY : [];
  if (!restricted) {
    // A host-root box: setsid is the host's, in its root.
    const user = request.runAs ? ['--setuid', String(request.runAs.uid), '--setgid', String(request.runAs.gid)] : [];
    return [...enter, ...user, '--', ...ctty, ...(request.detached ? [] : ['setpriv', '--pdeathsig', 'KILL', '--']), ...inBox];
  }
  const caps = decodeCapabilities(facts.capBnd).map((c) => `,+${c.replace(/^cap_/, '')}`).join('');
  const user = request.runAs ? [`--reuid=${request.runAs.uid}`, `--regid=${request.runAs.gid}`, '--clear-groups'] : [];
  return [...enter, '--', ...ctty, 'setpriv', ...user, `--bounding-set=-all${caps}`, '--inh-caps=-all', ...(facts.noNewPrivs ? ['--no-new-privs'] : []), ...(request.detached ? [] : ['--pdeathsig=KILL']), '--', ...inBox];
}
