// Probes overlayfs, which image layers need: listed in /proc/filesystems, or at least present as a module.

import { existsSync } from 'node:fs';
import { readHostFile, type ProbeResult } from './probe-types.js';

/** True when a /proc/filesystems text lists overlay ("nodev\toverlay"). */
export function listsOverlay(filesystems: string): boolean {
  return filesystems.split('\n').some((line) => line.trim().split(/\s+/).pop() === 'overlay');
}

/** The overlayfs result for the host under `root` ('' on the real host). */
export function probeOverlay(root: string): ProbeResult {
  const what = 'overlayfs';
  const filesystems = readHostFile(root, '/proc/filesystems') ?? '';
  if (listsOverlay(filesystems)) return { status: 'ok', what, detail: 'overlay in /proc/filesystems' };
  const release = readHostFile(root, '/proc/sys/kernel/osrelease')?.trim();
  const moduleDir = release ? `/lib/modules/${release}/kernel/fs/overlayfs` : undefined;
  if (moduleDir && existsSync(`${root}${moduleDir}`)) {
    return {
      status: 'warn',
      what,
      detail: `not loaded yet; the module is in ${moduleDir} (the kernel loads it on the first overlay mount)`,
      fix: 'modprobe overlay',
    };
  }
  return { status: 'fail', what, detail: 'overlay is not in /proc/filesystems', fix: 'modprobe overlay (or a kernel with CONFIG_OVERLAY_FS)' };
}
