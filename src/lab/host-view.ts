// What the lab reads from the host side to prove an effect: namespace links, mountinfo, id maps, file owners,
// cgroup limit files. Every reader returns the raw text it saw, so the lab prints real observations only.

import { readFileSync, readlinkSync, statSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** "uts:[4026531838]", or undefined when the process or namespace is gone. */
export function nsLink(pid: number | 'self', ns: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${ns}`);
  } catch {
    return undefined;
  }
}

export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The value of one "Key:\tvalue" line of /proc/PID/status. */
export function statusField(pid: number, key: string): string | undefined {
  const line = readText(`/proc/${pid}/status`)?.split('\n').find((l) => l.startsWith(`${key}:`));
  return line?.slice(key.length + 1).trim();
}

/** Runs a host tool and returns its stdout (trimmed); throws with the tool's stderr on failure. */
export function run(argv: readonly string[], input?: string): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000 }).trim();
}

export function ownerOf(path: string): { uid: number; gid: number } | undefined {
  try {
    const s = statSync(path);
    return { uid: s.uid, gid: s.gid };
  } catch {
    return undefined;
  }
}

/** mountinfo lines of PID whose mount point is `target`. */
export function mountsAt(pid: number | 'self', target: string): string[] {
  return (readText(`/proc/${pid}/mountinfo`) ?? '').split('\n').filter((l) => l.split(' ')[4] === target);
}

/** The file system type of a mountinfo line (after the " - " separator). */
export function mountType(line: string): string {
  return line.split(' - ')[1]?.split(' ')[0] ?? '';
}

/**
 * The path of a cgroup limit file of PID: v1 (the controller's own hierarchy) or v2 (the unified one), with
 * the name used by each (memory.limit_in_bytes / memory.max, pids.max on both).
 */
export function cgroupLimitFile(pid: number, controller: 'memory' | 'pids'): string | undefined {
  const lines = (readText(`/proc/${pid}/cgroup`) ?? '').split('\n').filter(Boolean);
  for (const line of lines) {
    const [, controllers, path] = line.split(':') as [string, string, string];
    if (controllers.split(',').includes(controller)) {
      const file = controller === 'memory' ? 'memory.limit_in_bytes' : 'pids.max';
      return `/sys/fs/cgroup/${controllers}${path === '/' ? '' : path}/${file}`;
    }
  }
  const unified = lines.find((l) => l.startsWith('0::'));
  if (!unified) return undefined;
  const mount = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
  const path = unified.slice(3);
  const file = `${mount}${path === '/' ? '' : path}/${controller === 'memory' ? 'memory.max' : 'pids.max'}`;
  return existsSync(file) ? file : undefined;
}
