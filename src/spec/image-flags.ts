// Flags that only boxes with their own root filesystem take (`run IMAGE`, `run --rootfs DIR`).
import type { Options } from 'yargs';

const GROUP = 'Image boxes (run IMAGE [CMD...] or run --rootfs DIR):';

export const IMAGE_OPTIONS: Readonly<Record<string, Options>> = {
  volume: { alias: 'v', type: 'string', array: true, group: GROUP, describe: 'HOST:CTR[:ro|rw] bind-mount a host path (created if missing), or NAME:CTR a named volume' },
  'mount-spec': { type: 'string', array: true, group: GROUP, describe: "Docker's --mount, comma-separated: type=bind|volume|tmpfs source=PATH|NAME target=PATH readonly" },
  tmpfs: { type: 'string', array: true, group: GROUP, describe: 'PATH[:SIZE|OPTIONS] a tmpfs in the box (default nosuid,nodev,noexec,mode=1777)' },
  'read-only': { type: 'boolean', group: GROUP, describe: "mount the box's root file system read-only" },
  'cap-add': { type: 'string', array: true, group: GROUP, describe: 'add a capability to Docker\'s default set (NET_ADMIN, ALL, ...)' },
  'cap-drop': { type: 'string', array: true, group: GROUP, describe: 'drop a capability from the set (CHOWN, ALL, ...)' },
  privileged: { type: 'boolean', group: GROUP, describe: 'every capability, no masked or read-only /proc paths, /sys writable, no seccomp' },
  'security-opt': { type: 'string', array: true, group: GROUP, describe: 'seccomp=unconfined or seccomp=PROFILE.json (Docker\'s format); default: Docker\'s profile' },
  'group-add': { type: 'string', array: true, group: GROUP, describe: 'a supplementary group of the command besides its user\'s (a gid, or a name of the image\'s /etc/group), repeatable' },
  device: { type: 'string', array: true, group: GROUP, describe: 'HOST[:BOX[:PERMS]] a host device node in the box\'s /dev (BOX below /dev; PERMS r, w, m: a devices-cgroup rule on cgroup v1), repeatable' },
  'shm-size': { type: 'string', group: GROUP, describe: 'size of the box\'s /dev/shm (default 64m, as in Docker)' },
  // Docker's image-fetching flags, as copied command lines carry them: nsbox never pulls (see docker-pull-flags.ts)
  pull: { type: 'string', group: GROUP, describe: 'missing or never: nsbox uses only the images in its store (always is refused: no registry client)' },
  platform: { type: 'string', group: GROUP, describe: "this host's platform only (linux/amd64 here on x86-64); another is refused" },
  quiet: { alias: 'q', type: 'boolean', group: GROUP, describe: 'as docker run -q (no pull output): nsbox never pulls' },
  entrypoint: { type: 'string', group: GROUP, describe: 'replace the image\'s Entrypoint (and its Cmd); "" clears it' },
  rootfs: { type: 'string', group: GROUP, describe: 'run on a root file system directory instead of an image (never modified)' },
  root: { type: 'string', group: GROUP, describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' },
};
