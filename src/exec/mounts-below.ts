// Mount points at or below a directory, from /proc/self/mountinfo: a tree nsbox deletes must hold none, or the
// delete would reach into whatever is mounted there (a host directory bound into a container's dir, say).

import { readFileSync } from 'node:fs';

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Mount points equal to `dir` or below it, deepest first (the order to unmount them). */
export function mountsBelow(dir: string, mountinfo = '/proc/self/mountinfo'): string[] {
  const root = dir.replace(/\/+$/, '');
  let text = '';
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return [];
  }
  const targets = text
    .split('\n')
    .filter(Boolean)
    .map((line) => unescapeMountinfo(line.split(' ')[4] ?? ''))
    .filter((target) => target === root || target.startsWith(`${root}/`));
  return [...new Set(targets)].sort((a, b) => b.split('/').length - a.split('/').length || b.localeCompare(a));
}
