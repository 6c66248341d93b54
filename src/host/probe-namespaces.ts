// Probes which of the eight namespace types this kernel has: /proc/self/ns/<file> exists for each one it supports.

import { lstatSync } from 'node:fs';
import { NAMESPACES, type NamespaceName } from './namespaces.js';
import type { ProbeResult } from './probe-types.js';

/** The kernel option (and first Linux version) behind each namespace type, for the fix line. */
const KERNEL_OPTION: Readonly<Record<NamespaceName, string>> = {
  mount: 'CONFIG_NAMESPACES',
  uts: 'CONFIG_UTS_NS',
  ipc: 'CONFIG_IPC_NS',
  net: 'CONFIG_NET_NS',
  pid: 'CONFIG_PID_NS',
  user: 'CONFIG_USER_NS',
  cgroup: 'CONFIG_CGROUPS (Linux 4.6 or later)',
  time: 'CONFIG_TIME_NS (Linux 5.6 or later)',
};

/** One result per namespace type, read under `root` ('' on the real host). */
export function probeNamespaces(root: string): ProbeResult[] {
  return NAMESPACES.map((ns) => {
    const path = `/proc/self/ns/${ns.procFile}`;
    const what = `namespace ${ns.name}`;
    if (exists(`${root}${path}`)) return { status: 'ok', what, detail: `${ns.isolates} (${path})` };
    return {
      status: 'fail',
      what,
      detail: `${path} is missing: this kernel cannot isolate the ${ns.isolates}`,
      fix: `a kernel built with ${KERNEL_OPTION[ns.name]}`,
    };
  });
}

// lstat, not stat: on the real host these are magic links, in a fake tree plain dangling symlinks or files.
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
