// The box's view of its own cgroups at /sys/fs/cgroup, as Docker gives one: runtimes that size themselves from
// memory.max / memory.limit_in_bytes and cpu.max / cpu.cfs_quota_us (the JVM, Go, .NET) read the box's limits,
// never the host's, and cannot change them.
//
// v2: the box's cgroup directory, bound read-only onto /sys/fs/cgroup (what a cgroup2 mount made inside a cgroup
// namespace rooted there shows). v1: a tmpfs at /sys/fs/cgroup with one read-only bind per hierarchy the box has a
// cgroup of its own on (/sys/fs/cgroup/memory, /sys/fs/cgroup/pids, ...; "cpu" -> "cpu,cpuacct" links where the
// host co-mounts), then the tmpfs itself made read-only. Hierarchies where the box has no cgroup of its own are left out:
// binding the cgroup it shares would show the host's (and its other cgroups). The command then gets a cgroup
// namespace rooted at its cgroup (see cgroupNamespaceArgv), so /proc/self/cgroup reads "/" like in Docker.
// Pure: mount entries and init lines from the planned cgroup.

import type { BoxCgroup } from '../cgroup/plan-cgroup.js';
import type { FstabEntry } from './fstab.js';

/** Where the view appears inside the box. */
export const CGROUP_VIEW_DIR = '/sys/fs/cgroup';

export interface CgroupView {
  readonly version: 1 | 2;
  /** Host cgroup directory -> path inside the box, in mount order. */
  readonly binds: readonly { readonly source: string; readonly target: string }[];
  /** v1: the hierarchies' directories made in the tmpfs, and links for co-mounted names (name -> hierarchy, e.g. cpu -> cpu,cpuacct). */
  readonly dirs: readonly string[];
  readonly links: readonly (readonly [string, string])[];
  /** --privileged: writable, as Docker mounts it then. */
  readonly writable: boolean;
}

/** The view of a box's cgroups; undefined when the box has none of its own (it then sees an empty directory). */
export function planCgroupView(cgroup: BoxCgroup | undefined, privileged: boolean, hostRoot = '/sys/fs/cgroup'): CgroupView | undefined {
  if (!cgroup || cgroup.dirs.length === 0) return undefined;
  if (cgroup.version === 2) return { version: 2, binds: [{ source: cgroup.dirs[0]!, target: CGROUP_VIEW_DIR }], dirs: [], links: [], writable: privileged };
  const binds: { source: string; target: string }[] = [];
  const links: [string, string][] = [];
  for (const dir of cgroup.dirs) {
    if (!dir.startsWith(`${hostRoot}/`)) throw new Error(`internal: cgroup ${dir} is not below ${hostRoot}`);
    const hierarchy = dir.slice(hostRoot.length + 1).split('/')[0]!;
    binds.push({ source: dir, target: `${CGROUP_VIEW_DIR}/${hierarchy}` });
    const names = hierarchy.split(',');
    if (names.length > 1) for (const name of names) links.push([name, hierarchy]);
  }
  return { version: 1, binds, dirs: binds.map((b) => b.target), links, writable: privileged };
}

/** v1: the tmpfs the hierarchies' mount points are made in (mounted with /sys, before the init's mkdirs). */
export function cgroupViewEarlyMounts(view: CgroupView | undefined, root: string): FstabEntry[] {
  if (view?.version !== 1) return [];
  return [{ source: 'tmpfs', target: `${root}${CGROUP_VIEW_DIR}`, type: 'tmpfs', options: 'nosuid,nodev,noexec,mode=755,size=64k', why: `${CGROUP_VIEW_DIR}: a small tmpfs for the mount points of the box's own cgroups (v1: one per hierarchy).` }];
}

/** The init's lines that make the v1 mount points and links in the tmpfs (run after the early mounts). */
export function cgroupViewInitLines(view: CgroupView | undefined): string[] {
  if (view?.version !== 1) return [];
  return [
    `step mkdir ${view.dirs.map((d) => `"$R${d}"`).join(' ')}`,
    ...view.links.map(([name, hierarchy]) => `step ln -s ${hierarchy} "$R${CGROUP_VIEW_DIR}/${name}"`),
  ];
}

/**
 * The binds, read-only unless --privileged; bind mounts are not recursive: nothing mounted below a cgroup comes along.
 * v1, after them: the tmpfs becomes read-only too, so nothing can be added beside the box's cgroups. That is a
 * remount line with source "none": `mount --all` skips a bind of the mount's root onto itself as already mounted,
 * but carries out a remount (one process fewer than a `mount -o remount` of its own).
 */
export function cgroupViewLateMounts(view: CgroupView | undefined, root: string): FstabEntry[] {
  if (!view) return [];
  const binds: FstabEntry[] = view.binds.map((b) => ({
    source: b.source,
    target: `${root}${b.target}`,
    type: 'none',
    options: `bind${view.writable ? '' : ',ro'},nosuid,nodev,noexec`,
    why: `${b.target}: the box's own cgroup${view.writable ? ' (--privileged: writable)' : ', read-only: the box reads its limits and cannot change them'}.`,
  }));
  if (view.version !== 1 || view.writable) return binds;
  const seal: FstabEntry = {
    source: 'none',
    target: `${root}${CGROUP_VIEW_DIR}`,
    type: 'none',
    options: 'remount,bind,ro,nosuid,nodev,noexec',
    why: `${CGROUP_VIEW_DIR} itself read-only: nothing can be added beside the box's cgroups.`,
  };
  return [...binds, seal];
}

/**
 * Words before the command's setpriv: `unshare --cgroup` from the toolbox, so the command's cgroup namespace is
 * rooted at the cgroup it is in by now (nsbox moved the box in at the gate, after the launch's own namespace was
 * made) and /proc/self/cgroup reads "/" as in Docker. unshare execs in place: the command keeps PID 1.
 */
export function cgroupNamespaceArgv(view: CgroupView | undefined, unshare: readonly string[]): string[] {
  return view ? [...unshare, '--cgroup', '--'] : [];
}
