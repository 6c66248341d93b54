// Kill every process in a box's cgroup and remove it, sub-cgroups depth first (teardown and rollback).

import { existsSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { quoteWord } from '../plan/quote.js';

/** Only a box's own cgroup (named by boxCgroupName) is ever removed, never a parent or a foreign cgroup. */
const BOX_CGROUP = /^nsbox-[0-9a-f]{12}$/;
const TIMEOUT_MS = 10_000;

/**
 * Remove a box cgroup: cgroup.kill (v2) or SIGKILL each PID until empty, then rmdir children first. `ino` is the
 * inode of the cgroup nsbox made: a cgroup at that path with another inode was made by someone else since (the box's
 * own went with an earlier teardown) and is left alone, processes and all.
 */
export async function removeCgroupTree(dir: string, ino?: number, timeoutMs = TIMEOUT_MS): Promise<void> {
  if (!BOX_CGROUP.test(basename(dir))) throw new Error(`refusing to remove ${dir}: not a cgroup nsbox created`);
  if (!existsSync(dir)) return; // never created, or already gone: nothing to undo
  if (!existsSync(join(dir, 'cgroup.procs'))) throw new Error(`refusing to remove ${dir}: not a cgroup directory`);
  if (ino !== undefined && statSync(dir).ino !== ino) {
    throw new Error(`left cgroup ${dir} alone: it is not the one nsbox created for this box (made again by someone else)`);
  }
  const deadline = Date.now() + timeoutMs;
  await killAll(dir, deadline);
  for (const cgroup of listDepthFirst(dir)) await removeDir(cgroup, deadline);
}

/** The same as shell lines, for --explain. */
export function renderRemoveCgroup(dir: string): string {
  const d = quoteWord(dir);
  // Mostly the box has ended and its cgroup is empty: one rmdir. Else kill what is left and remove the tree.
  return [
    `rmdir ${d} 2>/dev/null || {`,
    `  if [ -e ${d}/cgroup.kill ]; then echo 1 > ${d}/cgroup.kill; fi`,
    // Bounded like nsbox's own (about 10 s): a process that cannot die (a zombie nobody reaps) must not hang it.
    `  n=0; while pids=$(find ${d} -name cgroup.procs -exec cat {} +) && [ -n "$pids" ]; do`,
    `    [ $((n += 1)) -le 1000 ] || { echo "nsbox script: cannot empty cgroup "${d}": $pids" >&2; break; }`,
    '    kill -9 $pids 2>/dev/null; sleep 0.01',
    '  done',
    `  find ${d} -depth -type d -exec rmdir {} +`,
    '}',
  ].join('\n');
}

/** v2's cgroup.kill kills the whole subtree at once; otherwise SIGKILL every PID again until none is left. */
async function killAll(dir: string, deadline: number): Promise<void> {
  const killFile = join(dir, 'cgroup.kill');
  if (existsSync(killFile)) writeFileSync(killFile, '1');
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    const pids = listDepthFirst(dir).flatMap(readPids);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (Date.now() > deadline) throw new Error(`cannot empty cgroup ${dir}: processes ${pids.join(' ')} survive SIGKILL`);
    await sleep(delay);
  }
}

/** rmdir, retried while the kernel still counts exiting processes (EBUSY). */
async function removeDir(dir: string, deadline: number): Promise<void> {
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    try {
      rmdirSync(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() > deadline) throw new Error(`cannot remove cgroup ${dir}: ${code ?? error}`);
    }
    await sleep(delay);
  }
}

/** The cgroup and every cgroup below it, deepest first. */
function listDepthFirst(dir: string): string[] {
  const result: string[] = [];
  let entries: import('node:fs').Dirent[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return result;
  }
  for (const entry of entries) if (entry.isDirectory()) result.push(...listDepthFirst(join(dir, entry.name)));
  result.push(dir);
  return result;
}

function readPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
