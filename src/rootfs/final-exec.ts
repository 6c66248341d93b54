// The last exec of a box's command, shared by the image init (`run`), `nsbox exec` and the OCI init and exec: setpriv drops the
// capabilities, sets no_new_privs and changes user; only then does env, from the toolbox, replace the (empty)
// environment with the box's and exec the command. The box's variables (image Env, -e, --env-file) so never reach
// a process that still holds privileges: an image `Env LD_PRELOAD=/x.so` loads /x.so into the command only, as
// Docker and runc do (they apply the environment at the final execve too).
//
// Between the drop and env: the seccomp filter (src/seccomp/loader.ts), loaded by setpriv itself where it can,
// else by the toolbox's perl, which then execs env. Loading it last means it needs no privilege (no_new_privs is
// set) and filters everything the command and env do, while nothing the box controls runs before it.
//
// The user and groups are changed by a second setpriv, after the drop and the filter: setpriv looks every
// --reuid/--regid/--groups value up with getpwnam(3)/getgrnam(3) even when it is a number, and glibc then reads the
// box's /etc/nsswitch.conf and dlopen()s the NSS modules it names from the box's /lib. In the first setpriv that
// was the image's code running with every capability of the host's root and no filter (an escape through
// open_by_handle_at); in the second it runs as the box's root, filtered, with the box's capabilities plus the
// three that changing the user needs (setuid, setgid; setpcap to drop those two from the bounding set after).

import { formatBoundingSet } from './capabilities.js';
import { toolboxArgv, type Toolbox } from './toolbox.js';
import { loaderWords, type SeccompLoader } from '../seccomp/loader.js';
import type { ArchName } from '../seccomp/arches.js';

export interface FinalExecInput {
  readonly toolbox: Toolbox;
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups; empty clears them. */
  readonly groups: readonly number[];
  /** The bounding set the command keeps (capability names without cap_). */
  readonly capabilities: readonly string[];
  readonly noNewPrivs: boolean;
  /** The command's whole environment (nothing else is inherited). */
  readonly env: Readonly<Record<string, string>>;
  /** Change to this directory (resolved in the box, as the command's user) just before the exec. */
  readonly workdir?: string;
  /** Kill the command when its parent dies (PID 1 of `run`: the reaper outside the pid namespace). */
  readonly pdeathsig?: boolean;
  /** The seccomp filter to load last (its program file as the box sees it); undefined: unconfined. */
  readonly seccomp?: { readonly loader: SeccompLoader; readonly file: string; readonly arch: ArchName };
  /** OCI's inheritable set (default: cleared). Ambient capabilities are made inheritable too (capabilities(7)). */
  readonly inheritable?: readonly string[];
  /** OCI's ambient set (default: none raised). */
  readonly ambient?: readonly string[];
  /** An AppArmor profile to change to at the exec (OCI's process.apparmorProfile, where AppArmor is on). */
  readonly apparmorProfile?: string;
  /** Words run right after the drop, before the filter and env; each execs the rest (nsbox-runtime's fd mover). */
  readonly afterDrop?: readonly string[];
  /**
   * The process that runs these words is already uid 0 and gid 0 (nsbox's own, as root): a box user 0:0 then needs
   * no change of user, and the second setpriv can go (identityKept).
   */
  readonly startsAsRoot?: boolean;
  /**
   * The caller puts nothing between the environment and the command (no --init reaper words): with identityKept and
   * the perl loader, that perl sets the environment itself before its exec, and env(1) goes (one process less).
   */
  readonly loaderMayApplyEnv?: boolean;
}

/**
 * The words before the command: `setpriv ... -- env -i [--chdir=DIR] K=V ... --`. Plain words, unquoted: the
 * init script quotes them, exec passes them as argv. The command's words follow.
 */
export function buildFinalExecArgv(input: FinalExecInput): string[] {
  if (identityKept(input)) {
    if (loaderAppliesEnv(input)) {
      return [...keptIdentityDrop(input), ...loaderFor(input, true).prefix, ...Object.entries(input.env).map(([k, v]) => `${k}=${v}`), '--'];
    }
    return [...keptIdentityDrop(input), ...seccompLoader(input), ...environmentApplier(input)];
  }
  return [...capabilityDrop(input), ...(input.afterDrop ?? []), ...seccompLoader(input), ...identitySwitch(input), ...environmentApplier(input)];
}

/**
 * True when the second setpriv would change nothing but the groups: the process is root already, the box's user is
 * 0:0 with no supplementary groups, its bounding set keeps setuid, setgid and setpcap anyway (Docker's default set
 * does), no ambient capability or AppArmor profile. One setpriv then drops, clears the groups (no name is looked up:
 * --clear-groups reads no NSS module) and sets the parent-death signal; the filter and env follow as before. One
 * process less per start (issue 14).
 */
