// Closes file descriptors nsbox inherited without close-on-exec: node passes them on to every child, so the
// box's command would get them (an fd to a host file lets container root read or write it).

import { closeSync, openSync, readSync, readdirSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;
/** fdinfo starts "pos:\t<offset>\nflags:\t<octal>\n": its head holds the flags (an epoll fd's file lists far more). */
const HEAD_BYTES = 96;

/** Closes every fd >= 3 of this process that lacks O_CLOEXEC (node's own fds all have it) except `keep`; returns them. */
export function closeInheritedFds(keep: readonly number[] = []): readonly number[] {
  const closed: number[] = [];
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fdinfo');
  } catch {
    return closed;
  }
  const head = Buffer.alloc(HEAD_BYTES);
  for (const name of fds) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd < 3 || keep.includes(fd)) continue;
    try {
      const flags = /^flags:\s+([0-7]+)\n/m.exec(readHead(`/proc/self/fdinfo/${fd}`, head))?.[1];
      if (flags === undefined || (parseInt(flags, 8) & O_CLOEXEC) !== 0) continue;
      closeSync(fd);
      closed.push(fd);
    } catch {
      // gone meanwhile (the readdir's own fd)
    }
  }
  return closed;
}

/** The first bytes of a /proc file, without the stat and the second read of readFileSync (a dozen fds per start). */
function readHead(path: string, buffer: Buffer): string {
  const fd = openSync(path, 'r');
  try {
    return buffer.toString('latin1', 0, readSync(fd, buffer, 0, buffer.length, null));
  } finally {
    closeSync(fd);
  }
}
