// Issue 3's set: the cost of --memory/--pids-limit over the same box without limits, next to a hand-written
// cgcreate/cgset/cgexec script. Box cgroups go below the bench's own cgroups (--cgroup-parent .), never elsewhere.

import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describeMissingTools, NSBOX_BIN } from '../paths.js';
import type { BenchSet, Candidate } from '../types.js';
import { checkNsboxRunnable, CORE_NSBOX_FLAGS } from './core.js';
import { loadOwnV1Cgroups } from './own-cgroups.js';

const LIMIT_FLAGS = ['--memory', '100m', '--pids-limit', '100', '--cgroup-parent', '.'] as const;
const V1_ROOT = '/sys/fs/cgroup';

const own = loadOwnV1Cgroups();

/** The same box as issue 2's by hand on cgroup v1: make the cgroups, set the limits, run unshare in them, remove. */
function buildHandScript(memoryPath: string, pidsPath: string): Candidate {
  const inOwn = (base: string) => `${base === '/' ? '' : base}/nsbox-bench-hand-$$`;
  const script = [
    'set -eu',
    `m=${inOwn(memoryPath)}; p=${inOwn(pidsPath)}`,
    'cgcreate -g "memory:$m" -g "pids:$p"',
    `trap 'cgdelete "memory:$m" "pids:$p"' EXIT`,
    'cgset -r memory.limit_in_bytes=104857600 "$m"',
    'cgset -r pids.max=100 "$p"',
    'cgexec -g "memory:$m" -g "pids:$p" unshare --uts --pid --ipc --net --fork --mount-proc -- true',
  ].join('; ');
  return { name: 'cgexec script', argv: ['sh', '-c', script] };
}

const memoryPath = own.get('memory');
const pidsPath = own.get('pids');
const handScript = memoryPath !== undefined && pidsPath !== undefined && !describeMissingTools(['cgcreate', 'cgset', 'cgexec', 'cgdelete'], 'cgroup-tools')
  ? [buildHandScript(memoryPath, pidsPath)]
  : [];

/** Our own cgroup directories (v1 memory and pids) whose children the set may create. */
function ownCgroupDirs(): string[] {
  return [
    ...(memoryPath !== undefined ? [join(V1_ROOT, 'memory', memoryPath)] : []),
    ...(pidsPath !== undefined ? [join(V1_ROOT, 'pids', pidsPath)] : []),
  ];
}

function listBoxCgroups(): string[] {
  return ownCgroupDirs().flatMap((dir) => {
    try {
      return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name.startsWith('nsbox-')).map((e) => join(dir, e.name));
    } catch {
      return [];
    }
  });
}

let before: readonly string[] = [];

export const cgroupSet: BenchSet = {
  name: 'cgroup',
  title: 'issue 3: nsbox run with --memory 100m --pids-limit 100 (cgroup-tools driver, then cgroupfs) vs without limits vs cgcreate/cgset/cgexec',
  reference: 'nsbox',
  candidates: [
    { name: 'nsbox', argv: [NSBOX_BIN, 'run', ...CORE_NSBOX_FLAGS, '--', 'true'] },
    { name: 'nsbox limits', argv: [NSBOX_BIN, 'run', ...CORE_NSBOX_FLAGS, ...LIMIT_FLAGS, '--', 'true'] },
    // Informational: the same limits written to cgroupfs directly (no cgcreate/cgset/cgexec processes).
    { name: 'nsbox limits cgroupfs', argv: [NSBOX_BIN, 'run', ...CORE_NSBOX_FLAGS, ...LIMIT_FLAGS, '--', 'true'], env: { NSBOX_CGROUP_DRIVER: 'cgroupfs' } },
    ...handScript,
  ],
  targets: [
    { kind: 'median-within', subject: 'nsbox limits', reference: 'nsbox', slackMs: 10 },
    { kind: 'median-within', subject: 'nsbox limits cgroupfs', reference: 'nsbox', slackMs: 10 },
  ],
  available() {
    const reason = checkNsboxRunnable();
    if (reason) return reason;
    if (memoryPath === undefined || pidsPath === undefined) return 'needs cgroup v1 memory and pids hierarchies';
    const help = spawnSync(NSBOX_BIN, ['run', '--help'], { encoding: 'utf8' });
    return /--memory\b/.test(help.stdout ?? '') ? undefined : 'nsbox run --help lists no --memory yet (issue 3)';
  },
  setup() {
    before = listBoxCgroups();
  },
  teardown() {
    const left = listBoxCgroups().filter((dir) => !before.includes(dir));
    return left.map((dir) => `cgroup left behind: ${dir}`);
  },
};
