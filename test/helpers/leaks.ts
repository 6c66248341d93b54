// Leak auditor for integration tests: what nsbox may create (mounts, cgroups, links, processes, temp and state
// dirs) is snapshotted before a test and must be the same after it.

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface Snapshot {
  readonly mounts: readonly string[];
  readonly cgroups: readonly string[];
  readonly links: readonly string[];
  readonly processes: readonly string[];
}

/** Take a snapshot of everything an nsbox test could leak. */
export function snapshot(): Snapshot {
  return { mounts: mounts(), cgroups: nsboxCgroups(), links: links(), processes: descendants(process.pid) };
}

/** Throws with a readable diff if anything appeared (or vanished) since `before`. Retries briefly for stragglers. */
export async function assertNoLeaks(before: Snapshot, what = 'test'): Promise<void> {
  let diff = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    const after = snapshot();
    diff = (['mounts', 'cgroups', 'links', 'processes'] as const)
      .map((key) => describe(key, before[key], after[key]))
      .filter(Boolean)
      .join('; ');
    if (!diff) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} leaked: ${diff}`);
}

function describe(key: string, before: readonly string[], after: readonly string[]): string {
  const added = after.filter((x) => !before.includes(x));
  const removed = before.filter((x) => !after.includes(x));
  if (!added.length && !removed.length) return '';
  return `${key}: +[${added.join(', ')}] -[${removed.join(', ')}]`;
}

/** Mount points and sources of this process's mount namespace. */
function mounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const f = line.split(' ');
      return `${f[4]} (${f[f.indexOf('-') + 1]})`;
    })
    .sort();
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
