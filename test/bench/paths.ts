// Where the bench finds things: the repository, the nsbox shim, and tools on PATH.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/test/bench/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** bin/nsbox, run directly (its shebang shim starts node on the bundle), exactly as a user runs it. */
export const NSBOX_BIN = join(REPO_ROOT, 'bin', 'nsbox');

/** The bundle bin/nsbox runs; absent until `npm run build`. */
export const NSBOX_BUNDLE = join(REPO_ROOT, 'dist', 'bundle', 'nsbox.cjs');

/** Absolute path of an executable on PATH (or an absolute path that is executable), else undefined. */
export function findTool(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  return candidates.find(isExecutable);
}

/** The first tool of names not found, phrased as a skip reason; undefined when all are there. */
export function describeMissingTools(names: readonly string[], packageName: string): string | undefined {
  const missing = names.filter((n) => findTool(n) === undefined);
  return missing.length === 0 ? undefined : `${missing.join(', ')} not found (install the ${packageName} package)`;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
