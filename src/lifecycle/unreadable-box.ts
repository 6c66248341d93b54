// A box whose state.json cannot be read (torn by a crash or a full disk, left by an older nsbox, edited by hand): ps,
// inspect, rm -f and gc still see it. Without its record, its processes are found through its cgroups, which are named
// by its id (nsbox-<id12>), never by a PID the file might once have held.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectCgroupHost, type CgroupHost } from '../cgroup/detect.js';
import { boxCgroupName } from '../cgroup/layout.js';
import { listBoxIds } from '../state/names.js';
import { boxDirOf, describeBoxDir, type BoxPaths, type StatePaths } from '../state/paths.js';
import { parseRecord, RECORD_VERSION } from '../state/record.js';

/** What ps shows as the status of such a box. */
export const UNREADABLE_STATUS = 'Unknown (state unreadable)';

export interface UnreadableBox {
  readonly id: string;
  readonly paths: BoxPaths;
  /** Why the record cannot be used: "not JSON (torn or garbage, 17 bytes)", "empty", ... */
  readonly reason: string;
}

/** Why the record file of an existing box directory is unusable, or undefined when it is a good record. */
export function diagnoseRecord(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  if (parseRecord(text) !== undefined) return undefined;
  if (text.trim() === '') return 'it is empty';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `it is not JSON (torn or garbage, ${Buffer.byteLength(text)} bytes)`;
  }
  const version = (value as { version?: unknown } | null)?.version;
  if (version !== RECORD_VERSION) return `it is a record of another nsbox version (${JSON.stringify(version ?? null)}, this one writes ${RECORD_VERSION})`;
  return 'it is not a box record (no valid id)';
}

/** The box `id` if its directory exists but its record is unusable. */
export function findUnreadableBox(state: StatePaths, id: string): UnreadableBox | undefined {
  const paths = describeBoxDir(boxDirOf(state, id));
  if (!existsSync(paths.dir)) return undefined; // removed meanwhile
  const reason = diagnoseRecord(paths.record);
  return reason === undefined || !existsSync(paths.dir) ? undefined : { id, paths, reason };
}

/** Every box of the state dir whose record is unusable; `known`: ids whose record was just read fine (not read again). */
export function listUnreadableBoxes(state: StatePaths, known: ReadonlySet<string> = new Set()): UnreadableBox[] {
  return listBoxIds(state).flatMap((id) => (known.has(id) ? [] : findUnreadableBox(state, id) ?? []));
}

/** The one-line warning naming the file. */
export function describeUnreadable(box: UnreadableBox): string {
  return `box ${box.id.slice(0, 12)}: cannot use ${box.paths.record}: ${box.reason}; shown as "${UNREADABLE_STATUS}" (nsbox rm -f ${box.id.slice(0, 12)} removes it)`;
}

/** Every cgroup directory named for box `id`, on every hierarchy, wherever its parent was (the record said where). */
export function findBoxCgroupDirs(id: string, host: CgroupHost = detectCgroupHost()): string[] {
  if (host.mode === 'none') return [];
  const name = boxCgroupName(id);
  const found: string[] = [];
  for (const mount of new Set(host.hierarchies.map((h) => h.mount))) {
    const queue = [mount];
    for (let depth = 0; depth < 12 && queue.length > 0; depth++) {
      for (const dir of queue.splice(0)) {
        let entries: import('node:fs').Dirent[] = [];
        try {
          entries = readdirSync(dir, { withFileTypes: true });
        } catch {
          continue; // removed meanwhile
        }
        for (const entry of entries) {
          if (!entry.isDirectory()) continue;
          const path = join(dir, entry.name);
          if (entry.name === name) found.push(path);
          else if (!entry.name.startsWith('nsbox-')) queue.push(path); // other boxes' cgroups hold no box cgroups
        }
      }
    }
  }
  return found;
}

/** PIDs in those cgroups (and below). */
export function listPidsIn(dirs: readonly string[]): number[] {
  const pids = new Set<number>();
  const visit = (dir: string) => {
    try {
      for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.add(Number(line));
      for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) visit(join(dir, entry.name));
    } catch {
      // gone
    }
  };
  dirs.forEach(visit);
  return [...pids];
}
