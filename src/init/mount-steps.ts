// An InitMount made one step at a time by the init (the OCI config's mounts: each may need a mount point made
// below an earlier one, a propagation change, runc's tmpcopyup or a cgroup view): the mount point, then mount(8).
// Pure: targets come resolved inside the root.

import { quoteWord } from '../plan/quote.js';
import { escapeDoubleQuoted } from '../runtime/resolve-in-root.js';
import { commentText, type FstabEntry } from '../rootfs/fstab.js';
import type { InitMount } from './mounts.js';

/**
 * The init lines that make one mount below the root `root` ($R in the script; `step` reports a failure on fd 3).
 * `cgroupFstab`: the file with a v1 cgroup view's binds (cgroupViewBinds), mounted in one call.
 */
export function mountStepLines(m: InitMount, root: string, cgroupFstab?: string, premade = false): string[] {
  const target = `$R${escapeDoubleQuoted(m.target.slice(root.length))}`;
  const t = `"${target}"`;
  const { bind, flags } = splitOptions(m);
  // The test is a builtin: mkdir is a process, and most mount points (proc, dev, sys) exist in an image.
  const lines: string[] = [`# ${commentText(m.why)}`, ...(premade ? [] : [m.mountpoint === 'file' ? `step mkfile ${t}` : `[ -d ${t} ] || step mkdir -p ${t}`])];
  if (m.cgroup) {
    lines.push(...cgroupLines(m.cgroup, target, flags, cgroupFstab));
  } else if (bind) {
    lines.push(`step mount -n --${bind} ${quoteWord(m.source)} ${t}`);
    // A bind takes its flags only on a second call, MS_REMOUNT|MS_BIND (mount(2)).
    if (flags.length > 0) lines.push(`step mount -n -o ${quoteWord(['remount', 'bind', ...flags].join(','))} ${t}`);
  } else if (m.copyUp) {
    // runc's tmpcopyup: the tmpfs starts with what the root had there (mounted aside, filled, moved in place).
    lines.push(
      '[ -d "$S/copyup" ] || step mkdir -p "$S/copyup"',
      `step mount -n -t ${quoteWord(m.type)} -o ${quoteWord(flags.join(',') || 'defaults')} ${quoteWord(m.source)} "$S/copyup"`,
      `step cp -a ${t}/. "$S/copyup/"`,
      `step mount -n --move "$S/copyup" ${t}`,
    );
  } else {
    lines.push(`step mount -n -t ${quoteWord(m.type)}${flags.length ? ` -o ${quoteWord(flags.join(','))}` : ''} ${quoteWord(m.source)} ${t}`);
  }
  if (m.propagation) lines.push(`step mount -n --make-${m.propagation} ${t}`);
  return lines;
}

/** The init's shell function behind `step mkdirs`: one mkdir -p for those of its directories that are missing. */
export const MKDIRS_FUNCTION = 'mkdirs() { n=$#; for d; do [ -d "$d" ] || set -- "$@" "$d"; done; shift "$n"; [ "$#" -eq 0 ] || mkdir -p "$@"; }';

/**
 * The lines of mounts made in order, their directory mount points made early in groups: a mount point is made
 * right after the last earlier mount at it or above it (what it lands in then is what it would land in just before
 * its own mount), so every mount point that lands in the same place comes from one `mkdir -p` (mkdirs: only missing ones).
 */
export function mountsStepLines(mounts: readonly InitMount[], root: string, cgroupFstab?: string, runFstabs?: readonly string[]): string[] {
  const under = (path: string, top: string): boolean => path === top || path.startsWith(top.endsWith('/') ? top : `${top}/`);
  // after[i + 1]: the mount points made after mount i (after[0]: before the first mount).
  const after: string[][] = mounts.map(() => []).concat([[]]);
  const runs = runFstabs ? plainMountRuns(mounts) : [];
  // A run's own mount points are made by X-mount.mkdir.
  const inRun = (j: number): boolean => runs.some((r) => j >= r.start && j < r.end);
  mounts.forEach((m, j) => {
    if (m.mountpoint !== 'directory' || inRun(j)) return;
    let last = -1;
    for (let k = 0; k < j; k++) if (under(m.target, mounts[k]!.target)) last = k;
    after[last + 1]!.push(`"$R${escapeDoubleQuoted(m.target.slice(root.length))}"`);
  });
  const group = (dirs: readonly string[]): string[] => (dirs.length === 0 ? [] : [`step mkdirs ${dirs.join(' ')}`]);
  const lines = [...group(after[0]!)];
  for (let i = 0; i < mounts.length; i++) {
    const run = runs.findIndex((r) => r.start === i);
    if (run === -1) {
      lines.push(...mountStepLines(mounts[i]!, root, cgroupFstab, mounts[i]!.mountpoint === 'directory'), ...group(after[i + 1]!));
      continue;
    }
    // A run: one mount(8) for all of it (X-mount.mkdir makes each mount point just before its mount), then the other
    // mount points that land in what it mounted.
    const { end } = runs[run]!;
    lines.push(...mounts.slice(i, end).map((m) => `# ${commentText(m.why)}`), `step mount -n --all --fstab ${quoteWord(runFstabs![run]!)}`);
    for (let k = i; k < end; k++) lines.push(...group(after[k + 1]!));
    i = end - 1;
  }
  return lines;
}

