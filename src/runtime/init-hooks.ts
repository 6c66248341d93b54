// The two hook phases that run inside the container (runtime-spec config.md), as init-script lines:
// createContainer in the container's namespaces after its mounts and before pivot_root (so a hook's path resolves
// as the runtime sees it), startContainer after the gate opens, just before the process (its path resolves in the
// container, so the image decides what runs: it runs with the process's privileges, as runc runs it after
// finalizeNamespace). Each gets the state JSON on stdin, its own argv (argv[0] as given: perl's `exec {PATH} ARGV`)
// and environment, and its timeout (alarm(2), which survives the exec). The other phases run in nsbox-runtime (hooks.ts).

import { quoteWord } from '../plan/quote.js';
import type { OciHook } from '../oci/container.js';

export interface InitHooks {
  readonly createContainer: readonly OciHook[];
  /** The createContainer state JSON, split where the init puts its host pid. */
  readonly createState: readonly [before: string, after: string];
  readonly startContainer: readonly OciHook[];
  /** The fifo `start` reads the startContainer hooks' verdict from (opened by the init before pivot_root, as fd 6). */
  readonly verdict: string;
}

/** Runs a hook: TIMEOUT PATH ARGV0 ARGS... (argv[0] is the hook's own, which sh cannot set). */
const RUN_HOOK = '$t = shift; $p = shift; alarm $t if $t > 0; exec { $p } @ARGV or die "cannot run $p: $!\\n"';

/** `PREFIX perl -e RUN_HOOK TIMEOUT PATH ARGV...`, quoted; PREFIX ends in `env -i -- VARS...`. */
function hookCommand(hook: OciHook, prefix: readonly string[], perl: readonly string[]): string {
  return [...prefix, ...perl, '-e', RUN_HOOK, String(hook.timeout ?? 0), hook.path, ...hook.args].map(quoteWord).join(' ');
}

/** The words that run a command with the container process's privileges and exactly `env` (ending `env -i -- VARS`). */
export type AsProcess = (env: readonly string[]) => readonly string[];

/** Before pivot_root: the host's env and perl; a failing hook fails create (its stderr and a "failed:" line on fd 3). */
export function createContainerLines(hooks: InitHooks): string[] {
  if (hooks.createContainer.length === 0) return [];
  return [
    '',
    '# hooks.createContainer: in the container\'s namespaces, after its mounts and before pivot_root, so each path',
    '# resolves as the runtime sees it; stdin is the state JSON. /proc here is still the host\'s: $hostpid is the pid',
    '# the caller knows (the shell opens /proc/self itself).',
    'read -r hostpid _ < /proc/self/stat',
    `state=${quoteWord(hooks.createState[0])}"$hostpid"${quoteWord(hooks.createState[1])}`,
    ...hooks.createContainer.map((h, i) => `printf '%s\\n' "$state" | ${hookCommand(h, ['env', '-i', '--', ...h.env], ['perl'])} 2>&3 5<&- 6>&- || { echo ${quoteWord(`failed: createContainer hook #${i} (${h.path})`)} >&3; exit 125; }`),
  ];
}

/**
 * After the gate: `start` wrote the state JSON into it; each hook runs from the toolbox's perl (the host's files are
 * gone) behind `asProcess`: the process's capability drop, no_new_privs, filter and user. The program at a hook's
 * path is the image's: with the init's privileges (every capability of the host's root) it read host files by
 * handle. The verdict goes to `start` on fd 6 (a failure stops the container, as runtime-spec asks).
 */
export function startContainerLines(hooks: InitHooks, asProcess: AsProcess, perl: readonly string[]): string[] {
  if (hooks.startContainer.length === 0) return [];
  return [
    '# hooks.startContainer: in the container, just before the process; `start` reads their verdict on fd 6.',
    ...hooks.startContainer.map((h, i) => `printf '%s\\n' "$state" | ${hookCommand(h, asProcess(h.env), perl)} 2>&6 6>&- || { echo ${quoteWord(`failed: startContainer hook #${i} (${h.path})`)} >&6; exit 125; }`),
    'exec 6>&-',
  ];
}
