// How an image box is kept from creating block devices (issue 4: "mknod of a block device fails inside").
//
// The box's root is mounted nodev, so a device node made in the box cannot be opened anyway; nsbox also refuses to
// create block devices:
//   by default the box's bounding set is Docker's without CAP_MKNOD (no device node of any kind): free, and the
//     same on cgroup v1 and v2 (v2 filters devices only with eBPF, which no stock tool attaches);
//   --cap-add MKNOD on cgroup v1: CAP_MKNOD is kept (character devices work, as in Docker) and the box's devices
//     cgroup gets devices.deny "b *:* m" before it starts, so mknod(2) of a block device fails with EPERM;
//   --cap-add MKNOD without a v1 devices hierarchy, or --privileged: not restricted.
// (A devices cgroup for every box would cost a cgroup and its join on every run: ~15-40 ms on v1.)

import { findHierarchy, type CgroupHost } from '../cgroup/detect.js';

export type BlockDeviceGuard = 'devices-cgroup' | 'no-mknod' | 'none';

/** The devices.deny rule: any block device (b), any major:minor, mknod access (m). */
export const DENY_BLOCK_DEVICES = 'b *:* m';

/** True when this host can deny devices through a v1 devices cgroup. */
export function canUseDevicesCgroup(host: CgroupHost): boolean {
  return host.mode !== 'none' && findHierarchy(host, 'devices')?.version === 1;
}

/** Which guard a box gets; `mknodAdded` is --cap-add MKNOD (or ALL). */
export function chooseBlockDeviceGuard(devicesCgroup: boolean, privileged: boolean, mknodAdded: boolean): BlockDeviceGuard {
  if (privileged) return 'none';
  if (!mknodAdded) return 'no-mknod';
  return devicesCgroup ? 'devices-cgroup' : 'none';
}

/** The comment --explain shows in the init script next to the capability drop. */
export function describeBlockDeviceGuard(guard: BlockDeviceGuard): string {
  switch (guard) {
    case 'devices-cgroup':
      return 'Block devices: --cap-add MKNOD keeps CAP_MKNOD, and the box\'s devices cgroup denies creating block devices ("b *:* m" in devices.deny, written above).';
    case 'no-mknod':
      return 'Block devices: CAP_MKNOD is left out of the bounding set, so no device node can be made (--cap-add MKNOD to allow character devices).';
    case 'none':
      return 'Block devices: not restricted (--privileged or --cap-add MKNOD without a devices cgroup); the root is nodev.';
  }
}