/**
 * A mount the init can make as one line of a shared fstab: its mount point is a directory (libmount's X-mount.mkdir
 * makes it when missing), and nothing is done around it (no copy-up, cgroup view or propagation change).
 */
export function isPlainMount(m: InitMount): boolean {
  return m.mountpoint === 'directory' && !m.copyUp && !m.cgroup && !m.propagation;
}

/**
 * The fstab lines of a mount that can share a run's `mount --all`: a plain mount's one line, or a v1 cgroup view
 * whose tmpfs, binds and seal are all fstab lines (no co-mounted controllers, whose names are links made in the
 * tmpfs); undefined for any other mount.
 */
export function runEntriesOf(m: InitMount): FstabEntry[] | undefined {
  if (isPlainMount(m)) return plainRunEntries([m]);
  if (m.mountpoint !== 'directory' || m.copyUp || m.propagation) return undefined;
  const [tmpfs, ...rest] = cgroupViewBinds(m);
  if (tmpfs?.type !== 'tmpfs') return undefined;
  return [{ ...tmpfs, options: `${tmpfs.options},X-mount.mkdir` }, ...rest];
}

/** The [start, end) ranges of two or more mounts in a row with fstab lines: the init makes each with one `mount --all`. */
export function plainMountRuns(mounts: readonly InitMount[]): { start: number; end: number }[] {
  const runs: { start: number; end: number }[] = [];
  for (let i = 0; i < mounts.length; ) {
    let end = i;
    while (end < mounts.length && runEntriesOf(mounts[end]!) !== undefined) end++;
    if (end - i >= 2) runs.push({ start: i, end });
    i = Math.max(end, i + 1);
  }
  return runs;
}

/** A run's fstab entries, in order: each with X-mount.mkdir, so its mount point is made right before it is mounted. */
export function runEntries(mounts: readonly InitMount[]): FstabEntry[] {
  return mounts.flatMap((m) => runEntriesOf(m) ?? []);
}

/** Plain mounts' fstab entries, each with X-mount.mkdir. */
export function plainRunEntries(mounts: readonly InitMount[]): FstabEntry[] {
  return mounts.map((m) => ({ source: m.source, target: m.target, type: m.type, options: [...m.options.split(',').filter((o) => o !== '' && o !== 'defaults'), 'X-mount.mkdir'].join(','), why: m.why }));
}

function splitOptions(m: InitMount): { bind: string | undefined; flags: string[] } {
  const words = m.options.split(',').filter((w) => w !== '' && w !== 'defaults');
  const bind = m.type === 'none' && (words[0] === 'bind' || words[0] === 'rbind') ? words[0] : undefined;
  return { bind, flags: bind ? words.slice(1) : words };
}

/** A bind's flags (a bind mount has no atime option of its own to set here: relatime is the default). */
function bindFlagsOf(flags: readonly string[]): string[] {
  return flags.filter((f) => f !== 'relatime');
}

function hierarchyOf(cgroup: NonNullable<InitMount['cgroup']>, dir: string): string {
  return dir.slice(cgroup.root.length + 1).split('/')[0]!;
}

/**
 * A v1 cgroup view's binds (one per hierarchy, with the mount's flags) as fstab entries: `mount --all` makes them in
 * one process, and libmount remounts each bind with its flags itself (MS_REMOUNT|MS_BIND), as the two-call form did.
 * Empty for any other mount.
 */
