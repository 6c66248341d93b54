// Which namespace scopes a sysctl (runc's validator, Docker's --sysctl rule): only those may be set for a box, and
// only when the box has that namespace of its own, else the write would change the host's. Pure.

import type { NamespaceName } from '../host/namespaces.js';

const IPC = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];

/** A sysctl name as /proc/sys spells it with dots (net.ipv4.ip_forward). */
export const SYSCTL_NAME = /^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/;

/**
 * net.* names that a network namespace shows but that act on the whole kernel. nf_hooks_lwtunnel flips a static key
 * for every namespace, and the kernel refuses to turn it off again: one write from a box changes the host for good.
 */
const HOST_WIDE_NET = ['net.netfilter.nf_hooks_lwtunnel'];

/** The namespace whose own copy `key` is, or undefined: a host-wide sysctl. */
export function sysctlScope(key: string): NamespaceName | undefined {
  if (HOST_WIDE_NET.includes(key)) return undefined;
  if (IPC.includes(key) || key.startsWith('fs.mqueue.')) return 'ipc';
  if (key.startsWith('net.')) return 'net';
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'uts';
  return undefined;
}
