// Ending a container: SIGKILL every process in its cgroups, then remove the cgroup directories create made
// (children first), retrying while the kernel still counts exiting tasks. Never a directory create did not make,
// but the cgroups a container made below its own (a writable cgroup mount) go with it, as runc's RemovePath does.

import { rmdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cgroupTree, listCgroupPids, type ContainerCgroup } from './cgroups.js';

const TIMEOUT_MS = 10_000;

/** Kill what is left in the container's cgroups (and the init), and wait until they are empty. */
export async function killEverything(cgroup: ContainerCgroup, initPid: number | undefined): Promise<void> {
  const dirs = cgroup.dirs.map((d) => d.dir);
  const deadline = Date.now() + TIMEOUT_MS;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    const pids = listCgroupPids(dirs);
    if (initPid !== undefined && !pids.includes(initPid)) pids.push(initPid);
    let alive = 0;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        alive++;
      } catch {
        // gone
      }
    }
    if (listCgroupPids(dirs).length === 0) return;
    if (Date.now() > deadline) throw new Error(`cannot empty the container's cgroups: ${alive} processes survive SIGKILL`);
    initPid = undefined;
    await sleep(delay);
  }
}

/** rmdir the directories create made, deepest first, with what the container made below its own. */
export async function removeCgroupDirs(cgroup: ContainerCgroup): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  const own = cgroup.dirs.map((d) => d.dir).filter((dir) => cgroup.created.includes(dir));
  const below = cgroupTree(own).filter((dir) => !own.includes(dir));
  for (const dir of [...below, ...cgroup.created].sort((a, b) => b.length - a.length)) {
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      try {
        rmdirSync(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        // A parent another container still uses (ENOTEMPTY / EBUSY with children): leave it, as runc does.
        if (code === 'EBUSY' && Date.now() < deadline && !(await hasChildren(dir))) {
          await sleep(delay);
          continue;
        }
        break;
      }
    }
  }
}

async function hasChildren(dir: string): Promise<boolean> {
  const { readdirSync } = await import('node:fs');
  try {
    return readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory());
  } catch {
    return false;
  }
}
