// Resource use of a box from its cgroups: memory, CPU time and process count (pids controller on v1: the
// per-process /proc figures are summed when the box has no memory or cpuacct cgroup of its own).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BoxRecord } from '../state/record.js';
import { listCgroupPids } from './signal-box.js';

export interface BoxSample {
  /** Bytes: the memory cgroup's usage, else the sum of the processes' RSS. */
  readonly memoryBytes: number;
  readonly memoryLimitBytes: number | undefined;
  /** CPU time used so far, in nanoseconds. */
  readonly cpuNs: number;
  readonly pids: number;
  /** When the sample was taken (ms, monotonic). */
  readonly at: number;
}

const TICK_NS = 1e9 / 100; // USER_HZ is 100 on Linux
const PAGE = 4096;

function readNumber(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim().split(/\s/)[0]);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** One sample of the box's resource use now. */
export function sampleBox(record: BoxRecord): BoxSample {
  // The supervisor and reaper shells are nsbox's, not the box's: left out of the sums.
  const pids = listCgroupPids(record).filter((p) => p !== record.supervisor?.pid && p !== record.reaper?.pid);
  const dirs = record.cgroup?.dirs ?? [];
  const memoryDir = record.cgroup?.memoryDir;
  const v2 = record.cgroup?.version === 2;
  let memoryBytes = memoryDir ? readNumber(join(memoryDir, v2 ? 'memory.current' : 'memory.usage_in_bytes')) : undefined;
  const limit = memoryDir ? readNumber(join(memoryDir, v2 ? 'memory.max' : 'memory.limit_in_bytes')) : undefined;
  let cpuNs = v2 && dirs[0] ? (readKeyed(join(dirs[0], 'cpu.stat'), 'usage_usec') ?? NaN) * 1000 : NaN;
  if (Number.isNaN(cpuNs)) {
    const cpuacct = dirs.find((d) => d.includes('cpuacct'));
    cpuNs = cpuacct ? readNumber(join(cpuacct, 'cpuacct.usage')) ?? NaN : NaN;
  }
  if (memoryBytes === undefined || Number.isNaN(cpuNs)) {
    let rss = 0;
    let ticks = 0;
    for (const pid of pids) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
        rss += Number(fields[21]) * PAGE;
      } catch {
        // exited meanwhile
      }
    }
    memoryBytes ??= rss;
    if (Number.isNaN(cpuNs)) cpuNs = ticks * TICK_NS;
  }
  return { memoryBytes, memoryLimitBytes: limit !== undefined && limit < 2 ** 62 ? limit : undefined, cpuNs, pids: pids.length, at: performance.now() };
}

function readKeyed(file: string, key: string): number | undefined {
  try {
    const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${key} `));
    return line ? Number(line.slice(key.length + 1)) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU use between two samples, in percent of one CPU. */
export function cpuPercent(before: BoxSample, after: BoxSample): number {
  const wallNs = (after.at - before.at) * 1e6;
  return wallNs > 0 ? Math.max(0, ((after.cpuNs - before.cpuNs) / wallNs) * 100) : 0;
}
