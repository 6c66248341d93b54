// Probes the cgroup layout from /proc/mounts (v1, v2 or hybrid) and the controllers each hierarchy offers.

import { readHostFile, type ProbeResult } from './probe-types.js';

export type CgroupLayout = 'v1' | 'v2' | 'hybrid' | 'none';

export interface MountEntry {
  readonly source: string;
  readonly target: string;
  readonly fstype: string;
  readonly options: readonly string[];
}

/** The controllers a v1 mount can carry (cgroups(7)); other mount options are flags such as rw or name=systemd. */
const V1_CONTROLLERS: ReadonlySet<string> = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio', 'blkio', 'perf_event',
  'hugetlb', 'pids', 'rdma', 'misc',
]);

/** Controllers nsbox's resource flags use; a host without one gets a warning. */
const WANTED_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The entries of a /proc/mounts text (octal escapes such as \040 decoded). */
export function parseMounts(text: string): MountEntry[] {
  return text
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields.length >= 4)
    .map(([source, target, fstype, options]) => ({
      source: unescapeMount(source!),
      target: unescapeMount(target!),
      fstype: fstype!,
      options: options!.split(','),
    }));
}

function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** v2 when cgroup2 is mounted at /sys/fs/cgroup; hybrid when v1 hierarchies and a cgroup2 mount coexist. */
export function detectCgroupLayout(mounts: readonly MountEntry[]): CgroupLayout {
  const v1 = mounts.some((m) => m.fstype === 'cgroup');
  const v2 = mounts.filter((m) => m.fstype === 'cgroup2');
  if (v2.some((m) => m.target === CGROUP_ROOT)) return 'v2';
  if (v1 && v2.length > 0) return 'hybrid';
  if (v1) return 'v1';
  return v2.length > 0 ? 'v2' : 'none';
}

/** The controllers of all v1 mounts, sorted and without duplicates. */
export function listV1Controllers(mounts: readonly MountEntry[]): string[] {
  const found = mounts.filter((m) => m.fstype === 'cgroup').flatMap((m) => m.options.filter((o) => V1_CONTROLLERS.has(o)));
  return [...new Set(found)].sort();
}

/** Results for cgroups on the host under `root` ('' on the real host). */
export function probeCgroups(root: string): ProbeResult[] {
  const text = readHostFile(root, '/proc/mounts');
  if (text === undefined) return [{ status: 'fail', what: 'cgroup version', detail: 'cannot read /proc/mounts', fix: 'mount -t proc proc /proc' }];
  const mounts = parseMounts(text);
  const layout = detectCgroupLayout(mounts);
  if (layout === 'none') {
    return [{ status: 'fail', what: 'cgroup version', detail: 'no cgroup filesystem mounted', fix: `mount -t cgroup2 none ${CGROUP_ROOT}` }];
  }
  const v2Mount = mounts.find((m) => m.fstype === 'cgroup2');
  const results: ProbeResult[] = [{ status: 'ok', what: 'cgroup version', detail: describeLayout(layout, v2Mount) }];
  const available = new Set<string>();
  if (layout !== 'v2') {
    const v1 = listV1Controllers(mounts);
    v1.forEach((c) => available.add(c));
    results.push({ status: 'ok', what: 'cgroup v1 controllers', detail: v1.join(' ') || 'none' });
  }
  if (v2Mount) {
    const listed = readHostFile(root, `${v2Mount.target}/cgroup.controllers`);
    const v2 = listed?.trim().split(/\s+/).filter((c) => c !== '') ?? [];
    v2.forEach((c) => available.add(c));
    const where = `${v2Mount.target}/cgroup.controllers`;
    results.push(
      listed === undefined
        ? { status: 'warn', what: 'cgroup v2 controllers', detail: `cannot read ${where}` }
        : { status: 'ok', what: 'cgroup v2 controllers', detail: `${v2.join(' ') || 'none'} (${where})` },
    );
  }
  const missing = WANTED_CONTROLLERS.filter((c) => !available.has(c));
  if (missing.length > 0) {
    results.push({
      status: 'warn',
      what: 'cgroup controllers',
      detail: `missing ${missing.join(', ')}: resource limits on them will not work`,
      fix: missing.includes('memory') ? 'boot with cgroup_enable=memory (and swapaccount=1)' : `enable ${missing.join(', ')} in the kernel`,
    });
  }
  return results;
}

function describeLayout(layout: Exclude<CgroupLayout, 'none'>, v2Mount: MountEntry | undefined): string {
  if (layout === 'v2') return `v2 (unified, cgroup2 at ${v2Mount?.target ?? CGROUP_ROOT})`;
  if (layout === 'v1') return `v1 (legacy, one hierarchy per controller under ${CGROUP_ROOT})`;
  return `hybrid (v1 hierarchies under ${CGROUP_ROOT}, cgroup2 at ${v2Mount?.target ?? '?'})`;
}
