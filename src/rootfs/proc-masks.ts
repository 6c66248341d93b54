// Docker's masked and read-only paths: kernel files a box must not read or write (moby's oci/defaults.go).

import { lstatSync } from 'node:fs';

/** Hidden: /dev/null is bind-mounted over files, an empty read-only tmpfs over directories. */
export const MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** Bind-mounted read-only onto themselves: readable, but not a way to change the host's kernel. */
export const READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface KernelPath {
  readonly path: string;
  readonly kind: 'file' | 'directory';
}

/**
 * Which of these paths this kernel has, and of which kind: the box's fresh /proc and /sys show the same ones as
 * the host's (one kernel), and mount(8) fails on a missing mount point, so only existing ones are planned.
 */
export function probeKernelPaths(paths: readonly string[], root = ''): readonly KernelPath[] {
  const found: KernelPath[] = [];
  for (const path of paths) {
    try {
      const info = lstatSync(`${root}${path}`);
      if (info.isDirectory()) found.push({ path, kind: 'directory' });
      else if (!info.isSymbolicLink()) found.push({ path, kind: 'file' });
    } catch {
      // absent on this kernel
    }
  }
  return found;
}
