// Detects how cgroups are mounted under a root path (v1, v2 or hybrid), which controller lives on which
// hierarchy, and which cgroup a process is in. A function of paths and texts, so tests point it at fake trees.

import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

export type CgroupMode = 'v1' | 'v2' | 'hybrid' | 'none';
export type CgroupVersion = 1 | 2;

/** One mounted hierarchy: a v1 hierarchy with its controllers, or the cgroup2 one with those it offers. */
export interface CgroupHierarchy {
  readonly version: CgroupVersion;
  readonly mount: string;
  readonly controllers: readonly string[];
}

/** One line of /proc/<pid>/cgroup: "4:memory:/a/b" or "0::/a/b". */
export interface ProcCgroupEntry {
  readonly id: number;
  /** Controllers of that v1 hierarchy ("name=systemd" kept as is); empty for the cgroup2 line. */
  readonly controllers: readonly string[];
  readonly path: string;
}

export interface CgroupHost {
  readonly root: string;
  readonly mode: CgroupMode;
  readonly hierarchies: readonly CgroupHierarchy[];
  /** The cgroups nsbox itself is in (from /proc/self/cgroup), for parents relative to it. */
  readonly self: readonly ProcCgroupEntry[];
  /** Whether any swap is active: only then does a memory limit need a swap limit beside it. */
  readonly swapOn: boolean;
}

/** Controller names the kernel may list in /proc/cgroups; a v1 directory named otherwise is a named hierarchy. */
export const KNOWN_CONTROLLERS: readonly string[] = [
  'cpuset', 'cpu', 'cpuacct', 'blkio', 'io', 'memory', 'devices', 'freezer', 'net_cls', 'perf_event', 'net_prio',
  'hugetlb', 'pids', 'rdma', 'misc',
];

export interface DetectOptions {
  /** Text of /proc/self/cgroup (default: read it). */
  readonly selfCgroup?: string;
  /** Text of /proc/swaps (default: read it). */
  readonly swaps?: string;
}

/** How cgroups are mounted at `root`: cgroup2 at the root (v2), per-controller v1 directories, or both (hybrid). */
export function detectCgroupHost(root = '/sys/fs/cgroup', options: DetectOptions = {}): CgroupHost {
  // The host's own layout, read once per nsbox process (planning asks for it more than once).
  if (root === '/sys/fs/cgroup' && Object.keys(options).length === 0) return (ownHost ??= detectOnce(root, options));
  return detectOnce(root, options);
}

let ownHost: CgroupHost | undefined;

function detectOnce(root: string, options: DetectOptions): CgroupHost {
  const self = parseProcCgroup(options.selfCgroup ?? readOr('/proc/self/cgroup', ''));
  const swapOn = (options.swaps ?? readOr('/proc/swaps', '')).trim().split('\n').length > 1;
  if (existsSync(join(root, 'cgroup.controllers'))) {
    return { root, mode: 'v2', hierarchies: [{ version: 2, mount: root, controllers: readControllers(root) }], self, swapOn };
  }
  const hierarchies: CgroupHierarchy[] = [];
  const seen = new Set<string>();
  for (const name of listDirs(root)) {
    const dir = join(root, name);
    const real = realOr(dir);
    if (seen.has(real)) continue; // "cpu" -> "cpu,cpuacct": one hierarchy, two names
    if (existsSync(join(dir, 'cgroup.controllers'))) {
      seen.add(real);
      hierarchies.push({ version: 2, mount: dir, controllers: readControllers(dir) });
    } else if (existsSync(join(dir, 'cgroup.procs'))) {
      seen.add(real);
      const real_name = real.slice(real.lastIndexOf('/') + 1);
      const controllers = real_name.split(',').filter((c) => KNOWN_CONTROLLERS.includes(c));
      hierarchies.push({ version: 1, mount: realName(root, real_name, name), controllers });
    }
  }
  const v1 = hierarchies.some((h) => h.version === 1);
  const v2 = hierarchies.some((h) => h.version === 2);
  const mode: CgroupMode = v1 && v2 ? 'hybrid' : v1 ? 'v1' : v2 ? 'v2' : 'none';
  return { root, mode, hierarchies, self, swapOn };
}

/** The hierarchy that holds a controller (a v1 one first: a controller bound to v1 cannot be used on v2). */
export function findHierarchy(host: CgroupHost, controller: string): CgroupHierarchy | undefined {
  return (
    host.hierarchies.find((h) => h.version === 1 && h.controllers.includes(controller)) ??
    host.hierarchies.find((h) => h.version === 2 && h.controllers.includes(controller))
  );
}

/** The cgroup2 hierarchy, if mounted (on hybrid hosts usually without controllers). */
export function findUnified(host: CgroupHost): CgroupHierarchy | undefined {
  return host.hierarchies.find((h) => h.version === 2);
}

/** Parse /proc/<pid>/cgroup. */
export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const entries: ProcCgroupEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    entries.push({ id: Number(match[1]), controllers: match[2] === '' ? [] : match[2]!.split(','), path: match[3]! });
  }
  return entries;
}

/** The path (from the hierarchy root) of the cgroup a process is in on one hierarchy. */
export function findProcCgroupPath(entries: readonly ProcCgroupEntry[], hierarchy: CgroupHierarchy): string | undefined {
  if (hierarchy.version === 2) return entries.find((e) => e.id === 0 && e.controllers.length === 0)?.path;
  const key = hierarchy.controllers[0];
  if (key === undefined) return undefined;
  return entries.find((e) => e.controllers.includes(key))?.path;
}

function readControllers(dir: string): string[] {
  return readOr(join(dir, 'cgroup.controllers'), '').split(/\s+/).filter(Boolean);
}

/** Prefer the directory's own name when it is the real one (root may itself sit behind a symlink). */
function realName(root: string, realBase: string, name: string): string {
  return join(root, name === realBase ? name : realBase);
}

function listDirs(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() || d.isSymbolicLink())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

function realOr(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
}

/** A file's text, or `fallback` when it cannot be read. */
export function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}
