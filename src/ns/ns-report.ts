// Builds what `nsbox ns` reports: namespace by namespace, PID against OTHER, plus PID's id maps, capabilities, cgroups.

import { compareNamespaces, type NamespaceInodes } from './inodes.js';
import type { NamespaceName } from '../host/namespaces.js';
import { assertProcessReadable, checkProcessAccess, describeAccess } from './process-access.js';
import { readProcessSecurity, readLastCap } from './proc-status.js';
import { readIdMap, isIdentityMap, type IdMapEntry } from './id-map.js';
import { readProcCgroup, type CgroupMembership } from './proc-cgroup.js';
import { readCgroupInfo, type CgroupLimit } from '../cgroup/info.js';
import { readNetAddresses, type InterfaceAddress } from './net-addresses.js';
import { decodeCapabilities, summarizeCapabilities } from './cap-names.js';
import { NsboxError } from '../errors.js';

export type NamespaceState = 'isolated' | 'shared' | 'unavailable';

export interface NamespaceRow {
  readonly namespace: NamespaceName;
  readonly inode: number | undefined;
  readonly otherInode: number | undefined;
  /** unavailable: the kernel lacks the type, or one side could not be read. */
  readonly state: NamespaceState;
}

export interface ProcessDetails {
  /** True when the process's user namespace maps IDs (its uid_map is not the initial "0 0 4294967295"). */
  readonly inUserNamespace: boolean;
  readonly uidMap: readonly IdMapEntry[];
  readonly gidMap: readonly IdMapEntry[];
  readonly capEff: string | undefined;
  readonly capabilities: readonly string[];
  /** "all 41", "all except ...", "none" or the list. */
  readonly capabilitySummary: string;
  readonly noNewPrivs: boolean | undefined;
  /** Seccomp: of /proc/PID/status (0 disabled, 1 strict, 2 filter) and the number of filters. */
  readonly seccomp: number | undefined;
  readonly seccompFilters: number | undefined;
  readonly cgroups: readonly CgroupMembership[];
  /** Limits set on the PID's own cgroups (memory, cpus, pids, ...), read from the real cgroupfs. */
  readonly limits: readonly CgroupLimit[];
  /** Addresses in PID's network namespace (real hosts only). */
  readonly addresses: readonly InterfaceAddress[];
}

export interface NsReport {
  readonly pid: number;
  readonly otherPid: number;
  /** Set when OTHER was not given and PID 1 could not be read, so nsbox compared with itself instead. */
  readonly otherNote: string | undefined;
  readonly namespaces: readonly NamespaceRow[];
  readonly process: ProcessDetails;
}

export interface NsReportInput {
  readonly pid: number;
  /** The PID to compare with; undefined means PID 1 (or nsbox itself when PID 1 cannot be read). */
  readonly other: number | undefined;
  /** Where /proc is: a fake tree in unit tests. */
  readonly procRoot: string;
  /** nsbox's own PID, the fallback comparison. */
  readonly selfPid: number;
  /** Reads the namespace inodes of a PID (src/ns/inodes.ts readNamespaceInodes in production). */
  readonly readInodes: (pid: number) => NamespaceInodes;
}

/** The full report for `nsbox ns`; throws a one-line NsboxError when either process cannot be inspected. */
export function buildNsReport(input: NsReportInput): NsReport {
  assertProcessReadable(input.procRoot, input.pid, 'PID');
  const { otherPid, otherNote } = chooseOther(input);
  const rows = compareNamespaces(input.readInodes(input.pid), input.readInodes(otherPid)).map(
    (c): NamespaceRow => ({
      namespace: c.name,
      inode: c.a,
      otherInode: c.b,
      state: c.a === undefined || c.b === undefined ? 'unavailable' : c.isolated ? 'isolated' : 'shared',
    }),
  );
  return { pid: input.pid, otherPid, otherNote, namespaces: rows, process: readProcessDetails(input.procRoot, input.pid) };
}

function chooseOther(input: NsReportInput): { otherPid: number; otherNote: string | undefined } {
  if (input.other !== undefined) {
    assertProcessReadable(input.procRoot, input.other, 'OTHER_PID');
    return { otherPid: input.other, otherNote: undefined };
  }
  const access = checkProcessAccess(input.procRoot, 1);
  if (access === 'readable') return { otherPid: 1, otherNote: undefined };
  return {
    otherPid: input.selfPid,
    otherNote: `PID 1 cannot be read (${describeAccess(access)}); compared with nsbox itself, PID ${input.selfPid}`,
  };
}

/** uid/gid maps, CapEff, NoNewPrivs and cgroups of `pid`; a process that exits meanwhile is an NsboxError. */
export function readProcessDetails(procRoot: string, pid: number): ProcessDetails {
  try {
    const security = readProcessSecurity(procRoot, pid);
    const uidMap = readIdMap(procRoot, pid, 'uid_map');
    const capabilities = security.capEff === undefined ? [] : decodeCapabilities(security.capEff);
    return {
      inUserNamespace: !isIdentityMap(uidMap),
      uidMap,
      gidMap: readIdMap(procRoot, pid, 'gid_map'),
      capEff: security.capEff,
      capabilities,
      capabilitySummary: summarizeCapabilities(capabilities, readLastCap(procRoot)),
      noNewPrivs: security.noNewPrivs,
      seccomp: security.seccomp,
      seccompFilters: security.seccompFilters,
      cgroups: readProcCgroup(procRoot, pid),
      limits: procRoot === '/proc' ? readLimits(pid) : [],
      addresses: procRoot === '/proc' ? readNetAddresses(pid) : [],
    };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it exited while being read' : (error as Error).message;
    throw new NsboxError(`cannot inspect PID ${pid}: ${reason}`, { cause: error });
  }
}

/** The cgroup limits in force for a live PID; a host without cgroups (or a race with exit) gives none. */
function readLimits(pid: number): readonly CgroupLimit[] {
  try {
    return readCgroupInfo(pid).limits;
  } catch {
    return [];
  }
}