export function identityKept(input: FinalExecInput): boolean {
  return input.startsAsRoot === true && input.uid === 0 && input.gid === 0 && input.groups.length === 0
    && !(input.ambient && input.ambient.length > 0) && !input.apparmorProfile && !(input.afterDrop && input.afterDrop.length > 0)
    && SWITCH_CAPS.every((c) => input.capabilities.includes(c));
}

/** identityKept's one setpriv: the box's own bounding set, no user or group named, groups cleared. */
function keptIdentityDrop(input: FinalExecInput): string[] {
  const inheritable = [...new Set(input.inheritable ?? [])];
  const args = [`--bounding-set=${formatBoundingSet(input.capabilities)}`, `--inh-caps=${['-all', ...inheritable.map((n) => `+${n}`)].join(',')}`];
  if (input.noNewPrivs) args.push('--no-new-privs');
  args.push('--clear-groups');
  if (input.pdeathsig) args.push('--pdeathsig=KILL');
  args.push(...loaderFor(input).setprivArgs);
  return [...toolboxArgv(input.toolbox, 'setpriv'), ...args, '--'];
}

/**
 * setpriv from the toolbox, while nsbox's own privileges are still held: bounding and inheritable sets,
 * no_new_privs. No option that names a user or group (those read the box's NSS configuration: identitySwitch).
 */
export function capabilityDrop(input: FinalExecInput): string[] {
  const inheritable = [...new Set([...(input.inheritable ?? []), ...(input.ambient ?? [])])];
  const kept = [...input.capabilities, ...SWITCH_CAPS.filter((c) => !input.capabilities.includes(c))];
  const args = [`--bounding-set=${formatBoundingSet(kept)}`, `--inh-caps=${['-all', ...inheritable.map((n) => `+${n}`)].join(',')}`];
  if (input.noNewPrivs) args.push('--no-new-privs');
  args.push(...loaderFor(input).setprivArgs);
  return [...toolboxArgv(input.toolbox, 'setpriv'), ...args, '--'];
}

/** What the second setpriv needs to change the user, kept in the first one's bounding set until then. */
const SWITCH_CAPS = ['setuid', 'setgid', 'setpcap'];

/**
 * The second setpriv, after the drop and the filter: the box's own bounding set (setpriv drops it before it changes
 * the user), user and groups, then what a change of user clears (ambient capabilities; the parent-death signal,
 * which the kernel resets on a credential change) and the AppArmor profile of the exec.
 */
export function identitySwitch(input: FinalExecInput): string[] {
  const args = [`--bounding-set=${formatBoundingSet(input.capabilities)}`, `--reuid=${input.uid}`, `--regid=${input.gid}`, input.groups.length > 0 ? `--groups=${input.groups.join(',')}` : '--clear-groups'];
  if (input.ambient && input.ambient.length > 0) args.push(`--ambient-caps=${['-all', ...input.ambient.map((n) => `+${n}`)].join(',')}`);
  if (input.apparmorProfile) args.push(`--apparmor-profile=${input.apparmorProfile}`);
  if (input.pdeathsig) args.push('--pdeathsig=KILL');
  return [...toolboxArgv(input.toolbox, 'setpriv'), ...args, '--'];
}

/**
 * After the capability drop and before the environment is applied (so the box's LD_PRELOAD cannot reach it
 * either): perl from the toolbox loading the filter, then exec-ing env. Empty when setpriv loads it.
 */
function seccompLoader(input: FinalExecInput): string[] {
  return [...loaderFor(input).prefix];
}

function loaderFor(input: FinalExecInput, appliesEnv = false): { setprivArgs: readonly string[]; prefix: readonly string[] } {
  const s = input.seccomp;
  if (!s) return { setprivArgs: [], prefix: [] };
  return loaderWords(s.loader, s.file, s.arch, toolboxArgv(input.toolbox, 'perl'), appliesEnv);
}

/** The toolbox's perl loads the filter and is the last process before the command: it can set the environment too. */
export function loaderAppliesEnv(input: FinalExecInput): boolean {
  return input.loaderMayApplyEnv === true && input.seccomp?.loader === 'perl' && input.workdir === undefined && identityKept(input);
}

/**
 * env from the toolbox: -i starts from nothing, then the box's variables; it execs the command with execvp, so
 * the command is looked up in the box's own PATH (Docker's rule). `--` ends env's options; a variable's value
 * may hold anything (it is one argv word).
 */
export function environmentApplier(input: FinalExecInput): string[] {
  const chdir = input.workdir === undefined ? [] : [`--chdir=${input.workdir}`];
  const vars = Object.entries(input.env).map(([k, v]) => `${k}=${v}`);
  return [...toolboxArgv(input.toolbox, 'env'), '-i', ...chdir, '--', ...vars];
}

/** env takes a first word with "=" for a variable: refuse such a command name rather than run something else. */
export function checkCommandName(argv: readonly string[]): string | undefined {
  const first = argv[0];
  return first !== undefined && first.includes('=') ? `cannot run ${JSON.stringify(first)}: a command name cannot contain "="` : undefined;
}
