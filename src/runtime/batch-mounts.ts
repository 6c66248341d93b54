// The masked and read-only paths of config.json, which the init mounts in one `mount --all --fstab FILE` (one
// process instead of one per mount). Their kinds (file or directory) are read here, at plan time: /proc and /sys
// show the same entries in the container as on the host (one kernel).

import { lstatSync } from 'node:fs';
import { kernelPathMounts, type InitMount, type KernelPath } from '../init/mounts.js';
import { resolveInRoot, type CoveredPath } from './resolve-in-root.js';

/**
 * maskedPaths and readonlyPaths as the init's mounts (src/init/mounts.ts makes them, for image boxes too); a path
 * that does not exist is skipped, as runc does. Destinations are resolved inside the root first (`opaque`: what the
 * config's earlier mounts show there).
 */
export function kernelPathEntries(root: string, masked: readonly string[], readonly: readonly string[], opaque: readonly (string | CoveredPath)[]): InitMount[] {
  const found = (paths: readonly string[]): KernelPath[] =>
    paths.flatMap((asked) => {
      const path = resolveInRoot(root, asked, opaque);
      const kind = kindOf(root, path);
      return kind ? [{ path, kind, ...(path !== asked ? { asked } : {}) }] : [];
    });
  return kernelPathMounts(root, found(masked), found(readonly));
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
