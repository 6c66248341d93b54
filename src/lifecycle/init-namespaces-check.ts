// Before nsbox enters an image box as the host's root (exec, cp): PID 1 is the box's process, and without a seccomp
// filter (--security-opt seccomp=unconfined) it can unshare a user namespace and a mount namespace in it, then mount
// its own files over the toolbox (/dev/.nsbox). nsenter would join that mount namespace and run the box's program as
// the toolbox. Image boxes have no user namespace of their own: PID 1 in another one than nsbox's, or in a mount
// namespace other than the one recorded when the box started, made it itself, and the entry is refused. The argv
// (enterImageBox) opens the mount namespace before nsenter looks at the user namespace, so an unshare after this
// check lands nsenter in the box's user namespace, with no privilege on the host, never host root in the new mount one.

import { NsboxError } from '../errors.js';
import { readNamespaceInode } from '../ns/inodes.js';

export function checkInitNamespaces(pid: number, recordedMount: number | undefined, what: string): void {
  const user = readNamespaceInode(pid, 'user');
  if (user === undefined || user !== readNamespaceInode('self', 'user')) throw new NsboxError(`cannot ${what}: its PID 1 is in a user namespace of its own`);
  if (recordedMount !== undefined && readNamespaceInode(pid, 'mnt') !== recordedMount) throw new NsboxError(`cannot ${what}: its PID 1 left the box's mount namespace`);
}
