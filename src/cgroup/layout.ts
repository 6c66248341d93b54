// The driver-neutral description of a box's cgroups: which directories, which knob writes, in kernel order.
// layout-v1.ts and layout-v2.ts build it; driver-fs.ts and driver-tools.ts turn it into plan steps.

import { accessSync, constants, existsSync } from 'node:fs';
import { NsboxError } from '../errors.js';
import { findProcCgroupPath, type CgroupHierarchy, type CgroupHost, type CgroupVersion } from './detect.js';
import { describeParent, type CgroupRequest } from './request.js';

/** One cgroup directory: a path from its hierarchy's root, on one hierarchy. */
export interface CgroupDir {
  readonly version: CgroupVersion;
  readonly mount: string;
  /** The controllers nsbox uses there (what cgcreate/cgexec -g name). */
  readonly controllers: readonly string[];
  /** From the hierarchy root, starting with "/". */
  readonly path: string;
}

/** One write of a cgroup file, with the reason shown in --explain. */
export interface KnobWrite {
  readonly dir: CgroupDir;
  readonly file: string;
  readonly value: string;
  readonly why: string;
}

export interface CgroupLayout {
  readonly version: CgroupVersion;
  /** Parent cgroups that do not exist yet (created with their ancestors, and kept for later boxes). */
  readonly missingParents: readonly CgroupDir[];
  /** Writes that prepare parents: v1 cpuset.cpus/mems of new parents, v2 cgroup.subtree_control. */
  readonly parentWrites: readonly KnobWrite[];
  /** The box's own cgroups, one per hierarchy (one on v2). */
  readonly boxes: readonly CgroupDir[];
  /** The limits, in the order the kernel accepts them. */
  readonly limits: readonly KnobWrite[];
}

/** Absolute directory of a cgroup. */
export function dirOf(dir: Pick<CgroupDir, 'mount' | 'path'>): string {
  return dir.path === '/' ? dir.mount : `${dir.mount}${dir.path}`;
}

/** "nsbox-" and the first 12 hex digits of the box id. */
export function boxCgroupName(boxId: string): string {
  if (!/^[0-9a-f]{12,}$/.test(boxId)) throw new Error(`internal: box id ${JSON.stringify(boxId)} is not hex`);
  return `nsbox-${boxId.slice(0, 12)}`;
}

/** The parent's path on one hierarchy: from its root, or from nsbox's own cgroup there ("./x"). */
export function resolveParentPath(host: CgroupHost, hierarchy: CgroupHierarchy, request: CgroupRequest): string {
  let base = '/';
  if (request.parentBase === 'self') {
    const own = findProcCgroupPath(host.self, hierarchy);
    if (own === undefined) {
      throw new NsboxError(`cannot place the box under --cgroup-parent ${describeParent(request)}: nsbox's own cgroup on ${dirOf({ mount: hierarchy.mount, path: '/' })} is unknown`);
    }
    base = own;
  }
  const joined = `${base.replace(/\/+$/, '')}/${request.parent}`.replace(/\/+$/, '');
  return joined === '' ? '/' : joined;
}

/** "/a/b/c" -> ["/", "/a", "/a/b", "/a/b/c"]. */
export function listAncestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return ['/', ...parts.map((_p, i) => `/${parts.slice(0, i + 1).join('/')}`)];
}

/** The deepest ancestors of `path` (itself included) that do not exist yet, top-down. */
export function listMissing(mount: string, path: string): string[] {
  return listAncestors(path).filter((p) => !existsSync(dirOf({ mount, path: p })));
}

/** Fail closed at plan time when nsbox could not create cgroups here (not root, read-only mount). */
export function checkWritable(mount: string, path: string, controller: string): void {
  const existing = listAncestors(path).filter((p) => existsSync(dirOf({ mount, path: p }))).pop() ?? '/';
  const dir = dirOf({ mount, path: existing });
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new NsboxError(`cannot apply the ${controller} limit: no permission to create cgroups in ${dir}`, {
      hint: 'run nsbox as root',
    });
  }
}
