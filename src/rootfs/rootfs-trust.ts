// `--rootfs DIR` is trusted host data: nsbox checks it for symlinks and mounts it as the box's lower layer, so a
// user other than root who could change DIR or any directory above it could swap a component between the check
// and the mount (a symlink to /etc, say). Refuse such a directory, naming the component and why.
//
// A root-owned directory with the sticky bit (/tmp, mode 1777) is fine: only an entry's owner may rename or remove
// it there, so no other user can replace a root-owned directory inside it.

import { lstatSync, type Stats } from 'node:fs';

const STICKY = 0o1000;

/** Why DIR (an absolute real path) is not trusted, or undefined when every component is root's alone. */
export function untrustedRootfsReason(dir: string, stat: (path: string) => Pick<Stats, 'uid' | 'mode'> = lstatSync): string | undefined {
  const parts = dir.split('/').filter(Boolean);
  const paths = ['/', ...parts.map((_p, i) => `/${parts.slice(0, i + 1).join('/')}`)];
  for (const path of paths) {
    const s = stat(path);
    if (s.uid !== 0) return `${path} is owned by uid ${s.uid}, not root`;
    const writable = s.mode & 0o022;
    if (writable === 0) continue;
    if (path !== dir && (s.mode & STICKY) !== 0) continue;
    const who = writable === 0o022 ? 'group and others' : writable === 0o020 ? 'its group' : 'others';
    return `${path} is writable by ${who} (mode ${(s.mode & 0o7777).toString(8).padStart(4, '0')})`;
  }
  return undefined;
}
