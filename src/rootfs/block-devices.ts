// How an image box is kept from creating block devices (issue 4: "mknod of a block device fails inside").
//
// Docker's capability set keeps CAP_MKNOD, and the box's root is mounted nodev, so a block device made in the box
// cannot be opened anyway; nsbox also refuses to create one:
//   cgroup v1 with the devices controller: the box's devices cgroup gets devices.deny "b *:* m" before it starts
//     (mknod(2) of a block device then fails with EPERM, whatever the capabilities);
//   cgroup v2 (or no v1 devices hierarchy): device rules need an eBPF program, which no stock tool attaches, so the
//     box loses CAP_MKNOD instead (no device node of any kind), unless --cap-add MKNOD or --privileged.
//   --privileged: neither (as Docker, which gives a privileged container every device).

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
  if (devicesCgroup) return 'devices-cgroup';
  return mknodAdded ? 'none' : 'no-mknod';
}

/** The comment --explain shows in the init script next to the capability drop. */
export function describeBlockDeviceGuard(guard: BlockDeviceGuard): string {
  switch (guard) {
    case 'devices-cgroup':
      return 'Block devices: the box\'s devices cgroup denies creating any ("b *:* m" in devices.deny, written above).';
    case 'no-mknod':
      return 'Block devices: no v1 devices cgroup here (cgroup v2 filters devices only with eBPF), so CAP_MKNOD is left out of the bounding set.';
    case 'none':
      return 'Block devices: not restricted (--privileged or --cap-add MKNOD without a devices cgroup); the root is nodev.';
  }
}
