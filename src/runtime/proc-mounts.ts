// config.json mounts at or below /proc, checked as runc checks them (CVE-2019-16884 and CVE-2019-19921 class): a
// mount inside /proc would hide what the kernel reports there (/proc/self/attr, a masked or read-only path such as
// /proc/sys), so only a fresh proc at /proc and binds over the files lxcfs emulates are allowed.

import type { OciMount } from '../oci/container.js';

/** The /proc files lxcfs serves, which runc lets a bind cover. */
export const LXCFS_PROC_FILES: readonly string[] = [
  '/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime', '/proc/loadavg',
  '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid', '/proc/sys/crypto/fips_enabled',
];

/**
 * Why the mount may not be made at `inRoot` (its destination resolved inside the root, as seen from the container),
 * or undefined when it may.
 */
export function procMountRefusal(mount: Pick<OciMount, 'type' | 'bind'>, inRoot: string): string | undefined {
  if (inRoot === '/proc') return mount.bind === 'none' && mount.type === 'proc' ? undefined : '/proc takes only a mount of type proc';
  if (!inRoot.startsWith('/proc/')) return undefined;
  if (mount.bind !== 'none' && LXCFS_PROC_FILES.includes(inRoot)) return undefined;
  return `${inRoot} is inside /proc (only binds over the files lxcfs emulates are allowed there, as in runc)`;
}
