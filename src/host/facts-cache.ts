// Host facts kept for the whole boot: where each tool is on PATH. One file under the state dir, valid while the boot
// id, PATH, the mtimes of PATH's directories (a tool installed or removed changes its directory's) and each found
// tool's identity (a tool replaced in place) are what they were when it was written.

import { closeSync, fstatSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** What the facts were gathered under; any difference discards them all. */
export interface FactsKey {
  readonly bootId: string;
  readonly path: string;
  /** Each PATH directory's mtime in ms (null: missing). */
  readonly dirs: Readonly<Record<string, number | null>>;
}

/** A tool found at `path` (with its identity then), or not found anywhere (null). */
export type ToolFact = { readonly path: string; readonly id: string } | null;

interface FactsFile {
  readonly version: 1;
  readonly key: FactsKey;
  readonly tools: Readonly<Record<string, ToolFact>>;
}

/** The kernel's id of this boot (a new one at every boot). */
export function readBootId(file = '/proc/sys/kernel/random/boot_id'): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** The key for this moment: the boot id, PATH's text and its directories' mtimes. */
export function currentFactsKey(bootId: string, dirs: readonly string[], pathText: string): FactsKey {
  const mtimes: Record<string, number | null> = {};
  for (const dir of dirs) mtimes[dir] = mtimeOf(dir);
  return { bootId, path: pathText, dirs: mtimes };
}

/** A file's identity for the cache: inode, size, mtime, ctime (an upgrade changes them; chmod changes ctime). */
export function identifyFile(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return undefined;
  }
}

/**
 * The cached tool facts still valid under `key`, or an empty map. A file another user could have written is not
 * trusted (nsbox runs these tools as root): it must be ours and writable by nobody else.
 */
export function loadToolFacts(file: string, key: FactsKey): Map<string, ToolFact> {
  let text: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const s = fstatSync(fd);
      if (s.uid !== process.geteuid?.() || (s.mode & 0o022) !== 0) return new Map();
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return new Map();
  }
  try {
    const facts = JSON.parse(text) as FactsFile;
    if (facts.version !== 1 || JSON.stringify(facts.key) !== JSON.stringify(key)) return new Map();
    return new Map(Object.entries(facts.tools));
  } catch {
    return new Map();
  }
}

/** Whether a cached fact still holds: a found tool must still be the same file. */
export function isFactCurrent(fact: ToolFact): boolean {
  return fact === null || identifyFile(fact.path) === fact.id;
}

/** Writes the facts whole (temp file and rename); only where the state dir exists, and never fatal. */
export function saveToolFacts(file: string, key: FactsKey, tools: ReadonlyMap<string, ToolFact>): void {
  if (mtimeOf(dirname(file)) === null) return;
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const facts: FactsFile = { version: 1, key, tools: Object.fromEntries(tools) };
    writeFileSync(temp, JSON.stringify(facts), { mode: 0o600 });
    renameSync(temp, file);
  } catch {
    // an optimisation only
  }
}

function mtimeOf(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}
