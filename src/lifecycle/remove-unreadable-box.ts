// rm -f and gc of a box whose state.json is unusable (see unreadable-box.ts): its processes are found and killed
// through its cgroups, then its container directory, name, network lease and state directory go.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { hostRunner } from '../exec/runner.js';
import { withLock } from '../state/lock.js';
import { readNameLink, releaseName } from '../state/names.js';
import type { StatePaths } from '../state/paths.js';
import { removeBoxDir } from '../state/store.js';
import { detachBoxNetwork } from '../net/box-network.js';
import { findBoxCgroupDirs, listPidsIn, type UnreadableBox } from './unreadable-box.js';

/**
 * Remove such a box: kill every process in its cgroups and remove them (refused without `force` while any process
 * is left: it may be running), its container directory (unmounting what is inside first), its name, its network
 * lease and its state directory. Returns warnings.
 */
export async function removeUnreadableBox(state: StatePaths, box: UnreadableBox, force: boolean, containersDir: string | undefined): Promise<string[]> {
  const short = box.id.slice(0, 12);
  return withLock(box.paths.lock, `box ${short}`, async () => {
    const cgroups = findBoxCgroupDirs(box.id);
    const pids = listPidsIn(cgroups);
    if (pids.length > 0 && !force) {
      throw new NsboxError(`cannot remove box ${short}: its state is unreadable and its cgroup still has ${pids.length} process(es)`, { hint: 'use rm -f to kill them' });
    }
    const warnings: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown> | unknown) => {
      try {
        await fn();
      } catch (error) {
        warnings.push(`${what}: ${(error as Error).message}`);
      }
    };
    for (const dir of cgroups) await attempt(`remove cgroup ${dir}`, () => hostRunner.removeCgroup(dir));
    await attempt('release its network', () => detachBoxNetwork(box.id, state.root));
    const container = containersDir ? join(containersDir, box.id) : undefined;
    if (container && existsSync(container) && readContainerStateRoot(container) === state.root) {
      await attempt(`remove ${container}`, () => hostRunner.remove(container, true));
    }
    for (const name of listNamesOf(state, box.id)) await attempt(`release name ${name}`, () => releaseName(state, name, box.id));
    removeBoxDir(state, box.id);
    return warnings;
  });
}

/** The names that point to box `id`. */
function listNamesOf(state: StatePaths, id: string): string[] {
  try {
    return readdirSync(state.names).filter((name) => readNameLink(join(state.names, name)) === id);
  } catch {
    return [];
  }
}

/** The state dir an image box's container directory belongs to (its config.json says). */
function readContainerStateRoot(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { stateRoot?: string }).stateRoot;
  } catch {
    return undefined;
  }
}
