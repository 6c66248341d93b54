// cgroup v2 layout: one cgroup in the unified hierarchy, controllers enabled top-down in cgroup.subtree_control,
// and the v2 file names (memory.max, memory.swap.max, cpu.max, cpu.weight, cpuset.cpus, pids.max).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { formatCpuList, parseCpuList } from './cpu-list.js';
import { readOr, type CgroupHost } from './detect.js';
import {
  boxCgroupName, checkWritable, dirOf, listAncestors, listMissing, resolveParentPath,
  type CgroupDir, type CgroupLayout, type KnobWrite,
} from './layout.js';
import { listRequiredControllers, type CgroupRequest } from './request.js';

/** runc's conversion of v1 cpu.shares [2, 262144] to v2 cpu.weight [1, 10000]. */
export function convertSharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** Plan the v2 cgroup of a box: fail closed when a controller is missing or cannot be enabled down to the parent. */
export function layoutV2(request: CgroupRequest, boxId: string, host: CgroupHost): CgroupLayout {
  const hierarchy = host.hierarchies.find((h) => h.version === 2)!;
  const rootFile = join(hierarchy.mount, 'cgroup.controllers');
  const controllers: string[] = [];
  for (const [controller, flag] of listRequiredControllers(request)) {
    if (!hierarchy.controllers.includes(controller)) {
      throw new NsboxError(`cannot apply ${flag}: the ${controller} controller is not available on cgroup v2 (not in ${rootFile})`);
    }
    if (!controllers.includes(controller)) controllers.push(controller);
  }
  if (hierarchy.controllers.includes('pids') && !controllers.includes('pids')) controllers.push('pids'); // tracking

  const parentPath = resolveParentPath(host, hierarchy, request);
  const parent: CgroupDir = { version: 2, mount: hierarchy.mount, controllers, path: parentPath };
  const box: CgroupDir = { ...parent, path: `${parentPath === '/' ? '' : parentPath}/${boxCgroupName(boxId)}` };
  checkWritable(hierarchy.mount, parentPath, controllers.join(','));
  const missing = listMissing(hierarchy.mount, parentPath);
  const parentWrites = enableControllers(parent, controllers, missing);
  const limits = limitWrites(box, request, host, parent);
  return { version: 2, missingParents: missing.length > 0 ? [parent] : [], parentWrites, boxes: [box], limits };
}

/**
 * A v2 cgroup offers its children only the controllers in its cgroup.subtree_control, so each one from the root
 * down to the parent must list them. The kernel refuses that in a non-root cgroup that holds processes ("no
 * internal processes"): say so now rather than leave a half-made cgroup.
 */
function enableControllers(parent: CgroupDir, controllers: readonly string[], missing: readonly string[]): KnobWrite[] {
  const writes: KnobWrite[] = [];
  if (controllers.length === 0) return writes;
  for (const path of listAncestors(parent.path)) {
    const node: CgroupDir = { ...parent, path };
    const dir = dirOf(node);
    const enabled = missing.includes(path) ? [] : readOr(join(dir, 'cgroup.subtree_control'), '').split(/\s+/);
    const needed = controllers.filter((c) => !enabled.includes(c));
    if (needed.length === 0) continue;
    if (path !== '/' && !missing.includes(path) && readOr(join(dir, 'cgroup.procs'), '').trim() !== '') {
      throw new NsboxError(
        `cannot enable the ${needed.join(', ')} controller in ${dir}: it holds processes, and cgroup v2 enables controllers only for cgroups without processes of their own`,
        { hint: 'use a --cgroup-parent that is not your own cgroup or an ancestor with processes, e.g. a sibling' },
      );
    }
    const value = needed.map((c) => `+${c}`).join(' ');
    writes.push({ dir: node, file: 'cgroup.subtree_control', value, why: `let the cgroups below ${path} use ${needed.join(', ')}` });
  }
  return writes;
}

function limitWrites(box: CgroupDir, request: CgroupRequest, host: CgroupHost, parent: CgroupDir): KnobWrite[] {
  const writes: KnobWrite[] = [];
  const add = (file: string, value: string, why: string) => writes.push({ dir: box, file, value, why });
  if (request.memoryBytes !== undefined) {
    add('memory.max', String(request.memoryBytes), '--memory: the box\'s memory limit in bytes');
    if (request.memorySwapBytes === 'unlimited') add('memory.swap.max', 'max', '--memory-swap -1: unlimited swap');
    else if (request.memorySwapBytes !== undefined) {
      add('memory.swap.max', String(request.memorySwapBytes - request.memoryBytes), '--memory-swap: swap is the total minus --memory');
    } else if (host.swapOn) add('memory.swap.max', '0', 'no swap beyond --memory (this host has swap on)');
  }
  if (request.cpuQuotaUs !== undefined) add('cpu.max', `${request.cpuQuotaUs} ${request.cpuPeriodUs}`, '--cpus: quota and period in microseconds');
  if (request.cpuShares !== undefined) {
    add('cpu.weight', String(convertSharesToWeight(request.cpuShares)), `--cpu-shares ${request.cpuShares} as a v2 weight`);
  }
  if (request.cpusetCpus !== undefined) {
    checkCpusetWithin(parent, request.cpusetCpus);
    add('cpuset.cpus', request.cpusetCpus, '--cpuset-cpus: the CPUs the box may run on');
  }
  if (request.pidsLimit !== undefined) add('pids.max', String(request.pidsLimit), '--pids-limit: at most this many processes and threads');
  return writes;
}

/** The box's CPUs must be within the nearest existing ancestor's effective cpuset. */
function checkCpusetWithin(parent: CgroupDir, cpus: string): void {
  const existing = listAncestors(parent.path).filter((p) => existsSync(dirOf({ mount: parent.mount, path: p }))).pop() ?? '/';
  const text = readOr(join(dirOf({ mount: parent.mount, path: existing }), 'cpuset.cpus.effective'), '').trim();
  if (text === '') return; // the root has no cpuset files: every CPU
  const allowed = parseCpuList(text) ?? [];
  const outside = (parseCpuList(cpus) ?? []).filter((cpu) => !allowed.includes(cpu));
  if (outside.length > 0) {
    throw new NsboxError(`cannot apply --cpuset-cpus ${cpus}: CPU ${formatCpuList(outside)} is not in the parent cgroup's cpuset (${text})`);
  }
}
