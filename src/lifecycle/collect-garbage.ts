// gc: find what crashed or finished boxes left behind, and remove it (or, with dry-run, only say what).
//   - dead boxes (set-up cut short, supervisor killed, state from before a reboot): their undo list, name, directory
//   - exited boxes started with --rm
//   - tmp/ leftovers: boxes whose creator died before they were complete, removals cut short
//   - names whose box directory is gone
//   - image boxes' container directories whose box record is gone

import { existsSync, readFileSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../state/proc-identity.js';
import { readLockOwner, tryLock, releaseLock, withLock } from '../state/lock.js';
import { boxDirOf, describeBoxDir, type StatePaths } from '../state/paths.js';
import { listBoxIds, readNameLink, releaseName } from '../state/names.js';
import { listTmp, readRecordAt, removeBoxDir } from '../state/store.js';
import { deriveState } from '../state/status.js';
import { describeUndo, runUndoList } from './run-undo.js';
import { detachBoxNetwork } from '../net/box-network.js';
import { findBoxCgroupDirs, findUnreadableBox, listPidsIn, type UnreadableBox } from './unreadable-box.js';

export interface Garbage {
  /** One line for the user: what and why. */
  readonly what: string;
  /** What removing it does, for --dry-run. */
  readonly actions: readonly string[];
  readonly remove: () => Promise<string[]>;
}

/** Everything gc would remove now; `containersDir` (the image store's containers/) adds containers without a box. */
export function findGarbage(state: StatePaths, containersDir?: string): Garbage[] {
  const found: Garbage[] = [];
  if (containersDir) found.push(...findOrphanContainers(state, containersDir));
  for (const id of listBoxIds(state)) {
    const paths = describeBoxDir(boxDirOf(state, id));
    const record = readRecordAt(paths.record);
    if (!record) {
      const bad = findUnreadableBox(state, id);
      if (bad) found.push(unreadableGarbage(state, bad, containersDir));
      continue;
    }
    const now = deriveState(record, paths);
    const why = now.status === 'dead' ? 'dead' : now.status === 'exited' && record.autoRemove ? 'exited, --rm' : undefined;
    if (!why) continue;
    found.push({
      what: `box ${id.slice(0, 12)}${record.name ? ` (${record.name})` : ''}: ${why}`,
      actions: [...[...record.undo].reverse().map(describeUndo), ...(record.name ? [`release name ${record.name}`] : []), `remove ${paths.dir}`],
      remove: async () => {
        // Skip a box some live nsbox holds right now (it may be finishing it): the next gc gets it.
        if (!tryLock(paths.lock)) return [`box ${id.slice(0, 12)} is busy; left for the next gc`];
        try {
          const fresh = readRecordAt(paths.record);
          if (!fresh) return [];
          const status = deriveState(fresh, paths).status;
          if (status === 'running' || status === 'creating') return [];
          detachBoxNetwork(id, state.root);
          const warnings = await runUndoList(fresh.undo);
          if (fresh.name) await releaseName(state, fresh.name, id);
          removeBoxDir(state, id);
          return warnings;
        } finally {
          releaseLock(paths.lock);
        }
      },
    });
  }
  for (const entry of listTmp(state)) {
    const dir = join(state.tmp, entry);
    const owner = readLockOwner(describeBoxDir(dir).lock);
    // A box under construction whose creator is alive is not garbage; removal leftovers (rm-*) always are.
    if (!entry.startsWith('rm-') && isAlive(owner)) continue;
    found.push({ what: `leftover ${dir}`, actions: [`remove ${dir}`], remove: async () => (rmSync(dir, { recursive: true, force: true }), []) });
  }
  let names: string[] = [];
  try {
    names = readdirSync(state.names);
  } catch {
    // none yet
  }
  const ids = new Set(listBoxIds(state));
  for (const name of names) {
    const link = join(state.names, name);
    const id = readNameLink(link);
    if (id !== undefined && ids.has(id)) continue;
    found.push({
      what: `name ${name}: its box is gone`,
      actions: [`remove ${link}`],
      remove: async () => {
        await withLock(state.namesLock, 'the box names', () => {
          const again = readNameLink(link);
          if (again === undefined || !listBoxIds(state).includes(again)) {
            try {
              unlinkSync(link);
            } catch {
              // already gone
            }
          }
        });
        return [];
      },
    });
  }
  return found;
}

/** A box whose record is unusable: removed once no process is left in its cgroups (while any is, it may run). */
function unreadableGarbage(state: StatePaths, box: UnreadableBox, containersDir: string | undefined): Garbage {
  const short = box.id.slice(0, 12);
  const container = containersDir ? join(containersDir, box.id) : undefined;
  return {
    what: `box ${short}: its record is unreadable (${box.reason})`,
    actions: [
      ...findBoxCgroupDirs(box.id).map((dir) => `remove cgroup ${dir} if no process is left in it`),
      ...(container && existsSync(container) ? [`remove ${container}`] : []),
      `remove ${box.paths.dir}`,
    ],
    remove: async () => {
      const left = listPidsIn(findBoxCgroupDirs(box.id)).length;
      if (left > 0) return [`box ${short}: its record ${box.paths.record} is unreadable and its cgroup still has ${left} process(es): left alone (nsbox rm -f ${short} removes it)`];
      const { removeUnreadableBox } = await import('./remove-unreadable-box.js');
      return removeUnreadableBox(state, box, false, containersDir);
    },
  };
}

/**
 * Container directories whose box record (in this state dir) is gone: a run killed before it could remove them, or
 * a record removed by hand. A box being created has its record (under tmp/ or boxes/) before its container directory,
 * so a container without one is never in use. Containers of other state dirs are left alone.
 */
function findOrphanContainers(state: StatePaths, containersDir: string): Garbage[] {
  let ids: string[] = [];
  try {
    ids = readdirSync(containersDir).filter((n) => /^[0-9a-f]{64}$/.test(n));
  } catch {
    return [];
  }
  const orphan = (id: string) => {
    const owner = readContainerStateRoot(join(containersDir, id));
    return owner === state.root && !existsSync(boxDirOf(state, id)) && !existsSync(join(state.tmp, id));
  };
  return ids.filter(orphan).map((id) => {
    const dir = join(containersDir, id);
    return {
      what: `container ${id.slice(0, 12)}: its box record is gone`,
      actions: [`remove ${dir}`],
      remove: async () => {
        if (!orphan(id)) return [];
        // Never delete through a mount left inside (a host directory bound into its upper layer): unmount first.
        const { hostRunner } = await import('../exec/runner.js');
        await hostRunner.remove(dir);
        return [];
      },
    };
  });
}

function readContainerStateRoot(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { stateRoot?: string }).stateRoot;
  } catch {
    return undefined;
  }
}
