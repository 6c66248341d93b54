// Runs a list of host-side steps (exec, write-file, mkdir) outside a box's plan, rolling back on failure.
// `network create`, `network connect` and `network rm` use it; a box's steps go through the executor instead.

import type { Step, UndoStep } from '../plan/types.js';
import type { Runner } from '../exec/runner.js';

/** Run `steps` in order; on a failure undo the completed ones, newest first, and rethrow. */
export async function runHostSteps(steps: readonly Step[], runner: Runner): Promise<void> {
  const undos: UndoStep[] = [];
  try {
    for (const step of steps) {
      if (step.kind === 'exec') await runner.exec(step.argv);
      else if (step.kind === 'write-file' || step.kind === 'write-text') await runner.writeFile(step.path, step.content);
      else if (step.kind === 'mkdir') await runner.mkdir(step.path);
      else throw new Error(`internal: ${step.kind} step outside a box plan`);
      if (step.undo) undos.push(step.undo);
    }
  } catch (error) {
    for (const undo of undos.reverse()) {
      try {
        if (undo.kind === 'exec') await runner.exec(undo.argv);
        else if (undo.kind === 'remove') await runner.remove(undo.path);
        else if (undo.kind === 'rmdir') await runner.rmdir(undo.path);
        else if (undo.kind === 'write-file') await runner.writeFile(undo.path, undo.content);
      } catch {
        // keep undoing the rest; the first error is the one reported
      }
    }
    throw error;
  }
}
