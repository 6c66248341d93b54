// Running or not, derived on every read from /proc and the exit file, never trusted from the record.

import { readFileSync, statSync } from 'node:fs';
import { readMemoryCounters } from '../cgroup/outcome.js';
import { isAlive } from './proc-identity.js';
import { NO_RESTART, shouldRestart } from '../lifecycle/box-config.js';
import type { BoxPaths } from './paths.js';
import type { BoxRecord } from './record.js';

/**
 * creating: being set up; created: made by `nsbox create`, never started; restarting: the command ended and its supervisor starts it again after the back-off
 * (Docker's "Restarting (N)"); dead: gone without a recorded exit (crash, killed supervisor, reboot).
 */
export type BoxStatus = 'creating' | 'created' | 'running' | 'restarting' | 'exited' | 'dead';

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
  if (record.phase === 'created') return { ...none, status: 'created' };
  if (isAlive(record.supervisor)) {
    // The supervisor outlives the command only to record its exit and, with a restart policy, start it again.
    // Its exit file is written once the box's processes are gone.
    const ended = record.detached ? readExitFile(paths.exit) : undefined;
    if (!ended) return { ...none, status: 'running', pid: record.init?.pid ?? record.supervisor?.pid };
    const policy = record.restartPolicy ?? NO_RESTART;
    if (shouldRestart(policy, ended.code, record.restartCount ?? 0, record.stoppedByUser === true)) {
      return { ...none, status: 'restarting', exitCode: ended.code, finishedAt: ended.finishedAt };
    }
  }
  if (record.relaunching && record.exit && isAlive(record.owner)) {
    return { ...none, status: 'restarting', exitCode: record.exit.code, finishedAt: record.exit.finishedAt };
  }
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
