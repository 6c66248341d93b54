// The box's /etc/ld.so.preload, made empty and read-only. The toolbox's tools (umount, setpriv, env, perl) run
// through the host's dynamic loader with the box's root as theirs, and ld.so loads every library that file names,
// whoever runs it, even when invoked explicitly with --library-path: an image (or a box process, for a later
// `nsbox exec`) could otherwise run its own code in PID 1 before the capability drop, in exec's setpriv with every
// capability, and in the seccomp loader before the filter. So /etc itself becomes a mount point (bound onto itself:
// a box process cannot rename it away and put another /etc in its place) and /etc/ld.so.preload a read-only bind of
// an empty file in the container's directory (ld.so reads nothing from it; writes fail with EROFS). Images lose /etc/ld.so.preload (their LD_PRELOAD still works:
// it reaches only the command). A box with CAP_SYS_ADMIN can undo mounts and is not a sandbox anyway.

import type { FstabEntry } from './fstab.js';
import type { UserMount } from './mount-flags.js';

export const PRELOAD_FILE = 'etc/ld.so.preload';

/** Whether the guard applies: not when a user mount covers /etc or the file itself (that content is the user's). */
export function guardsPreload(mounts: readonly UserMount[]): boolean {
  return !mounts.some((m) => ['etc', PRELOAD_FILE].includes(m.target.join('/')));
}

/**
 * A writable user mount at /etc or at the file itself turns the guard above off (its content is the user's), yet a
 * box process could write the file there for the next `nsbox exec`: then the mask goes on top, after the user's
 * mounts (preloadOverMountLines).
 */
export function preloadUnderWritableMount(mounts: readonly UserMount[]): boolean {
  return mounts.some((m) => ['etc', PRELOAD_FILE].includes(m.target.join('/')) && (m.kind === 'volume' ? !m.readOnly : !/(^|,)ro(,|$)/.test(m.options)));
}

/** Init lines, after the late mounts: a link or non-file there removed (never followed), the file made, masked. */
export function preloadOverMountLines(): string[] {
  const p = `"$R/${PRELOAD_FILE}"`;
  return [
    '# 5b. A writable user mount covers /etc: its ld.so.preload (a box process could write it) becomes /dev/null, read-only.',
    `if [ -L ${p} ] || { [ -e ${p} ] && ! [ -f ${p} ]; }; then step rm -rf ${p}; fi`,
    `[ -f ${p} ] || step mkfiles ${p}`,
    `step mount -n -o bind,ro /dev/null ${p}`,
  ];
}

/** /etc onto itself: first, before anything is mounted inside it (a plain bind would hide those mounts). */
export function etcSelfBind(root: string): FstabEntry {
  return { source: `${root}/etc`, target: `${root}/etc`, type: 'none', options: 'bind', why: '/etc becomes a mount point of its own: it cannot be renamed away (see /etc/ld.so.preload below).' };
}

/** /etc/ld.so.preload as an empty read-only file (`empty`: the container directory's). */
export function preloadMask(root: string, empty: string): FstabEntry {
  return { source: empty, target: `${root}/${PRELOAD_FILE}`, type: 'none', options: 'bind,ro', why: 'An empty, read-only /etc/ld.so.preload: the host loader that runs the toolbox would load what it names (before the capability drop).' };
}
