// Running or not, derived on every read from /proc and the exit file, never trusted from the record.

import { readFileSync, statSync } from 'node:fs';
import { readMemoryCounters } from '../cgroup/outcome.js';
import { isAlive } from './proc-identity.js';
import type { BoxPaths } from './paths.js';
import type { BoxRecord } from './record.js';

/** created: set up, not started (unused today); dead: gone without a recorded exit (crash, killed supervisor, reboot). */
export type BoxStatus = 'creating' | 'running' | 'exited' | 'dead';

export interface BoxState {
  readonly status: BoxStatus;
  readonly exitCode: number | undefined;
  readonly finishedAt: string | undefined;
  readonly oomKilled: boolean;
  /** Host PID of the command (PID 1 of the box), while running. */
  readonly pid: number | undefined;
}

/** The exit file: "<status>\n", written by the reaper shell when PID 1 ends; its mtime is the end time. */
export function readExitFile(file: string): { code: number; finishedAt: string } | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (!/^\d+$/.test(text)) return undefined; // not written yet (or cut short)
    return { code: Number(text), finishedAt: statSync(file).mtime.toISOString() };
  } catch {
    return undefined;
  }
}

/** Did the kernel's OOM killer act in the box's memory cgroup (while it still exists)? */
function readOomKilled(record: BoxRecord): boolean | undefined {
  const cgroup = record.cgroup;
  if (!cgroup?.memoryDir) return undefined;
  const kills = readMemoryCounters(cgroup.memoryDir, cgroup.version).oomKills;
  return kills === undefined ? undefined : kills > 0;
}

/** The box's state now. */
export function deriveState(record: BoxRecord, paths: BoxPaths): BoxState {
  const none = { exitCode: undefined, finishedAt: undefined, oomKilled: false, pid: undefined };
  if (record.phase === 'creating') {
    return { ...none, status: isAlive(record.owner) ? 'creating' : 'dead' };
  }
  if (isAlive(record.supervisor)) return { ...none, status: 'running', pid: record.init?.pid ?? record.supervisor?.pid };
  const exit = record.exit ?? (() => {
    const file = readExitFile(paths.exit);
    if (!file) return undefined;
    return { ...file, oomKilled: readOomKilled(record) ?? false };
  })();
  if (!exit) {
    // The supervisor may have just ended: its exit file is written before it exits, so one more look settles it.
    return { ...none, status: 'dead' };
  }
  // Killed by the memory limit: Docker's 137, whatever the program made of it.
  const code = exit.oomKilled && exit.code !== 0 ? 137 : exit.code;
  return { status: 'exited', exitCode: code, finishedAt: exit.finishedAt, oomKilled: exit.oomKilled, pid: undefined };
}
