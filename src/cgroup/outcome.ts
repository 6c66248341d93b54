// Why did the box die: the kernel's own counters in the box's cgroup (OOM kills, memory peak, refused forks).

import { join } from 'node:path';
import { readOr } from './detect.js';
import type { BoxCgroup } from './plan-cgroup.js';
import { formatSize } from './size.js';

export interface CgroupOutcome {
  /** The kernel's OOM killer killed at least one process of the box (memory.events / memory.oom_control). */
  readonly oomKilled: boolean;
  /** One line for the user, e.g. "killed by the memory limit (100M, peak 100M)"; undefined when nothing to say. */
  readonly message: string | undefined;
  /** Facts for --json results. */
  readonly facts: Readonly<Record<string, unknown>>;
}

/** Read the counters after the box exits and before teardown removes its cgroup. */
export function readCgroupOutcome(box: BoxCgroup): CgroupOutcome {
  const facts: Record<string, unknown> = {};
  const lines: string[] = [];
  let oomKilled = false;
  if (box.memoryDir !== undefined) {
    const memory = readMemoryCounters(box.memoryDir, box.version);
    Object.assign(facts, {
      memoryLimitBytes: box.memoryBytes ?? null,
      memoryPeakBytes: memory.peak ?? null,
      oomKills: memory.oomKills ?? null,
      ...(memory.failcnt === undefined ? {} : { memoryFailcnt: memory.failcnt }),
    });
    oomKilled = (memory.oomKills ?? 0) > 0;
    if (oomKilled) {
      const peak = memory.peak === undefined ? undefined : `peak ${formatSize(memory.peak)}`;
      lines.push(box.memoryBytes === undefined
        ? `killed by the kernel's OOM killer${peak === undefined ? '' : ` (${peak})`}`
        : `killed by the memory limit (${[formatSize(box.memoryBytes), peak].filter(Boolean).join(', ')})`);
    }
  }
  if (box.pidsDir !== undefined) {
    const refused = readKeyed(join(box.pidsDir, 'pids.events'), 'max');
    Object.assign(facts, { pidsLimit: box.pidsLimit ?? null, pidsRefusedForks: refused ?? null });
    if (refused !== undefined && refused > 0 && box.pidsLimit !== undefined) {
      lines.push(`the pids limit (${box.pidsLimit}) refused ${refused} fork${refused === 1 ? '' : 's'}`);
    }
  }
  facts.oomKilled = oomKilled;
  return { oomKilled, message: lines.length > 0 ? lines.join('; ') : undefined, facts };
}

interface MemoryCounters {
  readonly oomKills: number | undefined;
  readonly peak: number | undefined;
  readonly failcnt: number | undefined;
}

/** v2: memory.events oom_kill and memory.peak; v1: memory.oom_control oom_kill, max_usage_in_bytes, failcnt. */
export function readMemoryCounters(dir: string, version: 1 | 2): MemoryCounters {
  if (version === 2) {
    return {
      oomKills: readKeyed(join(dir, 'memory.events'), 'oom_kill'),
      peak: readNumber(join(dir, 'memory.peak')),
      failcnt: undefined,
    };
  }
  return {
    oomKills: readKeyed(join(dir, 'memory.oom_control'), 'oom_kill'),
    peak: readNumber(join(dir, 'memory.max_usage_in_bytes')),
    failcnt: readNumber(join(dir, 'memory.failcnt')),
  };
}

/** The number after `key` in a "key value" per line file (memory.events, pids.events, memory.oom_control). */
export function readKeyed(file: string, key: string): number | undefined {
  const line = readOr(file, '').split('\n').find((l) => l.startsWith(`${key} `));
  const value = line === undefined ? NaN : Number(line.slice(key.length + 1).trim());
  return Number.isFinite(value) ? value : undefined;
}

function readNumber(file: string): number | undefined {
  const text = readOr(file, '').trim();
  return /^\d+$/.test(text) ? Number(text) : undefined;
}
