// Signals to a box: to its command (PID 1), or SIGKILL to every process in its cgroup; and waiting for its end.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../state/proc-identity.js';
import { readExitFile } from '../state/status.js';
import type { BoxRecord } from '../state/record.js';

/** Send `signal` to the box's command, only if it is the very process recorded (never a reused pid). */
export function signalInit(record: BoxRecord, signal: NodeJS.Signals | number): boolean {
  const target = record.init ?? record.supervisor;
  if (!target || !isAlive(target)) return false;
  try {
    process.kill(target.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Every PID in the box's cgroups (its processes, wherever they forked to). */
export function listCgroupPids(record: BoxRecord): number[] {
  const pids = new Set<number>();
  for (const dir of record.cgroup?.dirs ?? []) {
    try {
      for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.add(Number(line));
    } catch {
      // removed, or never created
    }
  }
  return [...pids];
}

/** SIGKILL the command and every process of the box's cgroup (the supervisor then records the exit). */
export function killAll(record: BoxRecord): void {
  // The command's parent (the reaper) is in the cgroup too: spare it, so it reaps PID 1 before it exits and the
  // supervisor records the exit only once PID 1 is gone (PID 1 dying ends the rest of its pid namespace).
  const reaper = record.reaper?.pid ?? (record.init && isAlive(record.init) ? readParent(record.init.pid) : undefined);
  signalInit(record, 'SIGKILL');
  for (const pid of listCgroupPids(record)) {
    if (record.supervisor && pid === record.supervisor.pid) continue;
    if (pid === reaper) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Wait until the box has ended: its supervisor has written the exit status (to `exitFile`, for a detached box; it
 * may live on to restart or remove the box) or has exited; false on timeout.
 */
export async function waitForEnd(record: BoxRecord, timeoutMs: number, exitFile?: string): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    if (!isAlive(record.supervisor) || (exitFile !== undefined && readExitFile(exitFile) !== undefined)) return true;
    if (Date.now() > deadline) return false;
    await sleep(delay);
  }
}

/** Wait until no process is left in the box's cgroups; false on timeout. */
export async function waitForEmptyCgroup(record: BoxRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    if (listCgroupPids(record).length === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(delay);
  }
}

/** The parent PID of `pid` (field 4 of /proc/<pid>/stat), if it still runs. */
function readParent(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}
