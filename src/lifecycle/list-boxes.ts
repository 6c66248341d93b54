// Every box with its derived state, skipping any directory that vanishes or is half-made while we read.

import { listBoxIds } from '../state/names.js';
import { boxDirOf, describeBoxDir, type BoxPaths, type StatePaths } from '../state/paths.js';
import { readRecordAt } from '../state/store.js';
import { deriveState, type BoxState } from '../state/status.js';
import type { BoxRecord } from '../state/record.js';

export interface ListedBox {
  readonly record: BoxRecord;
  readonly paths: BoxPaths;
  readonly now: BoxState;
}

/** All boxes, newest first. */
export function listBoxes(state: StatePaths): ListedBox[] {
  const boxes: ListedBox[] = [];
  for (const id of listBoxIds(state)) {
    const paths = describeBoxDir(boxDirOf(state, id));
    const record = readRecordAt(paths.record);
    if (!record) continue; // removed meanwhile
    boxes.push({ record, paths, now: deriveState(record, paths) });
  }
  return boxes.sort((a, b) => b.record.created.localeCompare(a.record.created));
}

/** The JSON shape of one box in ps --json and inspect. */
export function toBoxJson(box: ListedBox): Record<string, unknown> {
  const { record, now } = box;
  return {
    id: record.id,
    name: record.name ?? null,
    status: now.status,
    exitCode: now.exitCode ?? null,
    oomKilled: now.oomKilled,
    pid: now.pid ?? null,
    created: record.created,
    finishedAt: now.finishedAt ?? null,
    command: record.command,
    image: record.image ?? null,
    detached: record.detached,
    autoRemove: record.autoRemove,
    labels: record.labels ?? {},
    restartPolicy: record.restartPolicy ?? { name: 'no', maximumRetryCount: 0 },
    restartCount: record.restartCount ?? 0,
    entrypoint: record.entrypoint ?? [],
    stopSignal: record.stopSignal ?? 'SIGTERM',
    stopTimeout: record.stopTimeout ?? 10,
    init: record.withInit ?? false,
  };
}
