// `start` and `restart`: a stopped box runs again, the same box (id, name, upper layer, limits) under a new
// supervisor; `-a` then follows its output and ends with its exit code, like `docker start -a`.

import { setTimeout as sleep } from 'node:timers/promises';
import { NsboxError } from '../errors.js';
import { withLock } from '../state/lock.js';
import { readRecordAt } from '../state/store.js';
import { deriveState } from '../state/status.js';
import { refreshBox, type OpenedBox } from './open-box.js';
import { relaunchBox } from './relaunch.js';
import { currentLog, fileSize, LogPrinter, nextRunLog, printFrom } from './box-log.js';

/** Start a box that is not running (a running one is left alone, as Docker does); returns the log size before. */
export async function startBox(box: OpenedBox): Promise<number> {
  const label = box.record.name ?? box.record.id.slice(0, 12);
  return withLock(box.paths.lock, `box ${label}`, async () => {
    const current = refreshBox(box);
    const status = current.now.status;
    if (status === 'running' || status === 'restarting') return logSize(current);
    if (status === 'creating') throw new NsboxError(`cannot start box ${label}: it is still being created`);
    const offset = fileSize(nextRunLog(current.record, current.paths).path);
    await relaunchBox(current);
    return offset;
  });
}

/** The size of the log the box writes now: where following it from now on starts. */
export function logSize(box: OpenedBox): number {
  return fileSize(currentLog(box.record, box.paths).path);
}

/**
 * Copy the box's log from `offset` (its stdout to stdout, its stderr to stderr) until the box has ended; resolves to its exit code. `thisRun` (attach):
 * until the run going now ends, even if a restart policy starts it again (as `docker attach`).
 */
export async function followUntilExit(box: OpenedBox, offset: number, thisRun = false): Promise<number> {
  const printer = new LogPrinter(false);
  let at = offset;
  const startedAt = box.record.startedAt;
  for (;;) {
    const record = readRecordAt(box.paths.record);
    const now = record ? deriveState(record, box.paths) : undefined;
    // Restarting: the run attached to ended with that code. Restarted already (the restart slipped between two looks,
    // which its back-off makes unlikely): the record keeps the last exit while it relaunches, then no longer.
    const ended = thisRun && record !== undefined && (now?.status === 'restarting' || record.startedAt !== startedAt) ? now?.exitCode ?? record.exit?.code ?? 125 : undefined;
    at = printFrom(currentLog(record ?? box.record, box.paths), at, printer);
    if (!now) return 0; // removed (--rm)
    if (ended !== undefined) return ended;
    if (now.status === 'exited' || now.status === 'dead') return now.exitCode ?? 125;
    await sleep(50);
  }
}
