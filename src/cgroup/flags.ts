// Resource-limit flags of `run`/`sh` (yargs definitions) and their validation into a CgroupRequest.
// Loaded on the `run` path: node builtins only, and host files are read only when a flag needs them.

import type { Options } from 'yargs';
import { flagError } from '../errors.js';
import { formatCpuList, parseCpuList, readOnlineCpus } from './cpu-list.js';
import type { CgroupParentBase, CgroupRequest } from './request.js';
import { parseSize } from './size.js';

/** Docker's smallest --memory: below it the kernel cannot even start a container's first process. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;
/** The CFS period nsbox writes (Docker's default); --cpus N gives a quota of N periods. */
export const CPU_PERIOD_US = 100_000;
/** The kernel rejects a quota under 1 ms. */
const MIN_CPU_QUOTA_US = 1_000;
/** v1 cpu.shares bounds (kernel/sched: MIN_SHARES, MAX_SHARES). */
const MIN_SHARES = 2;
const MAX_SHARES = 262_144;
/** PID_MAX_LIMIT on 64-bit kernels. */
const MAX_PIDS = 4_194_304;
const GROUP = 'Resource limits (cgroups):';

export const CGROUP_OPTIONS: Readonly<Record<string, Options>> = {
  memory: { alias: 'm', type: 'string', group: GROUP, describe: 'memory limit: bytes or with unit k, m, g (at least 6m)' },
  'memory-swap': { type: 'string', group: GROUP, describe: 'memory plus swap limit (-1: unlimited swap; default: no swap beyond --memory)' },
  cpus: { type: 'string', group: GROUP, describe: 'CPU time limit in CPUs, e.g. 0.5 (CFS quota over a 100 ms period)' },
  'cpu-shares': { type: 'string', group: GROUP, describe: 'relative CPU weight, 2-262144 (cpu.shares; cpu.weight on cgroup v2)' },
  'cpuset-cpus': { type: 'string', group: GROUP, describe: 'CPUs the box may run on, e.g. 0-2,4' },
  'pids-limit': { type: 'string', group: GROUP, describe: 'maximum number of processes and threads in the box' },
  'cgroup-parent': {
    type: 'string',
    group: GROUP,
    describe: 'parent cgroup of the box: from the hierarchy root ("nsbox", "/a/b") or, with "./", below nsbox\'s own cgroup',
    defaultDescription: '$NSBOX_CGROUP_PARENT, else "nsbox"',
  },
};

/** What validation needs to know about the host (injectable for tests). */
export interface CpuFacts {
  readonly online: readonly number[];
}

/** The validated request, or undefined when the box asked for no limit and no cgroup placement. */
export function cgroupRequestFromFlags(
  args: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
  cpus: () => CpuFacts = () => ({ online: readOnlineCpus() }),
): CgroupRequest | undefined {
  const memory = single(args, 'memory', '--memory');
  const memorySwap = single(args, 'memory-swap', '--memory-swap');
  const cpuCount = single(args, 'cpus', '--cpus');
  const shares = single(args, 'cpu-shares', '--cpu-shares');
  const cpuset = single(args, 'cpuset-cpus', '--cpuset-cpus');
  const pids = single(args, 'pids-limit', '--pids-limit');
  const parentFlag = single(args, 'cgroup-parent', '--cgroup-parent');
  const anyLimit = [memory, memorySwap, cpuCount, shares, cpuset, pids].some((v) => v !== undefined);
  if (!anyLimit && parentFlag === undefined) return undefined;

  const memoryBytes = memory === undefined ? undefined : parseMemory(memory);
  const quota = cpuCount === undefined ? undefined : parseCpus(cpuCount, cpus().online.length);
  const envParent = env.NSBOX_CGROUP_PARENT;
  const [parentText, parentFlagName] =
    parentFlag !== undefined ? [parentFlag, '--cgroup-parent'] : envParent ? [envParent, 'NSBOX_CGROUP_PARENT'] : ['nsbox', '--cgroup-parent'];
  const { parent, parentBase } = parseCgroupParent(parentText, parentFlagName);
  return {
    memoryBytes,
    memorySwapBytes: memorySwap === undefined ? undefined : parseMemorySwap(memorySwap, memoryBytes),
    cpuQuotaUs: quota,
    cpuPeriodUs: quota === undefined ? undefined : CPU_PERIOD_US,
    cpuShares: shares === undefined ? undefined : parseInteger(shares, '--cpu-shares', MIN_SHARES, MAX_SHARES),
    cpusetCpus: cpuset === undefined ? undefined : parseCpuset(cpuset, cpus().online),
    pidsLimit: pids === undefined ? undefined : parseInteger(pids, '--pids-limit', 1, MAX_PIDS),
    parent,
    parentBase,
  };
}

