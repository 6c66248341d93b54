// overlayfs's `volatile` option for an upper layer that is thrown away with the box (--rm, in the foreground):
// without it, the unmount when the box ends syncs the upper layer's file system (here ~20 ms, and every unlink of
// the container's directory then waits on that journal commit). Podman mounts --rm containers volatile too.
// The work directory keeps an incompat/volatile marker, so such an upper layer can never be mounted again: only
// for a container directory nsbox removes when the box ends, and never for one that start/restart remounts.

import { release } from 'node:os';

/** Linux 5.10 added `volatile`; older kernels refuse the mount, so they get the plain (synced) overlay. */
export function kernelHasOverlayVolatile(kernelRelease: string = release()): boolean {
  const [major, minor] = kernelRelease.split(/[.-]/).map(Number);
  if (major === undefined || minor === undefined || Number.isNaN(major) || Number.isNaN(minor)) return false;
  return major > 5 || (major === 5 && minor >= 10);
}
