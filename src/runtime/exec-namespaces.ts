// The namespaces `nsbox-runtime exec` enters, opened by nsbox-runtime before nsenter starts. The init is the
// container's process: it may chroot into a directory of its own (CAP_SYS_CHROOT is in every caller's default set),
// or, where no seccomp filter stops it (ctr runs containers without one), make a user namespace and a mount namespace
// in it where its own files cover /dev/.nsbox. exec runs the toolbox by its path there with the host root's
// privileges, so it must land in the root of the mount namespace create made: no nsenter --root (setns(2) into a
// mount namespace sets root and cwd to that namespace's root, so the init's chroot has no say), and the mount
// namespace is the one a check found owned by the container's own user namespace. Opened in that order (mount, then
// user): an unshare of the init after the mount namespace was opened shows in the user namespace opened after it,
// and is refused; one after both were opened changes nothing, nsenter enters what is held.

import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { NsboxError } from '../errors.js';
import { namespaceInfo, type NamespaceName } from '../host/namespaces.js';

export interface HeldNamespaces {
  /** nsenter's namespace options: the mount (and user) namespace as the held fds, by /proc/<this pid>/fd/N. */
  readonly flags: readonly string[];
  /** Close the fds once nsenter has entered (or failed). */
  close(): void;
}

/** Open and check the init's namespaces; `namespaces` are the container's (state.namespaces). */
export function holdExecNamespaces(pid: number, namespaces: readonly NamespaceName[]): HeldNamespaces {
  const mnt = openSync(`/proc/${pid}/ns/mnt`, 'r');
  let user: number | undefined;
  const close = () => {
    closeSync(mnt);
    if (user !== undefined) closeSync(user);
  };
  try {
    user = openSync(`/proc/${pid}/ns/user`, 'r');
    const own = statSync('/proc/self/ns/user');
    const init = fstatSync(user);
    // Without a user namespace of the container's, the init's is the runtime's own: another is one it made itself.
    if (!namespaces.includes('user') && (init.dev !== own.dev || init.ino !== own.ino)) {
      throw new NsboxError('cannot exec in the container: its init is in a user namespace of its own');
    }
  } catch (error) {
    close();
    throw error;
  }
  const held = (fd: number) => `/proc/${process.pid}/fd/${fd}`;
  const flags = namespaces.map((n) => (n === 'mount' ? `--mount=${held(mnt)}` : n === 'user' ? `--user=${held(user!)}` : namespaceInfo(n).flag));
  return { flags, close };
}
