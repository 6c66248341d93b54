// The pieces every init script shares (an image box's, an OCI container's): how a step fails, how the root is
// entered, what the comment above the final exec says about the seccomp filter. The final exec itself is
// rootfs/final-exec.ts (capabilities, user, no_new_privs, seccomp last, the environment applied at the very end).

import type { BoxSeccomp } from '../seccomp/prepare.js';
import { toolboxArgv, type Toolbox } from '../rootfs/toolbox.js';

/** A failed step writes the tool's stderr, then "failed: <step>", on fd 3 (nsbox prints it) and exits 125. */
export const STEP_FUNCTION = 'step() { "$@" 2>&3 || { echo "failed: $*" >&3; exit 125; }; }';

/**
 * Enter the root ($R): pivot_root puts the old root on top of it; detach that lazily (nothing can reach it again).
 * From here on only the box's files exist, so umount runs from the toolbox. -i: umount(8) would otherwise run a
 * /sbin/umount.<type> helper for the old root's type, found in the box's root: the image's program, with every
 * capability and the host's root still attached.
 */
export function enterRootLines(toolbox: Toolbox): string[] {
  return ['cd "$R"', 'step pivot_root . .', `step ${toolboxArgv(toolbox, 'umount').join(' ')} -i -n -l .`];
}

/** The --explain comment of the loading step: what is loaded, by which tool, and why there. */
export function seccompComment(s: BoxSeccomp): string[] {
  const size = s.instructions > 0 ? ` (${s.instructions} BPF instructions)` : '';
  return [
    `#    seccomp: profile ${s.profile}${size}, from ${s.file}, loaded by ${s.loader === 'setpriv' ? 'setpriv --seccomp-filter' : 'the toolbox\'s perl (setpriv has --seccomp-filter only from util-linux 2.41)'}`,
    '#    last, after the capability drop and no_new_privs (so loading needs no privilege and nothing before it is',
    '#    filtered); the filter allows the execs that follow and stays on every process of the box.',
  ];
}
