// Closes file descriptors nsbox inherited without close-on-exec: node passes them on to every child, so the
// box's command would get them (an fd to a host file lets container root read or write it).

import { closeSync, readFileSync, readdirSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

/** Closes every fd >= 3 of this process that lacks O_CLOEXEC (node's own fds all have it) except `keep`; returns them. */
export function closeInheritedFds(keep: readonly number[] = []): readonly number[] {
  const closed: number[] = [];
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fdinfo');
  } catch {
    return closed;
  }
  for (const name of fds) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd < 3 || keep.includes(fd)) continue;
    try {
      const flags = /^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      if (flags === undefined || (parseInt(flags, 8) & O_CLOEXEC) !== 0) continue;
      closeSync(fd);
      closed.push(fd);
    } catch {
      // gone meanwhile (the readdir's own fd)
    }
  }
  return closed;
}
