// cgroup v1 layout: one cgroup per controller hierarchy, and the v1 file names (memory.limit_in_bytes, ...).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { formatCpuList, parseCpuList } from './cpu-list.js';
import { findHierarchy, readOr, type CgroupHierarchy, type CgroupHost } from './detect.js';
import {
  boxCgroupName, checkWritable, dirOf, listAncestors, listMissing, resolveParentPath,
  type CgroupDir, type CgroupLayout, type KnobWrite,
} from './layout.js';
import { listRequiredControllers, type CgroupRequest } from './request.js';

/** Controllers a box joins even without a limit there: pids tracks (and kills) every process of the box. */
const TRACKING = ['pids'] as const;

/** Plan the v1 cgroups of a box: fail closed when a controller a limit needs is not mounted or not writable. */
export function layoutV1(request: CgroupRequest, boxId: string, host: CgroupHost): CgroupLayout {
  const required = listRequiredControllers(request);
  const wanted = new Map<string, CgroupHierarchy>();
  for (const [controller, flag] of required) {
    const hierarchy = findHierarchy(host, controller);
    if (!hierarchy) {
      throw new NsboxError(`cannot apply ${flag}: the ${controller} controller is not mounted under ${host.root}`, {
        hint: `mount it: mkdir -p ${host.root}/${controller} && mount -t cgroup -o ${controller} cgroup ${host.root}/${controller}`,
      });
    }
    if (hierarchy.version === 2) {
      throw new NsboxError(`cannot apply ${flag}: the ${controller} controller is on the cgroup2 hierarchy of this hybrid host, which nsbox does not mix with v1`);
    }
    wanted.set(controller, hierarchy);
  }
  const optional: string[] = [...TRACKING];
  if (wanted.has('cpu')) optional.push('cpuacct'); // CPU usage of the box, for reports and tests
  for (const controller of optional) {
    const hierarchy = findHierarchy(host, controller);
    if (hierarchy?.version === 1 && !wanted.has(controller)) wanted.set(controller, hierarchy);
  }

  const name = boxCgroupName(boxId);
  const byMount = new Map<string, { hierarchy: CgroupHierarchy; controllers: string[] }>();
  for (const [controller, hierarchy] of wanted) {
    const entry = byMount.get(hierarchy.mount) ?? { hierarchy, controllers: [] };
    entry.controllers.push(controller);
    byMount.set(hierarchy.mount, entry);
  }

  const missingParents: CgroupDir[] = [];
  const parentWrites: KnobWrite[] = [];
  const boxes: CgroupDir[] = [];
  const limits: KnobWrite[] = [];
  for (const { hierarchy, controllers } of byMount.values()) {
    const parentPath = resolveParentPath(host, hierarchy, request);
    const parent: CgroupDir = { version: 1, mount: hierarchy.mount, controllers, path: parentPath };
    const box: CgroupDir = { ...parent, path: `${parentPath === '/' ? '' : parentPath}/${name}` };
    checkWritable(hierarchy.mount, parentPath, controllers.join(','));
    if (listMissing(hierarchy.mount, parentPath).length > 0) missingParents.push(parent);
    boxes.push(box);
    if (controllers.includes('cpuset')) {
      const mems = prepareCpusetParents(parent, request.cpusetCpus!, parentWrites);
      limits.push(write(box, 'cpuset.cpus', request.cpusetCpus!, '--cpuset-cpus: the CPUs the box may run on'));
      limits.push(write(box, 'cpuset.mems', mems, 'v1 cpuset needs memory nodes before a process may join: the parent\'s'));
    }
    for (const controller of controllers) limits.push(...limitWrites(controller, box, request, host));
  }
  return { version: 1, missingParents, parentWrites, boxes, limits };
}

