// For `nsbox ns` and `nsbox doctor`: the cgroup(s) a PID is in and the limits set on them.

import { join } from 'node:path';
import { detectCgroupHost, findHierarchy, findProcCgroupPath, parseProcCgroup, readOr, type CgroupHost, type CgroupMode } from './detect.js';
import { dirOf } from './layout.js';
import { formatSize } from './size.js';

export interface CgroupMembership {
  /** "memory", "cpu,cpuacct", "name=systemd", or "" for the cgroup2 line. */
  readonly controllers: string;
  /** Path from the hierarchy root, as in /proc/<pid>/cgroup. */
  readonly path: string;
  /** Absolute directory, when that hierarchy is mounted. */
  readonly dir: string | undefined;
}

export type LimitName = 'memory' | 'memory-swap' | 'cpus' | 'cpu-shares' | 'cpu-weight' | 'cpuset-cpus' | 'pids-limit';

export interface CgroupLimit {
  readonly name: LimitName;
  /** The file it was read from. */
  readonly file: string;
  /** As the kernel wrote it. */
  readonly raw: string;
  /** For people: "100M", "0.5", "unlimited". */
  readonly value: string;
}

export interface CgroupInfo {
  readonly pid: number;
  readonly mode: CgroupMode;
  readonly cgroups: readonly CgroupMembership[];
  /** The limits set on the PID's own cgroups (ancestors may limit further). */
  readonly limits: readonly CgroupLimit[];
}

/** v1 "no limit" for memory: LONG_MAX rounded down to a page (9223372036854771712 on 4K pages). */
const V1_UNLIMITED = 2 ** 62;

interface Knob {
  readonly name: LimitName;
  readonly controller: string;
  readonly v1: string | undefined;
  readonly v2: string | undefined;
}

const KNOBS: readonly Knob[] = [
  { name: 'memory', controller: 'memory', v1: 'memory.limit_in_bytes', v2: 'memory.max' },
  { name: 'memory-swap', controller: 'memory', v1: 'memory.memsw.limit_in_bytes', v2: 'memory.swap.max' },
  { name: 'cpus', controller: 'cpu', v1: 'cpu.cfs_quota_us', v2: 'cpu.max' },
  { name: 'cpu-shares', controller: 'cpu', v1: 'cpu.shares', v2: undefined },
  { name: 'cpu-weight', controller: 'cpu', v1: undefined, v2: 'cpu.weight' },
  { name: 'cpuset-cpus', controller: 'cpuset', v1: 'cpuset.cpus', v2: 'cpuset.cpus.effective' },
  { name: 'pids-limit', controller: 'pids', v1: 'pids.max', v2: 'pids.max' },
];

/** The cgroup path(s) of a PID and the limits in force there; throws if the process does not exist. */
export function readCgroupInfo(pid: number, host: CgroupHost = detectCgroupHost(), proc = '/proc'): CgroupInfo {
  const entries = parseProcCgroup(readOrThrow(join(proc, String(pid), 'cgroup')));
  const cgroups: CgroupMembership[] = entries.map((entry) => {
    const hierarchy = host.hierarchies.find((h) =>
      entry.controllers.length === 0 ? h.version === 2 : h.version === 1 && h.controllers.some((c) => entry.controllers.includes(c)),
    );
    return { controllers: entry.controllers.join(','), path: entry.path, dir: hierarchy ? dirOf({ mount: hierarchy.mount, path: entry.path }) : undefined };
  });
  const limits: CgroupLimit[] = [];
  for (const knob of KNOBS) {
    const hierarchy = findHierarchy(host, knob.controller);
    const file = hierarchy?.version === 1 ? knob.v1 : knob.v2;
    if (!hierarchy || !file) continue;
    const path = findProcCgroupPath(entries, hierarchy);
    if (path === undefined) continue;
    const full = join(dirOf({ mount: hierarchy.mount, path }), file);
    const raw = readOr(full, '').trim();
    if (raw === '') continue;
    const period = hierarchy.version === 1 && knob.name === 'cpus' ? readOr(join(dirOf({ mount: hierarchy.mount, path }), 'cpu.cfs_period_us'), '').trim() : '';
    limits.push({ name: knob.name, file: full, raw, value: describeLimit(knob.name, raw, period) });
  }
  return { pid, mode: host.mode, cgroups, limits };
}

/** Kernel text -> what a person reads. */
export function describeLimit(name: LimitName, raw: string, v1Period = ''): string {
  if (raw === 'max' || raw === '-1') return 'unlimited';
  switch (name) {
    case 'memory':
    case 'memory-swap': {
      const bytes = Number(raw);
      return bytes >= V1_UNLIMITED ? 'unlimited' : formatSize(bytes);
    }
    case 'cpus': {
      const [quota, period] = raw.includes(' ') ? raw.split(' ') : [raw, v1Period];
      if (quota === 'max' || quota === '-1') return 'unlimited';
      const cpus = Number(quota) / Number(period);
      return Number.isFinite(cpus) ? String(Math.round(cpus * 1000) / 1000) : raw;
    }
    default:
      return raw;
  }
}

function readOrThrow(file: string): string {
  const text = readOr(file, '\0');
  if (text === '\0') throw new Error(`cannot read ${file}: no such process`);
  return text;
}
