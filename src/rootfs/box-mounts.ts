// The box's mounts after the overlay, as fstab entries: the early file (/proc, /sys, an empty /dev) and the late
// one (device nodes, devpts, shm, mqueue, /etc files, volumes, tmpfs, masked and read-only kernel paths, toolbox).

import type { ImageBoxDescription } from '../spec/image-box-description.js';
import type { ContainerDir } from './container-dir.js';
import type { FstabEntry } from './fstab.js';
import type { KernelPath } from './proc-masks.js';
import { TOOLBOX_DIR, type Toolbox } from './toolbox.js';
import { kernelPathMounts, toolboxMounts } from '../init/mounts.js';
import { BOX_DEVICES } from './image-init-script.js';
import { cgroupViewEarlyMounts, cgroupViewLateMounts, type CgroupView } from './cgroup-view.js';
import { etcSelfBind, guardsPreload, preloadMask } from './preload-guard.js';
import { BOX_DEVPTS_OPTIONS } from '../tty/tty-reaper-script.js';

/** The /etc files nsbox writes (name in /etc -> file in the container dir), unless a user mount covers them. */
export const ETC_FILES = ['hostname', 'hosts', 'resolv.conf'] as const;

export interface MountFacts {
  readonly container: ContainerDir;
  /** Real host paths of the -v sources, in the order of the description's mounts (volumes). */
  readonly volumeSources: readonly string[];
  readonly masked: readonly KernelPath[];
  readonly readonly: readonly KernelPath[];
  readonly toolbox: Toolbox;
  /** -t: the box has a pty of its own (its reaper made the devpts instance): /dev/console and /dev/pts are it. */
  readonly console: boolean;
  /** Files to bind instead of the container dir's /etc/hosts and resolv.conf (a network's, kept up to date). */
  readonly etcSources?: { readonly hosts?: string; readonly resolvConf?: string };
  /** The box's own cgroups at /sys/fs/cgroup (src/rootfs/cgroup-view.ts), when it has any. */
  readonly cgroupView?: CgroupView;
}

/** /proc, /sys and the /dev tmpfs: mounted before /dev can be filled. */
export function buildEarlyMounts(spec: ImageBoxDescription, root: string, cgroupView?: CgroupView): FstabEntry[] {
  return [
    { source: 'proc', target: `${root}/proc`, type: 'proc', options: 'nosuid,nodev,noexec', why: '/proc of the box\'s own pid namespace: ps sees only the box.' },
    {
      source: 'sysfs',
      target: `${root}/sys`,
      type: 'sysfs',
      options: spec.privileged ? 'nosuid,nodev,noexec' : 'ro,nosuid,nodev,noexec',
      why: spec.privileged ? '/sys (--privileged: writable).' : '/sys, read-only: the kernel\'s settings are not the box\'s to change.',
    },
    {
      source: 'tmpfs',
      target: `${root}/dev`,
      type: 'tmpfs',
      options: 'nosuid,nodev,noexec,mode=755,size=65536k',
      why: 'An empty /dev of the box\'s own (nodev: a node made here by mknod cannot be opened).',
    },
    ...cgroupViewEarlyMounts(cgroupView, root),
  ];
}

