// An OCI container's cgroups: linux.cgroupsPath -> one directory per v1 hierarchy (or one on v2), and
// linux.resources -> the knob writes, as plan steps. Only the caller-given path is ever created or written.
//
// Paths follow runc's cgroupfs rules: an absolute cgroupsPath is taken from each hierarchy's root, a relative one
// from the runtime's own cgroup on that hierarchy, none is "<id>" below the runtime's own; the systemd form
// "slice:prefix:name" is laid out as systemd would (machine.slice/libpod-ID.scope), as cgroupfs directories: the
// runtime never asks systemd (crun's cgroupfs fallback). On v2 a relative path starts beside the runtime's own cgroup
// when that is a systemd scope (runc: a scope holds processes, so it can have no child cgroups with controllers), and
// every level above the container offers it the controllers of its parent (cgroup.subtree_control, top-down).

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NsboxError } from '../errors.js';
import { detectCgroupHost, findProcCgroupPath, type CgroupHierarchy, type CgroupHost } from '../cgroup/detect.js';
import type { Step } from '../plan/types.js';
import type { OciCgroupsPath, OciDeviceRule, OciResources } from '../oci/container.js';

/** v1 controllers a container joins (runc joins every one it knows; these are the ones nsbox-runtime writes or reads). */
const V1_CONTROLLERS = ['pids', 'memory', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'blkio'] as const;

export interface ContainerCgroup {
  readonly version: 1 | 2;
  /** Absolute directories, one per hierarchy, with the controllers of each. */
  readonly dirs: readonly { readonly dir: string; readonly controllers: readonly string[] }[];
  /** Directories that did not exist and that create makes, parents first (delete removes these only). */
  readonly created: readonly string[];
  /** v2: the unified hierarchy's mount (cgroup.subtree_control is written from there down). */
  readonly mount?: string;
}

/** OciCgroupsPath -> a path from the hierarchy root ("/a/b") or below the runtime's own cgroup ("a/b"); none: "<id>". */
export function cgroupPathOf(cgroupsPath: OciCgroupsPath, id: string): string {
  if (cgroupsPath.form === 'none' || cgroupsPath.path === '') return id;
  return cgroupsPath.base === 'root' ? `/${cgroupsPath.path}` : cgroupsPath.path;
}

/** The container's cgroup directories on this host, and which of them (and their parents) create must make. */
export function resolveContainerCgroup(path: string, host: CgroupHost = detectCgroupHost()): ContainerCgroup {
  if (host.mode === 'none') throw new NsboxError(`cannot place the container: no cgroup filesystem is mounted at ${host.root}`);
  const hierarchies: { hierarchy: CgroupHierarchy; controllers: string[] }[] = [];
  if (host.mode === 'v2') {
    const unified = host.hierarchies.find((h) => h.version === 2)!;
    hierarchies.push({ hierarchy: unified, controllers: [...unified.controllers] });
  } else {
    const seen = new Map<string, { hierarchy: CgroupHierarchy; controllers: string[] }>();
    for (const controller of V1_CONTROLLERS) {
      const h = host.hierarchies.find((x) => x.version === 1 && x.controllers.includes(controller));
      if (!h) continue;
      const entry = seen.get(h.mount) ?? { hierarchy: h, controllers: [] };
      entry.controllers.push(controller);
      seen.set(h.mount, entry);
    }
    hierarchies.push(...seen.values());
  }
  const dirs: { dir: string; controllers: string[] }[] = [];
  const created: string[] = [];
  for (const { hierarchy, controllers } of hierarchies) {
    const base = path.startsWith('/') ? '/' : relativeBase(findProcCgroupPath(host.self, hierarchy) ?? '/', hierarchy.version);
    const full = join(base, path);
    const parts = full.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const dir = join(hierarchy.mount, ...parts.slice(0, i));
      if (!existsSync(dir)) created.push(dir);
    }
    dirs.push({ dir: join(hierarchy.mount, ...parts), controllers });
  }
  return { version: host.mode === 'v2' ? 2 : 1, dirs, created, ...(host.mode === 'v2' ? { mount: hierarchies[0]!.hierarchy.mount } : {}) };
}

