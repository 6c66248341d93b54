// Replace a file whole: write a temp file beside it, rename over (readers see the old or the new text).
// No fsync, like runc's saveState: the rename alone is atomic for readers and against a killed writer, and state is
// run-time only (/run/nsbox, gone at the next boot); a flush to disk cost milliseconds per record write.

import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Atomically replace `path` with `text` (mode 0600). */
export function writeFileAtomic(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw error;
  }
}
