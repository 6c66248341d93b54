// Reads namespace identities from /proc/<pid>/ns/* ("uts:[4026531838]" -> 4026531838) and compares two processes.

import { readlinkSync } from 'node:fs';
import { NAMESPACES, type NamespaceName } from '../host/namespaces.js';

export type NamespaceInodes = Readonly<Record<NamespaceName, number | undefined>>;

/** Inode of one namespace link; undefined if the kernel lacks the type or the process is gone. */
export function readNamespaceInode(pid: number | 'self', file: string): number | undefined {
  try {
    const target = readlinkSync(`/proc/${pid}/ns/${file}`);
    const match = /\[(\d+)\]$/.exec(target);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The namespaces of `pid`. With `forChildren`, pid and time are read from pid_for_children/time_for_children:
 * what the process's children get, i.e. the box's view before its PID 1 exists.
 */
export function readNamespaceInodes(pid: number | 'self', forChildren = false): NamespaceInodes {
  const result = {} as Record<NamespaceName, number | undefined>;
  for (const ns of NAMESPACES) {
    const file = forChildren && ns.forChildrenFile ? ns.forChildrenFile : ns.procFile;
    result[ns.name] = readNamespaceInode(pid, file);
  }
  return result;
}

export interface NamespaceComparison {
  readonly name: NamespaceName;
  readonly a: number | undefined;
  readonly b: number | undefined;
  /** True when both exist and differ. */
  readonly isolated: boolean;
}

/** Namespace by namespace: is `a` isolated from `b`? */
export function compareNamespaces(a: NamespaceInodes, b: NamespaceInodes): NamespaceComparison[] {
  return NAMESPACES.map(({ name }) => ({
    name,
    a: a[name],
    b: b[name],
    isolated: a[name] !== undefined && b[name] !== undefined && a[name] !== b[name],
  }));
}
