// Mounts the init makes in one `mount --all --fstab FILE` each (one process instead of one per mount): the
// toolbox's files, and the masked and read-only kernel paths. Their kinds (file or directory) are read here, at
// plan time: /proc and /sys show the same entries in the container as on the host (one kernel).

import { lstatSync } from 'node:fs';
import { TOOLBOX_DIR, type Toolbox } from '../rootfs/toolbox.js';
import type { FstabEntry } from '../rootfs/fstab.js';
import { resolveInRoot, type CoveredPath } from './resolve-in-root.js';

/** The toolbox files, bound read-only into the container's /dev/.nsbox (`dir`: where that is, resolved in the root). */
export function toolboxEntries(root: string, toolbox: Toolbox, dir: string = TOOLBOX_DIR): FstabEntry[] {
  return toolbox.files.map((f) => ({ source: f.source, target: `${root}${dir}/${f.name}`, type: 'none', options: 'bind,ro,nosuid,nodev', why: `Toolbox: ${f.name}, read-only.` }));
}

/**
 * maskedPaths (/dev/null over a file, an empty read-only tmpfs over a directory) and readonlyPaths (bound read-only
 * onto themselves), as runc makes them; a path that does not exist is skipped, as runc does. Destinations are
 * resolved inside the root first (`opaque`: the config's mount destinations, whose contents are not on disk).
 */
export function kernelPathEntries(root: string, masked: readonly string[], readonly: readonly string[], opaque: readonly (string | CoveredPath)[]): FstabEntry[] {
  const out: FstabEntry[] = [];
  for (const path of masked) {
    const target = resolveInRoot(root, path, opaque);
    const kind = kindOf(root, target);
    if (kind === 'directory') out.push({ source: 'tmpfs', target: `${root}${target}`, type: 'tmpfs', options: 'ro,nosuid,nodev,noexec,size=0', why: `Mask ${path}: an empty read-only directory.` });
    else if (kind === 'file') out.push({ source: '/dev/null', target: `${root}${target}`, type: 'none', options: 'bind,ro', why: `Mask ${path}: it reads as empty.` });
  }
  for (const path of readonly) {
    const target = resolveInRoot(root, path, opaque);
    if (kindOf(root, target) === undefined) continue;
    out.push({ source: `${root}${target}`, target: `${root}${target}`, type: 'none', options: 'rbind,ro,nosuid,nodev,noexec', why: `${path} read-only.` });
  }
  return out;
}

/** A kernel path is probed on the host (/proc, /sys: the same kernel); anything else in the container's root. */
function kindOf(root: string, path: string): 'file' | 'directory' | undefined {
  const onHost = path === '/proc' || path.startsWith('/proc/') || path === '/sys' || path.startsWith('/sys/');
  try {
    const info = lstatSync(onHost ? path : `${root}${path}`);
    if (info.isDirectory()) return 'directory';
    return info.isSymbolicLink() ? undefined : 'file';
  } catch {
    return undefined;
  }
}