/** One value of a flag given at most once; yargs gives an array when repeated. */
function single(args: Readonly<Record<string, unknown>>, key: string, flag: string): string | undefined {
  const value = args[key];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw flagError(flag, value.join(' '), 'given more than once');
  return String(value);
}

/** --memory: a size of at least 6 MB that fits a kernel page counter (and a JS safe integer). */
function parseMemory(text: string): number {
  const bytes = parseBytes(text, '--memory');
  if (bytes < MIN_MEMORY_BYTES) throw flagError('--memory', text, 'the minimum is 6m (6291456 bytes)');
  return bytes;
}

function parseBytes(text: string, flag: string): number {
  const size = parseSize(text);
  if (!size.ok) throw flagError(flag, text, size.reason);
  if (size.bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw flagError(flag, text, 'too large (at most 8p)');
  return Number(size.bytes);
}

/** --memory-swap: -1 (unlimited swap) or a total of memory plus swap, not below --memory, which it requires. */
function parseMemorySwap(text: string, memoryBytes: number | undefined): number | 'unlimited' {
  if (memoryBytes === undefined) throw flagError('--memory-swap', text, 'needs --memory as well');
  if (text.trim() === '-1') return 'unlimited';
  const bytes = parseBytes(text, '--memory-swap');
  if (bytes < memoryBytes) throw flagError('--memory-swap', text, 'must be at least --memory (it counts memory plus swap)');
  return bytes;
}

/** --cpus N.N -> CFS quota in microseconds per 100 ms period. */
function parseCpus(text: string, hostCpus: number): number {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text.trim())) throw flagError('--cpus', text, 'expected a positive number of CPUs such as 0.5 or 2');
  const cpus = Number(text);
  if (cpus === 0) throw flagError('--cpus', text, 'must be more than 0');
  if (cpus > hostCpus) throw flagError('--cpus', text, `more than the ${hostCpus} CPU${hostCpus === 1 ? '' : 's'} of this host`);
  const quota = Math.round(cpus * CPU_PERIOD_US);
  if (quota < MIN_CPU_QUOTA_US) throw flagError('--cpus', text, 'the minimum is 0.01');
  return quota;
}

function parseInteger(text: string, flag: string, min: number, max: number): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw flagError(flag, text, `expected a whole number from ${min} to ${max}`);
  const value = Number(trimmed);
  if (value < min || value > max) throw flagError(flag, text, `must be from ${min} to ${max}`);
  return value;
}

/** --cpuset-cpus: a CPU list whose every CPU is online on this host; returned in canonical form. */
function parseCpuset(text: string, online: readonly number[]): string {
  const cpus = parseCpuList(text);
  if (cpus === undefined || cpus.length === 0) throw flagError('--cpuset-cpus', text, 'expected a CPU list such as 0-2,4');
  const missing = cpus.filter((cpu) => !online.includes(cpu));
  if (missing.length > 0) {
    throw flagError('--cpuset-cpus', text, `CPU ${formatCpuList(missing)} does not exist on this host (online: ${formatCpuList(online)})`);
  }
  return formatCpuList(cpus);
}

const KNOB_PREFIX = /^((cgroup|memory|cpu|cpuacct|cpuset|pids|io|blkio|hugetlb|rdma|misc|freezer|devices|net_cls|net_prio|perf_event)\..*|notify_on_release|release_agent|tasks)$/;

/**
 * --cgroup-parent: "a/b" or "/a/b" from the hierarchy root (per v1 hierarchy), "./a" or "." below nsbox's own
 * cgroup. No "..", no empty or "." components inside, no names of cgroup files: the path cannot leave its base.
 */
export function parseCgroupParent(text: string, flag = '--cgroup-parent'): { parent: string; parentBase: CgroupParentBase } {
  if (text === '') throw flagError(flag, text, 'expected a cgroup path such as nsbox or ./tests');
  let parentBase: CgroupParentBase = 'root';
  let rest = text;
  if (rest === '.' || rest.startsWith('./')) {
    parentBase = 'self';
    rest = rest.slice(1);
  }
  rest = rest.replace(/^\/+/, '').replace(/\/+$/, '');
  if (rest === '') return { parent: '', parentBase };
  for (const part of rest.split('/')) {
    if (part === '..') throw flagError(flag, text, '".." would leave the parent cgroup');
    if (part === '' || part === '.') throw flagError(flag, text, 'empty or "." path component');
    if (!/^[A-Za-z0-9_@:+=,-][A-Za-z0-9_@:+=,.-]*$/.test(part)) throw flagError(flag, text, `invalid cgroup name ${JSON.stringify(part)}`);
    if (KNOB_PREFIX.test(part)) throw flagError(flag, text, `${JSON.stringify(part)} is the name of a cgroup file`);
  }
  if (rest.length > 1024) throw flagError(flag, text, 'too long');
  return { parent: rest, parentBase };
}
