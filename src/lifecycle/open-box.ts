// What every lifecycle command starts with: the state root from --state, and the box the user named.

import { describeState, resolveStateRoot, boxDirOf, describeBoxDir, type BoxPaths, type StatePaths } from '../state/paths.js';
import { resolveBoxRef } from '../state/names.js';
import { loadRecord } from '../state/store.js';
import { deriveState, type BoxState } from '../state/status.js';
import type { BoxRecord } from '../state/record.js';

export interface OpenedBox {
  readonly state: StatePaths;
  readonly paths: BoxPaths;
  readonly record: BoxRecord;
}

/** The state paths from --state / NSBOX_STATE. */
export function openStateFromArgs(args: Readonly<Record<string, unknown>>): StatePaths {
  return describeState(resolveStateRoot(args.state));
}

/** Resolve a name, id or unique id prefix and load its record; one-line NsboxError when unknown or ambiguous. */
export function openBox(state: StatePaths, ref: string): OpenedBox {
  const id = resolveBoxRef(state, ref);
  const record = loadRecord(state, id);
  return { state, paths: describeBoxDir(boxDirOf(state, id)), record };
}

/** Re-read the record (it may have changed while we waited for the lock) and derive its state. */
export function refreshBox(box: OpenedBox): OpenedBox & { readonly now: BoxState } {
  const record = loadRecord(box.state, box.record.id);
  return { ...box, record, now: deriveState(record, box.paths) };
}
