// The bytes below a directory, as `docker system df` counts them: the sizes of everything but directories, each
// hard-linked file once. lstat only (no link is followed), and no other file system is entered (a mount inside a
// box's upper layer is not the box's): a directory a box wrote is walked without ever leaving it.

import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** 0 when `dir` is missing; entries that vanish meanwhile are skipped. */
export function treeSize(dir: string): number {
  let top;
  try {
    top = lstatSync(dir);
  } catch {
    return 0;
  }
  if (!top.isDirectory()) return top.size;
  const seen = new Set<string>();
  const pending = [dir];
  let total = 0;
  while (pending.length > 0) {
    const at = pending.pop()!;
    let names: string[];
    try {
      names = readdirSync(at);
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(at, name);
      let st;
      try {
        st = lstatSync(path);
      } catch {
        continue;
      }
      if (st.dev !== top.dev) continue;
      if (st.isDirectory()) pending.push(path);
      else if (st.nlink < 2 || !seen.has(`${st.ino}`)) {
        if (st.nlink > 1) seen.add(`${st.ino}`);
        total += st.size;
      }
    }
  }
  return total;
}
