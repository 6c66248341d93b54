// `nsbox export`: a container's merged file system as a tar stream, from a read-only overlay mounted only inside a
// private mount namespace that dies with tar (the host never sees the mount, and the upper dir is never written).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { NsboxError } from '../errors.js';
import { requireTool } from '../host/tools.js';
import type { FoundContainer } from './commit-container.js';
import { escapeOverlayPath } from '../rootfs/image-init-script.js';

/** GNU tar's flags for the xattrs nsbox keeps (see isKeptXattr): user.*, security.*, trusted.* but overlay's. */
export const TAR_XATTRS = ['--xattrs', "--xattrs-include='user.*'", "--xattrs-include='security.*'", "--xattrs-include='trusted.*'", "--xattrs-exclude='trusted.overlay.*'", "--xattrs-exclude='user.overlay.*'"];

/** A kernel page: the limit of one mount's option string (overlay's lowerdir list lives there). */
const MAX_MOUNT_OPTIONS = 4095;

/**
 * The upper dir as the top-most of the read-only lowerdirs (overlayfs honours whiteouts and opaque dirs in any
 * lower layer), then the init layer (its mount points, as `docker export` shows them), then the image's layers.
 */
export function buildExportMountOptions(found: FoundContainer): string {
  const dirs = [found.dir.upper, ...(existsSync(found.dir.init) ? [found.dir.init] : []), ...found.record.lowerDirs];
  const options = `ro,lowerdir=${dirs.map(escapeOverlayPath).join(':')}`;
  if (options.length > MAX_MOUNT_OPTIONS) throw new NsboxError(`cannot export container ${found.id.slice(0, 12)}: its overlay mount options exceed a page`);
  return options;
}

/** The command that writes the tar to stdout: unshare a private mount namespace, mount there, exec tar. */
export function buildExportArgv(found: FoundContainer): readonly string[] {
  // --xattrs: file capabilities and user.* go into SCHILY.xattr records (overlayfs hides its own trusted.overlay.*).
  const script = `mount -n -t overlay -o "$1" overlay "$2" && exec tar -C "$2" --numeric-owner --sort=name ${TAR_XATTRS.join(' ')} -cf - .`;
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'nsbox-export', buildExportMountOptions(found), found.dir.rootfs];
}

/**
 * Runs the export with stdout on `out` (a file descriptor); resolves when tar is done ('closed' when the reader went
 * away first: `nsbox export c | head` ends quietly, as tar alone would), rejects with one line.
 */
export async function exportContainer(found: FoundContainer, out: number): Promise<'done' | 'closed'> {
  if (!existsSync(found.dir.rootfs)) throw new NsboxError(`cannot export container ${found.id.slice(0, 12)}: ${found.dir.rootfs} is missing`);
  for (const tool of ['unshare', 'sh', 'mount', 'tar']) requireTool(tool);
  const [program, ...args] = buildExportArgv(found);
  const child = spawn(requireTool(program!), args, { stdio: ['ignore', out, 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve([c, s]));
  });
  // tar's exit 1: a file changed while it was read (a running box); the archive is still complete.
  if (code === 0 || code === 1) return 'done';
  // unshare passes on tar's death by SIGPIPE: whoever read the archive closed it.
  if (signal === 'SIGPIPE') return 'closed';
  const reason = stderr.trim().split('\n')[0] || (signal ? `tar was killed by ${signal}` : `exit ${code}`);
  throw new NsboxError(`cannot export container ${found.id.slice(0, 12)}: ${reason}`);
}
