// Teardown of a box from its record: every undo step, newest first, each tolerant of what is already gone.

import { hostRunner } from '../exec/runner.js';
import type { UndoStep } from '../plan/types.js';

/**
 * Run the undo list (creation order in, newest first run); returns the failures (the rest still ran).
 * `inBackground`: trees are deleted on libuv's thread pool (rm of many boxes at once; one box is faster without).
 */
export async function runUndoList(undos: readonly UndoStep[], options: { readonly inBackground?: boolean } = {}): Promise<string[]> {
  const failures: string[] = [];
  for (const undo of [...undos].reverse()) {
    try {
      await runUndo(undo, options.inBackground === true);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // its step never ran, or it is gone already
      failures.push(`${describeUndo(undo)}: ${(error as Error).message}`);
    }
  }
  return failures;
}

function runUndo(undo: UndoStep, inBackground: boolean): Promise<void> {
  switch (undo.kind) {
    case 'exec':
      return hostRunner.exec(undo.argv);
    case 'rmdir':
      return hostRunner.rmdir(undo.path);
    case 'remove':
      return hostRunner.remove(undo.path, inBackground);
    case 'write-file':
      return hostRunner.writeFile(undo.path, undo.content);
    case 'remove-cgroup':
      return hostRunner.removeCgroup(undo.path, undo.ino);
  }
}

/** One line per undo step, for gc --dry-run. */
export function describeUndo(undo: UndoStep): string {
  switch (undo.kind) {
    case 'exec':
      return `run ${undo.argv.join(' ')}`;
    case 'rmdir':
      return `rmdir ${undo.path}`;
    case 'remove':
      return `remove ${undo.path}`;
    case 'write-file':
      return `write ${undo.path}`;
    case 'remove-cgroup':
      return `remove cgroup ${undo.path}`;
  }
}
