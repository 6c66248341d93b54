// The one table of Linux namespace types: util-linux's long flag name, the /proc/<pid>/ns file, lsns's type.

export type NamespaceName = 'mount' | 'uts' | 'ipc' | 'net' | 'pid' | 'user' | 'cgroup' | 'time';

export interface NamespaceInfo {
  readonly name: NamespaceName;
  /** File under /proc/<pid>/ns/ for the namespace the process itself is in. */
  readonly procFile: string;
  /**
   * pid and time namespaces apply to a process's children, not to the process that unshares them:
   * before it forks, the new one shows up only here.
   */
  readonly forChildrenFile: string | undefined;
  /** The flag of unshare(1) and nsenter(1) (`--mount`, `--uts`, ...). */
  readonly flag: string;
  /** What a reader is told the namespace isolates. */
  readonly isolates: string;
}

export const NAMESPACES: readonly NamespaceInfo[] = [
  { name: 'mount', procFile: 'mnt', forChildrenFile: undefined, flag: '--mount', isolates: 'mount table' },
  { name: 'uts', procFile: 'uts', forChildrenFile: undefined, flag: '--uts', isolates: 'hostname and domain name' },
  { name: 'ipc', procFile: 'ipc', forChildrenFile: undefined, flag: '--ipc', isolates: 'System V IPC and POSIX message queues' },
  { name: 'net', procFile: 'net', forChildrenFile: undefined, flag: '--net', isolates: 'network devices, addresses, routes, ports' },
  { name: 'pid', procFile: 'pid', forChildrenFile: 'pid_for_children', flag: '--pid', isolates: 'process IDs' },
  { name: 'user', procFile: 'user', forChildrenFile: undefined, flag: '--user', isolates: 'user and group IDs, capabilities' },
  { name: 'cgroup', procFile: 'cgroup', forChildrenFile: undefined, flag: '--cgroup', isolates: 'cgroup root directory' },
  { name: 'time', procFile: 'time', forChildrenFile: 'time_for_children', flag: '--time', isolates: 'boot and monotonic clocks' },
];

export const NAMESPACE_NAMES: readonly NamespaceName[] = NAMESPACES.map((ns) => ns.name);

export function namespaceInfo(name: NamespaceName): NamespaceInfo {
  const info = NAMESPACES.find((ns) => ns.name === name);
  if (!info) throw new Error(`unknown namespace ${name}`);
  return info;
}

/** lsns(8) prints the type of the mount namespace as "mnt"; everything else matches our names. */
export function namespaceFromLsnsType(type: string): NamespaceName | undefined {
  if (type === 'mnt') return 'mount';
  return NAMESPACE_NAMES.find((n) => n === type);
}
