// How an image box is kept from creating and opening devices (issue 4: "mknod of a block device fails inside";
// issue 9: "with --cap-add MKNOD, open only Docker's default device list").
//
// The box's root is mounted nodev, so a device node made in the box's files cannot be opened anyway, but its /dev
// (and any --tmpfs) can hold device nodes. So:
//   by default the box's bounding set is Docker's without CAP_MKNOD (no device node of any kind): free, and the
//     same on cgroup v1 and v2;
//   --cap-add MKNOD on cgroup v1: CAP_MKNOD is kept and the box's devices cgroup becomes an allow-list before it
//     starts: "a" in devices.deny, then mknod of any character device ("c *:* m") and read/write of Docker's
//     default devices only (null, zero, full, random, urandom, tty, console, ptmx, pts). A node the box makes for a
//     disk (or anything else) exists but cannot be opened (EPERM), and no block device can be made at all;
//   --cap-add MKNOD where there is no v1 devices hierarchy (cgroup v2 filters devices only with an eBPF program,
//     which no stock tool attaches): refused, rather than a box that may open every device;
//   --privileged: not restricted (not a sandbox).
// (A devices cgroup for every box would cost a cgroup and its join on every run: ~15-40 ms on v1.)

import { findHierarchy, type CgroupHost } from '../cgroup/detect.js';
import { NsboxError } from '../errors.js';

export type BlockDeviceGuard = 'devices-cgroup' | 'no-mknod' | 'none';

/** Written to devices.deny first: "a" empties the allow-list (the cgroup then denies every device). */
export const DEVICES_DENY = ['a'] as const;

/**
 * Then devices.allow, one rule per write: mknod of character devices, and Docker's default devices (runc's
 * AllowedDevices: null 1:3, zero 1:5, full 1:7, random 1:8, urandom 1:9, tty 5:0, console 5:1, ptmx 5:2, pts 136:*).
 */
export const DEVICES_ALLOW = ['c *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm'] as const;

/** True when this host can deny devices through a v1 devices cgroup. */
export function canUseDevicesCgroup(host: CgroupHost): boolean {
  return host.mode !== 'none' && findHierarchy(host, 'devices')?.version === 1;
}

/** Which guard a box gets; `mknodAdded` is --cap-add MKNOD (or ALL). Throws where MKNOD cannot be confined. */
export function chooseBlockDeviceGuard(devicesCgroup: boolean, privileged: boolean, mknodAdded: boolean): BlockDeviceGuard {
  if (privileged) return 'none';
  if (!mknodAdded) return 'no-mknod';
  if (devicesCgroup) return 'devices-cgroup';
  throw new NsboxError('cannot --cap-add MKNOD here: without a cgroup v1 devices hierarchy nsbox cannot limit which devices the box opens (cgroup v2 device control is an eBPF program)', {
    hint: 'leave out --cap-add MKNOD (and ALL), or use --privileged for a box that is not a sandbox',
  });
}

/** The comment --explain shows in the init script next to the capability drop. */
export function describeBlockDeviceGuard(guard: BlockDeviceGuard): string {
  switch (guard) {
    case 'devices-cgroup':
      return 'Devices: --cap-add MKNOD keeps CAP_MKNOD; the box\'s devices cgroup (written above) lets it make character devices but open only Docker\'s default ones, and make no block device.';
    case 'no-mknod':
      return 'Block devices: CAP_MKNOD is left out of the bounding set, so no device node can be made (--cap-add MKNOD to allow character devices).';
    case 'none':
      return 'Devices: not restricted (--privileged); the root is nodev.';
  }
}