export function cgroupViewBinds(m: InitMount): FstabEntry[] {
  if (m.cgroup?.version !== 1) return [];
  const cgroup = m.cgroup;
  const flags = bindFlagsOf(splitOptions(m).flags);
  // Without co-mounted controllers (whose names are links made in the tmpfs) the tmpfs is the file's first line too,
  // and X-mount.mkdir makes each mount point in it: the whole view is one mount(8).
  const whole = !cgroup.dirs.some((dir) => hierarchyOf(cgroup, dir).includes(','));
  const binds: FstabEntry[] = cgroup.dirs.map((dir) => {
    const hierarchy = hierarchyOf(cgroup, dir);
    return { source: dir, target: `${m.target}/${hierarchy}`, type: 'none', options: ['bind', ...flags, ...(whole ? ['X-mount.mkdir'] : [])].join(','), why: `The container's own ${hierarchy} cgroup.` };
  });
  if (whole && binds.length > 0) binds.unshift({ source: 'tmpfs', target: m.target, type: 'tmpfs', options: VIEW_TMPFS_OPTIONS, why: 'A tmpfs to hold them.' });
  // ro: the tmpfs itself sealed last, by a remount line (`mount --all` carries out a "none ... remount" entry): the
  // same MS_REMOUNT|MS_BIND call as a `mount -o remount,bind,ro` of its own, without its process.
  if (binds.length === 0 || !splitOptions(m).flags.includes('ro')) return binds;
  return [...binds, { source: 'none', target: m.target, type: 'none', options: SEAL_OPTIONS, why: 'The view itself read-only: nothing can be added beside the container\'s cgroups.' }];
}

/** The tmpfs of a v1 cgroup view (sealed read-only after its binds when the mount is ro). */
const VIEW_TMPFS_OPTIONS = 'nosuid,nodev,noexec,mode=755,size=64k';

/** The remount that makes a v1 cgroup view's tmpfs read-only (only this mount's flags: a bind remount). */
const SEAL_OPTIONS = 'remount,bind,ro,nosuid,nodev,noexec';

/** A cgroup view: v1, a tmpfs with the container's own cgroup of each hierarchy bound in; v2, its one directory. */
function cgroupLines(cgroup: NonNullable<InitMount['cgroup']>, target: string, flags: readonly string[], fstab: string | undefined): string[] {
  const t = `"${target}"`;
  const bindFlags = ['remount', 'bind', ...bindFlagsOf(flags)].join(',');
  if (cgroup.version === 2) {
    const dir = cgroup.dirs[0];
    if (dir === undefined) return [];
    return [`step mount -n --bind ${quoteWord(dir)} ${t}`, `step mount -n -o ${bindFlags} ${t}`];
  }
  const hierarchies = cgroup.dirs.map((dir) => hierarchyOf(cgroup, dir));
  // The fstab holds the tmpfs, every bind and the seal (cgroupViewBinds).
  if (fstab !== undefined && hierarchies.length > 0 && !hierarchies.some((h) => h.includes(','))) return [`step mount -n --all --fstab ${quoteWord(fstab)}`];
  const lines = [`step mount -n -t tmpfs -o ${VIEW_TMPFS_OPTIONS} tmpfs ${t}`];
  // Co-mounted controllers' names ("cpu" -> "cpu,cpuacct"): made before the view is sealed read-only.
  const links = hierarchies.flatMap((hierarchy) => {
    const names = hierarchy.split(',');
    return names.length > 1 ? names.map((name) => `step ln -s ${quoteWord(hierarchy)} "${target}/${name}"`) : [];
  });
  const batched = fstab !== undefined && hierarchies.length > 0;
  if (batched) {
    // The fresh tmpfs is empty: one mkdir for every mount point, one mount(8) for every bind and, with ro, the seal
    // (the fstab's last line, cgroupViewBinds).
    lines.push(`step mkdir ${hierarchies.map((h) => `"${target}/${escapeDoubleQuoted(h)}"`).join(' ')}`, ...links, `step mount -n --all --fstab ${quoteWord(fstab)}`);
    return lines;
  }
  for (const [i, dir] of cgroup.dirs.entries()) {
    const hierarchy = hierarchies[i]!;
    lines.push(`step mkdir -p "${target}/${hierarchy}"`, `step mount -n --bind ${quoteWord(dir)} "${target}/${hierarchy}"`);
    lines.push(`step mount -n -o ${bindFlags} "${target}/${hierarchy}"`);
  }
  lines.push(...links);
  // A bind remount changes only this mount's flags: a tmpfs remount would reparse its options, and in a user
  // namespace mount(8) reads back uid=<host uid>, which is not mapped there (EINVAL).
  if (flags.includes('ro')) lines.push(`step mount -n -o ${SEAL_OPTIONS} ${t}`);
  return lines;
}
