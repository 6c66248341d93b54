// The last exec of a box's command, shared by the image init (`run`) and `nsbox exec`: setpriv drops the
// capabilities, sets no_new_privs and changes user; only then does env, from the toolbox, replace the (empty)
// environment with the box's and exec the command. The box's variables (image Env, -e, --env-file) so never reach
// a process that still holds privileges: an image `Env LD_PRELOAD=/x.so` loads /x.so into the command only, as
// Docker and runc do (they apply the environment at the final execve too).
//
// One place builds this argv so a step can go between the drop and the command (the seccomp loader goes right
// after setpriv: see LOADER_SLOT below).

import { formatBoundingSet } from './capabilities.js';
import { toolboxArgv, type Toolbox } from './toolbox.js';

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
}

/**
 * The words before the command: `setpriv ... -- env -i [--chdir=DIR] K=V ... --`. Plain words, unquoted: the
 * init script quotes them, exec passes them as argv. The command's words follow.
 */
export function buildFinalExecArgv(input: FinalExecInput): string[] {
  return [...capabilityDrop(input), ...LOADER_SLOT(input), ...environmentApplier(input)];
}

/** setpriv from the toolbox: user, groups, bounding and inheritable sets, no_new_privs. */
export function capabilityDrop(input: FinalExecInput): string[] {
  const args = [`--reuid=${input.uid}`, `--regid=${input.gid}`, input.groups.length > 0 ? `--groups=${input.groups.join(',')}` : '--clear-groups'];
  args.push(`--bounding-set=${formatBoundingSet(input.capabilities)}`, '--inh-caps=-all');
  if (input.noNewPrivs) args.push('--no-new-privs');
  if (input.pdeathsig) args.push('--pdeathsig=KILL');
  return [...toolboxArgv(input.toolbox, 'setpriv'), ...args, '--'];
}

/**
 * Where a step runs after the capability drop and before the environment is applied (so the box's LD_PRELOAD
 * cannot reach it either): the seccomp filter loader. Empty for now.
 */
const LOADER_SLOT = (_input: FinalExecInput): string[] => [];

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