/** Where a relative path starts: the runtime's own cgroup; on v2 the slice above it when that is a .scope (runc). */
function relativeBase(own: string, version: 1 | 2): string {
  return version === 2 && own.endsWith('.scope') ? dirname(own) : own;
}

/** Plan steps: make the missing directories (parents first), on v2 enable the controllers down to it, then write the limits. */
export function planCgroupSteps(cg: ContainerCgroup, resources: OciResources, deviceRules: readonly OciDeviceRule[]): Step[] {
  const steps: Step[] = [];
  for (const dir of cg.created) {
    steps.push({ kind: 'mkdir', path: dir, why: 'The container\'s cgroup (or a missing parent of it), at the path the caller chose.', undo: { kind: 'rmdir', path: dir } });
    // A new v1 cpuset cgroup has no CPUs or memory nodes and takes no process until it is given its parent's
    // (the nearest existing ancestor's, read now: the ones between are made by this plan with the same values).
    if (dir.includes('/cpuset/') && cg.version === 1) {
      for (const knob of ['cpuset.cpus', 'cpuset.mems'] as const) {
        steps.push({ kind: 'write-file', path: join(dir, knob), content: inheritedCpuset(dir, knob), why: `v1 cpuset: a new cgroup takes its parent's ${knob} before a process may join.` });
      }
    }
  }
  if (cg.version === 2 && cg.mount !== undefined) steps.push(...subtreeControlSteps(cg, cg.mount));
  for (const write of knobWrites(cg, resources, deviceRules)) steps.push(write);
  return steps;
}

/**
 * v2: a cgroup offers its children only the controllers in its cgroup.subtree_control. Each level from the mount
 * down to the container's parent offers every controller of the root (runc does the same), top-down; the kernel
 * refuses that in a non-root cgroup holding processes ("no internal processes"): that is a clear error now.
 */
export function subtreeControlSteps(cg: ContainerCgroup, mount: string): Step[] {
  const dir = cg.dirs[0]!.dir;
  if (!dir.startsWith(`${mount}/`)) return [];
  const parts = dir.slice(mount.length + 1).split('/');
  const steps: Step[] = [];
  // Each level ends up offering all of these, so the next one has them to offer in turn.
  const offered = readWords(join(mount, 'cgroup.controllers'));
  for (let i = 0; i < parts.length; i++) {
    const level = join(mount, ...parts.slice(0, i));
    const made = cg.created.includes(level);
    const enabled = made ? [] : readWords(join(level, 'cgroup.subtree_control'));
    const missing = offered.filter((c) => !enabled.includes(c));
    if (missing.length === 0) continue;
    if (!made && i > 0 && readWords(join(level, 'cgroup.procs')).length > 0) {
      throw new NsboxError(`cannot place the container below ${level}: it holds processes, and cgroup v2 offers controllers to child cgroups only from a cgroup without processes of its own`, { hint: 'give a cgroupsPath whose parents hold no processes (on systemd hosts: a slice, not a scope)' });
    }
    steps.push({ kind: 'write-file', path: join(level, 'cgroup.subtree_control'), content: missing.map((c) => `+${c}`).join(' '), why: `cgroup v2: let the cgroups below ${level} use ${missing.join(', ')}.` });
  }
  return steps;
}

