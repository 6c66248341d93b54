// Leak auditor for integration tests: what nsbox may create (mounts, cgroups, links, processes, the state dirs'
// per-box entries) is snapshotted before a test and must be the same after it.

import { readFileSync, readdirSync, existsSync, lstatSync, rmdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface Snapshot {
  /** mountinfo entries as "<mount id> <target> (<fstype>)": a second mount stacked on a target is a new entry. */
  readonly mounts: readonly string[];
  readonly cgroups: readonly string[];
  readonly links: readonly string[];
  /** "<pid>:<comm>" of the test's descendants, of every process in its cgroups and of its state dirs' boxes. */
  readonly processes: readonly string[];
  /** What is at each watched path (the target of an escape attempt): type, inode, mtime, entries. */
  readonly watched: readonly string[];
  /** What lies in the state dirs' per-box places (boxes/, names/, tmp/, net/boxes/): a record or its trash left. */
  readonly state: readonly string[];
  readonly options: SnapshotOptions;
}

export interface SnapshotOptions {
  /** nsbox state dirs whose boxes' processes count (default: $NSBOX_STATE when set). */
  readonly stateDirs?: readonly string[];
  /** Cgroup parents, relative to this process's cgroup ("./x" or "x"), whose processes count (default: $NSBOX_CGROUP_PARENT). */
  readonly cgroupParents?: readonly string[];
  /** Paths where an escape would land: they must look the same after the test (existence, inode, mtime, entries). */
  readonly watch?: readonly string[];
  /** Bridges this test makes (network create): an nsbr-* link counts only if listed (other suites make theirs). */
  readonly bridges?: readonly string[];
}

/** Take a snapshot of everything an nsbox test could leak. */
export function snapshot(options: SnapshotOptions = {}): Snapshot {
  const stateDirs = options.stateDirs ?? (process.env.NSBOX_STATE ? [process.env.NSBOX_STATE] : []);
  const cgroupParents = options.cgroupParents ?? (process.env.NSBOX_CGROUP_PARENT ? [process.env.NSBOX_CGROUP_PARENT] : []);
  const pids = new Set([...descendantPids(process.pid), ...cgroupPids(cgroupParents), ...stateDirPids(stateDirs), ...stateDirNamers(stateDirs)]);
  pids.delete(process.pid);
  const processes = [...pids].flatMap((pid) => {
    const comm = commOf(pid);
    return comm === undefined ? [] : [`${pid}:${comm}`];
  });
  const hostCgroups = nsboxCgroups();
  const ownDirs = cgroupParentDirs(cgroupParents);
  return {
    mounts: mounts(),
    // Other engineers' suites make boxes at the same time: with cgroup parents, only what lies below ours counts.
    cgroups: ownDirs.length ? hostCgroups.filter((dir) => ownDirs.some((own) => dir.startsWith(`${own}/`))) : hostCgroups,
    links: links().filter((name) => !isForeignLink(name, options.bridges ?? [], hostCgroups, ownDirs)),
    processes: processes.sort(),
    watched: (options.watch ?? []).map(describePath),
    state: stateEntries(stateDirs),
    options,
  };
}

/** Throws with a readable diff if anything appeared (or vanished) since `before`. Retries briefly for stragglers. */
export async function assertNoLeaks(before: Snapshot, what = 'test'): Promise<void> {
  let diff = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    const after = snapshot(before.options);
    diff = (['mounts', 'cgroups', 'links', 'processes', 'watched', 'state'] as const)
      // A mount that went away is no leak: another suite on this host unmounting its own must not fail this one;
      // nor is a box record the test removed.
      .map((key) => describe(key, before[key], after[key], key !== 'mounts' && key !== 'state'))
      .filter(Boolean)
      .join('; ');
    if (!diff) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} leaked: ${diff}`);
}

function describe(key: string, before: readonly string[], after: readonly string[], removalsCount = true): string {
  const added = after.filter((x) => !before.includes(x));
  const removed = removalsCount ? before.filter((x) => !after.includes(x)) : [];
  if (!added.length && !removed.length) return '';
  return `${key}: +[${added.join(', ')}] -[${removed.join(', ')}]`;
}

/**
 * podman's own mounts for its containers (a container's userdata/shm, in its storage's *-containers/): other
 * suites on this host run podman while this one runs, and nsbox never makes them (conmon and podman do).
 */
const PODMAN_MOUNT = /\/(vfs|overlay)-containers\/[0-9a-f]{64}\/userdata\/shm$/;

/** Mounts of this process's mount namespace, by mount id (field 1 of mountinfo), target and type. */
function mounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '))
    .filter((f) => !PODMAN_MOUNT.test(f[4] ?? ''))
    .map((f) => `${f[0]} ${f[4]} (${f[f.indexOf('-') + 1]})`)
    .sort();
}

function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined; // already gone
  }
}

/** The absolute directories of the cgroup parents (relative to this process's cgroup), in every hierarchy. */
function cgroupParentDirs(parents: readonly string[]): string[] {
  if (!parents.length) return [];
  let lines: string[] = [];
  try {
    lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const line of lines) {
    const [, controllers, path] = line.split(':');
    if (controllers === undefined || path === undefined) continue;
    const mount = controllers === ''
      ? (existsSync('/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup')
      : `/sys/fs/cgroup/${controllers.replace(/^name=/, '')}`;
    for (const parent of parents) {
      if (parent.startsWith('/')) continue; // an absolute parent is not this test's alone
      dirs.push(join(mount, path, parent));
    }
  }
  return [...new Set(dirs)];
}

/**
 * A link another suite's box or network owns: a veth end nsv/nsp<id> whose box cgroup nsbox-<id> is not below this
 * test's cgroup parents, or a bridge this test did not declare. Without cgroup parents, every link counts.
 */
function isForeignLink(name: string, bridges: readonly string[], hostCgroups: readonly string[], ownDirs: readonly string[]): boolean {
  if (!ownDirs.length) return false;
  if (/^(nsbr-|nsbox0$|nsbox-[0-9a-f]+$)/.test(name)) return !bridges.includes(name); // user and default bridges
  // nsv<12 hex of the id>, or nsv<10 hex>x1 for a second network's veth (15 characters at most)
  const veth = /^ns[vp]([0-9a-f]{10,12})(x\d+)?$/.exec(name);
  if (!veth) return false;
  const boxCgroups = hostCgroups.filter((dir) => (dir.split('/').pop() ?? '').startsWith(`nsbox-${veth[1]}`));
  // Ours only when its box's cgroup is below ours: a veth whose box cannot be placed is another suite's.
  return !boxCgroups.some((dir) => ownDirs.some((own) => dir.startsWith(`${own}/`)));
}

/** Every PID in the cgroup trees below each parent (relative to this process's cgroup), in every hierarchy. */
function cgroupPids(parents: readonly string[]): number[] {
  const found: number[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 6) return;
    try {
      found.push(...readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name), depth + 1);
    } catch {
      // not there (yet, or any more)
    }
  };
  for (const dir of cgroupParentDirs(parents)) walk(dir, 0);
  return found;
}

/** PIDs recorded in the boxes of nsbox state dirs (detached boxes are reparented to init, so not descendants). */
function stateDirPids(dirs: readonly string[]): number[] {
  const found: number[] = [];
  for (const dir of dirs) {
    let ids: string[] = [];
    try {
      ids = readdirSync(join(dir, 'boxes'));
    } catch {
      continue;
    }
    for (const id of ids) {
      try {
        const record = JSON.parse(readFileSync(join(dir, 'boxes', id, 'state.json'), 'utf8')) as {
          supervisor?: { pid?: number };
          init?: { pid?: number };
          cgroup?: { dirs?: string[] };
        };
        for (const who of [record.supervisor, record.init]) if (who?.pid) found.push(who.pid);
        for (const cg of record.cgroup?.dirs ?? []) {
          try {
            found.push(...readFileSync(join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
          } catch {
            // removed
          }
        }
      } catch {
        // a record being written or removed
      }
    }
  }
  return found;
}

/**
 * Processes that name a state dir (an argument in it, or NSBOX_STATE set to it): a box's supervisor (`nsbox
 * box-exited --state DIR ...`, its log and reaper shells) outlives its record when it fails to end, and is then in
 * no state dir, no cgroup of the box's and, reparented to init, no descendant of the test.
 */
function stateDirNamers(dirs: readonly string[]): number[] {
  if (!dirs.length) return [];
  const names = (text: string) => text.split('\0').some((arg) => dirs.some((dir) => arg === dir || arg.startsWith(`${dir}/`) || arg === `NSBOX_STATE=${dir}`));
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (names(readFileSync(`/proc/${entry}/cmdline`, 'utf8')) || names(readFileSync(`/proc/${entry}/environ`, 'utf8'))) found.push(Number(entry));
    } catch {
      // gone meanwhile, or a kernel thread
    }
  }
  return found;
}

/** The entries of each state dir's per-box places, as paths. */
function stateEntries(dirs: readonly string[]): string[] {
  return dirs.flatMap((dir) => ['boxes', 'names', 'tmp', join('net', 'boxes')].flatMap((place) => {
    try {
      return readdirSync(join(dir, place)).map((name) => join(dir, place, name));
    } catch {
      return []; // not made (yet)
    }
  })).sort();
}

/** A watched path as one line: missing, or its type, inode, mtime and (for a directory) its entries. */
function describePath(path: string): string {
  try {
    const info = lstatSync(path);
    const entries = info.isDirectory() ? ` [${readdirSync(path).sort().join(' ')}]` : '';
    return `${path}: ${info.isDirectory() ? 'dir' : info.isSymbolicLink() ? 'link' : 'file'} ino=${info.ino} mode=${info.mode.toString(8)} nlink=${info.nlink} mtime=${info.mtimeMs} size=${info.size}${entries}`;
  } catch {
    return `${path}: missing`;
  }
}

/** Every cgroup directory whose name mentions nsbox, in every hierarchy (v1 and v2). */
function nsboxCgroups(): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 8) return;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const path = `${dir}/${e.name}`;
      if (/nsbox/i.test(e.name)) found.push(path);
      walk(path, depth + 1);
    }
  };
  if (existsSync('/sys/fs/cgroup')) walk('/sys/fs/cgroup', 0);
  return found.sort();
}

/** Network links of the host namespace, by name. */
function links(): string[] {
  try {
    const json = execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' });
    return (JSON.parse(json) as Array<{ ifname: string }>).map((l) => l.ifname).sort();
  } catch {
    return [];
  }
}

/** PIDs of every process descending from `pid`. */
function descendantPids(pid: number): number[] {
  return descendants(pid).map((entry) => Number(entry.split(':')[0]));
}

/** PIDs (with command names) of every process descending from `pid`, found via /proc/<pid>/task/<tid>/children. */
export function descendants(pid: number): string[] {
  const out: string[] = [];
  const visit = (p: number) => {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      let children: string[] = [];
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      } catch {
        continue;
      }
      for (const c of children) {
        let comm = '?';
        try {
          comm = readFileSync(`/proc/${c}/comm`, 'utf8').trim();
        } catch {
          continue; // already gone
        }
        out.push(`${c}:${comm}`);
        visit(Number(c));
      }
    }
  };
  visit(pid);
  return out.sort();
}

/**
 * Remove a test file's own cgroup parents (`./name-PID`) in every hierarchy, deepest first, once its boxes are
 * gone: only empty cgroups (rmdir refuses the others), and never one this file did not name.
 */
export function removeCgroupParents(parents: readonly string[]): void {
  const dirs = cgroupParentDirs(parents);
  const all = dirs.flatMap((dir) => [...cgroupTree(dir), dir]).sort((a, b) => b.length - a.length);
  for (const dir of all) {
    try {
      rmdirSync(dir);
    } catch {
      // already gone, or still busy: test/run.js reports a cgroup a file left behind
    }
  }
}

function cgroupTree(dir: string): string[] {
  let entries: import('node:fs').Dirent[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isDirectory()).flatMap((e) => [...cgroupTree(join(dir, e.name)), join(dir, e.name)]);
}

/**
 * A test file's teardown: removes every box its own store and state hold (`run` is the file's nsbox with its env),
 * then its cgroup parent in every hierarchy, then its work dir. Only what the file made: its env points nsbox there.
 */
export function removeFileBoxes(run: (args: string[]) => { stdout: string }, cgroupParent: string, workDir: string): void {
  for (const box of JSON.parse(run(['ps', '-a', '--json']).stdout || '[]') as { id: string }[]) run(['rm', '-f', box.id]);
  removeCgroupParents([`./${cgroupParent}`]);
  rmSync(workDir, { recursive: true, force: true });
}