/** Everything else, in mount order. */
export function buildLateMounts(spec: ImageBoxDescription, facts: MountFacts, root: string): FstabEntry[] {
  const c = facts.container;
  const out: FstabEntry[] = [];
  for (const dev of [...BOX_DEVICES, ...(facts.console ? ['console'] : [])]) {
    const source = dev === 'console' ? '/proc/self/fd/0' : `/dev/${dev}`;
    // Read-only: the node is the host's own inode, so a box's chmod, chown or touch of /dev/null would change the
    // host's /dev/null (chmod 000 breaks every host user); reads and writes of the device itself still work.
    out.push(dev === 'console'
      ? { source, target: `${root}/dev/${dev}`, type: 'none', options: 'bind', why: '/dev/console: the box\'s own pty, which the init already has on fd 0.' }
      : { source, target: `${root}/dev/${dev}`, type: 'none', options: 'bind,ro', why: `The host's /dev/${dev} (the only device nodes the box can open), read-only: its mode and owner stay the host's.` });
  }
  for (const d of spec.devices ?? []) {
    out.push({ source: d.host, target: `${root}/dev/${d.target.join('/')}`, type: 'none', options: 'bind,ro', why: `--device ${d.host}:/dev/${d.target.join('/')}:${d.perms}: the host's node, read-only (its mode and owner stay the host's).` });
  }
  out.push(
    facts.console
      ? { source: '/dev/pts', target: `${root}/dev/pts`, type: 'none', options: 'bind', why: 'The devpts instance of the box\'s own that its reaper made for -t: the command\'s pty is in it, the host\'s are not.' }
      : { source: 'devpts', target: `${root}/dev/pts`, type: 'devpts', options: BOX_DEVPTS_OPTIONS, why: 'A devpts instance of the box\'s own: its ptys are not the host\'s.' },
    {
      source: 'shm',
      target: `${root}/dev/shm`,
      type: 'tmpfs',
      options: `nosuid,nodev,noexec,mode=1777,size=${spec.shmSize ?? '65536k'}`,
      why: spec.shmSize === undefined ? 'POSIX shared memory, 64 MB like Docker.' : 'POSIX shared memory, of the size --shm-size asked.',
    },
    { source: 'mqueue', target: `${root}/dev/mqueue`, type: 'mqueue', options: 'nosuid,nodev,noexec', why: 'POSIX message queues of the box\'s ipc namespace.' },
  );
  const covered = new Set(spec.mounts.map((m) => m.target.join('/')));
  const preload = guardsPreload(spec.mounts);
  if (preload) out.push(etcSelfBind(root));
  const net = facts.etcSources;
  const files: Record<(typeof ETC_FILES)[number], string> = { hostname: c.hostname, hosts: net?.hosts ?? c.hosts, 'resolv.conf': net?.resolvConf ?? c.resolvConf };
  for (const name of ETC_FILES) {
    if (covered.has(`etc/${name}`)) continue;
    out.push({ source: files[name], target: `${root}/etc/${name}`, type: 'none', options: 'bind', why: files[name] === c[name === 'resolv.conf' ? 'resolvConf' : name] ? `/etc/${name}, generated by nsbox in the container's directory.` : `/etc/${name}, the box's network file (kept up to date as boxes join its network).` });
  }
  if (preload) out.push(preloadMask(root, c.preload));
  let volume = 0;
  for (const m of spec.mounts) {
    const target = `${root}/${m.target.join('/')}`;
    if (m.kind === 'volume') {
      const source = facts.volumeSources[volume++]!;
      out.push({ source, target, type: 'none', options: `bind,nodev${m.readOnly ? ',ro' : ''}`, why: `-v ${m.host}:/${m.target.join('/')}${m.readOnly ? ':ro' : ''} (not recursive: mounts under it stay on the host).` });
    } else {
      out.push({ source: 'tmpfs', target, type: 'tmpfs', options: m.options, why: `--tmpfs /${m.target.join('/')}.` });
    }
  }
  if (!spec.privileged) out.push(...kernelPathMounts(root, facts.masked, facts.readonly));
  out.push(...cgroupViewLateMounts(facts.cgroupView, root));
  // Last: the toolbox (its own directory, bound read-only as a whole; else a bind per file, then the directory sealed).
  out.push(...(facts.toolbox.dir !== undefined ? [toolboxDirMount(root, facts.toolbox.dir)] : toolboxMounts(root, facts.toolbox)));
  if (facts.toolbox.dir === undefined) return out;
  // With the toolbox as one directory, mount makes the directories it mounts on in the box's fresh /dev and cgroup
  // view tmpfs (mode 755 under the init's umask 022), so the init needs no mkdir for them (image-init-script.ts).
  const made = new Set(['/dev/pts', '/dev/shm', '/dev/mqueue', TOOLBOX_DIR, ...(facts.cgroupView?.version === 1 ? facts.cgroupView.dirs : [])].map((d) => `${root}${d}`));
  return out.map((e) => (made.has(e.target) && !e.options.split(',').includes('remount') ? { ...e, options: `${e.options},X-mount.mkdir` } : e));
}

/** The toolbox's directory onto the box's: read-only, so no file in it can be changed or added, and a mount point, so
 * it cannot be renamed away (nsbox exec runs its tools with every capability). */
function toolboxDirMount(root: string, dir: string): FstabEntry {
  return {
    source: dir,
    target: `${root}${TOOLBOX_DIR}`,
    type: 'none',
    options: 'bind,ro,nosuid,nodev',
    why: 'The toolbox, read-only: one directory of exactly the box\'s tools (nsbox exec runs them with every capability, so a box process must not be able to rename it away, change a file or put one in it; a mount point cannot be renamed).',
  };
}