function readWords(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** linux.resources as file writes into the container's cgroup (also used by `update`). */
export function knobWrites(cg: ContainerCgroup, r: OciResources, deviceRules: readonly OciDeviceRule[] = []): Step[] {
  const on = (controller: string) => cg.dirs.find((d) => d.controllers.includes(controller))?.dir;
  const steps: Step[] = [];
  const put = (dir: string | undefined, file: string, content: string, why: string) => {
    if (dir === undefined) throw new NsboxError(`cannot apply ${why}: its controller is not mounted`);
    steps.push({ kind: 'write-file', path: join(dir, file), content, why });
  };
  const swap = r.memorySwapBytes === 'unlimited' ? -1 : r.memorySwapBytes;
  if (cg.version === 1) {
    const memory = on('memory');
    if (r.memoryBytes !== undefined) put(memory, 'memory.limit_in_bytes', String(r.memoryBytes), 'linux.resources.memory.limit');
    if (swap !== undefined && memory && existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) {
      put(memory, 'memory.memsw.limit_in_bytes', String(swap), 'linux.resources.memory.swap (memory plus swap)');
    }
    if (r.cpuShares !== undefined) put(on('cpu'), 'cpu.shares', String(r.cpuShares), 'linux.resources.cpu.shares');
    if (r.cpuPeriodUs !== undefined) put(on('cpu'), 'cpu.cfs_period_us', String(r.cpuPeriodUs), 'linux.resources.cpu.period');
    if (r.cpuQuotaUs !== undefined) put(on('cpu'), 'cpu.cfs_quota_us', String(r.cpuQuotaUs), 'linux.resources.cpu.quota');
    if (r.cpusetCpus !== undefined) put(on('cpuset'), 'cpuset.cpus', r.cpusetCpus, 'linux.resources.cpu.cpus');
    if (r.pidsLimit !== undefined) put(on('pids'), 'pids.max', r.pidsLimit < 0 ? 'max' : String(r.pidsLimit), 'linux.resources.pids.limit');
    // One rule per write(2): the kernel parses a single rule from each; config.json's first, then runc's defaults.
    for (const rule of deviceRules) put(on('devices'), rule.allow ? 'devices.allow' : 'devices.deny', rule.rule, `device rule (${rule.origin}, ${rule.allow ? 'allow' : 'deny'})`);
  } else {
    const dir = cg.dirs[0]!.dir;
    if (r.memoryBytes !== undefined) put(dir, 'memory.max', String(r.memoryBytes), 'linux.resources.memory.limit');
    if (swap !== undefined && r.memoryBytes !== undefined) {
      put(dir, 'memory.swap.max', swap < 0 ? 'max' : String(Math.max(0, swap - r.memoryBytes)), 'linux.resources.memory.swap (v2 counts swap alone)');
    }
    if (r.cpuShares !== undefined) put(dir, 'cpu.weight', String(cpuWeight(r.cpuShares)), 'linux.resources.cpu.shares, as cpu.weight');
    if (r.cpuQuotaUs !== undefined) put(dir, 'cpu.max', `${r.cpuQuotaUs < 0 ? 'max' : r.cpuQuotaUs} ${r.cpuPeriodUs ?? 100000}`, 'linux.resources.cpu.quota/period');
    if (r.cpusetCpus !== undefined) put(dir, 'cpuset.cpus', r.cpusetCpus, 'linux.resources.cpu.cpus');
    if (r.pidsLimit !== undefined) put(dir, 'pids.max', r.pidsLimit < 0 ? 'max' : String(r.pidsLimit), 'linux.resources.pids.limit');
    // Device rules on v2 are eBPF programs, which no stock tool loads: not enforced there (README says so).
  }
  return steps;
}

/** runc's shares -> weight conversion (1..10000). */
export function cpuWeight(shares: number): number {
  return Math.max(1, Math.min(10000, 1 + Math.floor(((shares - 2) * 9999) / 262142)));
}

function inheritedCpuset(dir: string, knob: string): string {
  for (let up = dirname(dir); up !== dirname(up); up = dirname(up)) {
    try {
      const value = readFileSync(join(up, knob), 'utf8').trim();
      if (value !== '') return value;
    } catch {
      // made by this plan too: look higher
    }
  }
  throw new NsboxError(`cannot place the container: no ${knob} above ${dir}`);
}

/**
 * The directories and every cgroup below them, parents first. A container whose cgroups are mounted writable
 * (podman's systemd mode) makes cgroups of its own there and moves its processes in: they are the container's too,
 * as runc counts them (GetAllPids, RemovePath).
 */
export function cgroupTree(dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    out.push(dir);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // gone
    }
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
  };
  for (const dir of dirs) walk(dir);
  return out;
}

/** Every pid in the container's cgroups and the cgroups below them (pids hierarchy first: it tracks every process). */
export function listCgroupPids(dirs: readonly string[]): number[] {
  const found = new Set<number>();
  for (const dir of cgroupTree(dirs)) {
    try {
      for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line) found.add(Number(line));
    } catch {
      // gone
    }
  }
  return [...found];
}