function limitWrites(controller: string, box: CgroupDir, request: CgroupRequest, host: CgroupHost): KnobWrite[] {
  const writes: KnobWrite[] = [];
  if (controller === 'memory' && request.memoryBytes !== undefined) {
    // memsw must stay >= limit_in_bytes (the kernel refuses otherwise): the limit first, then memory+swap.
    writes.push(write(box, 'memory.limit_in_bytes', String(request.memoryBytes), '--memory: the box\'s memory limit in bytes'));
    const swapAccounting = existsSync(join(box.mount, 'memory.memsw.limit_in_bytes'));
    if (request.memorySwapBytes !== undefined) {
      if (!swapAccounting) {
        throw new NsboxError('cannot apply --memory-swap: swap accounting is off (no memory.memsw.limit_in_bytes)', {
          hint: 'boot the kernel with swapaccount=1',
        });
      }
      const value = request.memorySwapBytes === 'unlimited' ? '-1' : String(request.memorySwapBytes);
      writes.push(write(box, 'memory.memsw.limit_in_bytes', value, '--memory-swap: memory plus swap'));
    } else if (host.swapOn && swapAccounting) {
      writes.push(write(box, 'memory.memsw.limit_in_bytes', String(request.memoryBytes), 'no swap beyond --memory (this host has swap on)'));
    }
  }
  if (controller === 'cpu') {
    if (request.cpuQuotaUs !== undefined) {
      writes.push(write(box, 'cpu.cfs_period_us', String(request.cpuPeriodUs), '--cpus: the CFS accounting period'));
      writes.push(write(box, 'cpu.cfs_quota_us', String(request.cpuQuotaUs), '--cpus: CPU time the box may use per period'));
    }
    if (request.cpuShares !== undefined) writes.push(write(box, 'cpu.shares', String(request.cpuShares), '--cpu-shares: relative CPU weight'));
  }
  if (controller === 'pids' && request.pidsLimit !== undefined) {
    writes.push(write(box, 'pids.max', String(request.pidsLimit), '--pids-limit: at most this many processes and threads'));
  }
  if (controller === 'devices') {
    // One rule per write: the kernel parses a single "type major:minor access" rule from each write(2).
    for (const rule of request.devicesDeny ?? []) writes.push(write(box, 'devices.deny', rule, describeDeviceRule(rule)));
    for (const rule of request.devicesAllow ?? []) writes.push(write(box, 'devices.allow', rule, `device allowed: ${rule}`));
  }
  return writes;
}

/**
 * A v1 cpuset cgroup starts with empty cpuset.cpus/mems and takes no process until both are set, nor can its
 * children have CPUs it lacks: give every new (or empty) parent its nearest ancestor's sets. Returns the mems.
 */
function prepareCpusetParents(parent: CgroupDir, cpus: string, writes: KnobWrite[]): string {
  let goodCpus = '';
  let goodMems = '';
  for (const path of listAncestors(parent.path)) {
    const dir = dirOf({ mount: parent.mount, path });
    const ownCpus = existsSync(dir) ? readOr(join(dir, 'cpuset.cpus'), '').trim() : '';
    const ownMems = existsSync(dir) ? readOr(join(dir, 'cpuset.mems'), '').trim() : '';
    if (ownCpus !== '' && ownMems !== '') {
      goodCpus = ownCpus;
      goodMems = ownMems;
      continue;
    }
    if (goodCpus === '') throw new NsboxError(`cannot apply --cpuset-cpus: ${dir} has no cpuset.cpus to inherit`);
    const node: CgroupDir = { ...parent, path };
    writes.push(write(node, 'cpuset.cpus', goodCpus, 'a new v1 cpuset parent gets its parent\'s CPUs'));
    writes.push(write(node, 'cpuset.mems', goodMems, 'a new v1 cpuset parent gets its parent\'s memory nodes'));
  }
  const allowed = parseCpuList(goodCpus) ?? [];
  const outside = (parseCpuList(cpus) ?? []).filter((cpu) => !allowed.includes(cpu));
  if (outside.length > 0) {
    throw new NsboxError(`cannot apply --cpuset-cpus ${cpus}: CPU ${formatCpuList(outside)} is not in the parent cgroup's cpuset (${goodCpus})`);
  }
  return goodMems;
}

/** The --explain line of a devices.deny rule. */
function describeDeviceRule(rule: string): string {
  if (rule === 'b *:* m') return 'no block devices: mknod of any block device fails in the box (EPERM), even with CAP_MKNOD';
  if (rule === 'a') return 'every device denied, then the allow-list below (mknod of character devices, Docker\'s default devices)';
  return `device rule: deny ${rule}`;
}

function write(dir: CgroupDir, file: string, value: string, why: string): KnobWrite {
  return { dir, file, value, why };
}
