// CgroupRequest: the validated resource limits and placement a box asked for (owned by the cgroup module).

/** Where --cgroup-parent is anchored: the hierarchy's root ("nsbox", "/a/b") or nsbox's own cgroup ("./a", "."). */
export type CgroupParentBase = 'root' | 'self';

export interface CgroupRequest {
  /** Limits in the units the kernel files take (bytes, microseconds, counts). */
  readonly memoryBytes: number | undefined;
  /** Memory plus swap, as Docker's --memory-swap; 'unlimited' for -1. Unset: no swap beyond the memory limit. */
  readonly memorySwapBytes: number | 'unlimited' | undefined;
  readonly cpuQuotaUs: number | undefined;
  readonly cpuPeriodUs: number | undefined;
  /** v1 cpu.shares (2..262144); converted to cpu.weight on v2. */
  readonly cpuShares: number | undefined;
  /** Canonical CPU list, e.g. "0-1,3". */
  readonly cpusetCpus: string | undefined;
  readonly pidsLimit: number | undefined;
  /**
   * Device-cgroup rules written to devices.deny before the box starts (v1 only: cgroup v2 has no such file, only
   * eBPF programs), e.g. "b *:* m": no block device may be created. Image boxes always ask for that one.
   */
  readonly devicesDeny?: readonly string[];
  /** Rules written to devices.allow after devicesDeny (v1 only), e.g. "c 1:3 rwm": /dev/null may be opened. */
  readonly devicesAllow?: readonly string[];
  /** Parent cgroup path without leading "/" or "./", e.g. "nsbox" or "a/b"; "" is the base itself. */
  readonly parent: string;
  readonly parentBase: CgroupParentBase;
}

/** The cgroup controllers a request needs, by v1/v2 controller name. */
export type LimitController = 'memory' | 'cpu' | 'cpuset' | 'pids' | 'devices';

/** Controllers whose limits the request sets, each with the flag that asked for it (for error messages). */
export function listRequiredControllers(request: CgroupRequest): readonly (readonly [LimitController, string])[] {
  const needed: [LimitController, string][] = [];
  if (request.memoryBytes !== undefined) needed.push(['memory', '--memory']);
  if (request.cpuQuotaUs !== undefined) needed.push(['cpu', '--cpus']);
  else if (request.cpuShares !== undefined) needed.push(['cpu', '--cpu-shares']);
  if (request.cpusetCpus !== undefined) needed.push(['cpuset', '--cpuset-cpus']);
  if (request.pidsLimit !== undefined) needed.push(['pids', '--pids-limit']);
  if (request.devicesDeny !== undefined && request.devicesDeny.length > 0) needed.push(['devices', 'the device rules of an image box']);
  return needed;
}

/** The parent as the user would write it again ("nsbox", "/a", "./x"). */
export function describeParent(request: CgroupRequest): string {
  if (request.parentBase === 'self') return request.parent === '' ? '.' : `./${request.parent}`;
  return request.parent === '' ? '/' : request.parent;
}
