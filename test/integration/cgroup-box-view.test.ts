// Integration (root, real cgroups; v1 here, v2 in the VM: run-cgroup2 ... node test/run.js integration cgroup):
// an image box sees its own cgroup at /sys/fs/cgroup, as in Docker. With --memory 64m --cpus 0.5 it reads
// 67108864 and its CPU quota there (memory.limit_in_bytes + cpu.cfs_quota_us on v1, memory.max + cpu.max on v2),
// /proc/self/cgroup reads "/" (a cgroup namespace rooted at its cgroup), and every write, mkdir or remount fails:
// the host-side values are checked unchanged afterwards, and no cgroup appeared below the box's.
// Store: a temp --root; state: a temp NSBOX_STATE; cgroups under ./cgv-<pid> of this test's own.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectCgroupHost, findHierarchy, findProcCgroupPath } from '../../src/cgroup/detect.js';
import { dirOf } from '../../src/cgroup/layout.js';
import { ok, nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { gatedTest } from '../helpers/suite.js';

const host = detectCgroupHost();
const v2 = host.mode === 'v2';
const skip = !isRoot
  ? 'needs root'
  : !existsSync('/bin/busybox')
    ? 'needs /bin/busybox (apt-get install busybox-static)'
    : !findHierarchy(host, 'memory') || !findHierarchy(host, 'cpu')
      ? 'needs the memory and cpu cgroup controllers'
      : undefined;
const test = gatedTest(skip);

const BASE = mkdtempSync(join(tmpdir(), 'nsbox-cgv-'));
const PARENT = `cgv-${process.pid}`;
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: join(BASE, 'store'), NSBOX_STATE: join(BASE, 'state'), NSBOX_CGROUP_PARENT: `./${PARENT}`, NSBOX_IMAGE_NETWORK: 'none' };
const run = (args: readonly string[], env = ENV): Result => nsbox(args, { env, timeoutMs: 120_000 });

/** Inside the box: the files a runtime reads, then a write to each limit, a mkdir and a remount, each reported. */
const LIMIT_FILES = v2 ? ['memory.max', 'cpu.max'] : ['memory/memory.limit_in_bytes', 'cpu/cpu.cfs_quota_us', 'cpu/cpu.cfs_period_us'];
const WRITES: [string, string][] = v2
  ? [['memory.max', 'max'], ['cpu.max', 'max 100000'], ['pids.max', 'max']]
  : [['memory/memory.limit_in_bytes', '1073741824'], ['cpu/cpu.cfs_quota_us', '-1'], ['pids/pids.max', 'max']];
const SCRIPT = [
  'cd /sys/fs/cgroup',
  'echo "cgroup: $(grep -E "^0::|:memory:" /proc/self/cgroup | head -n 1)"',
  ...LIMIT_FILES.map((f) => `echo "${f}: $(cat ${f})"`),
  `echo "procs: $(cat ${v2 ? '' : 'memory/'}cgroup.procs | tr '\\n' ' ')"`,
  ...WRITES.map(([f, value]) => `if echo '${value}' > ${f} 2>/dev/null; then echo "write ${f}: done"; else echo "write ${f}: refused"; fi`),
  // v2: a child cgroup of the box's; v1: a directory beside the hierarchies (in the tmpfs) and a child cgroup.
  ...(v2 ? ['escape'] : ['escape', 'memory/escape']).map((d) => `if mkdir ${d} 2>/dev/null; then echo "mkdir ${d}: done"; else echo "mkdir ${d}: refused"; fi`),
  'if mount -o remount,rw /sys/fs/cgroup 2>/dev/null; then echo "remount: done"; else echo "remount: refused"; fi',
  'echo DONE',
  'exec sleep 300',
].join('\n');

/** The box's log once its script has printed DONE, as "key: value" pairs. */
async function readReport(name: string): Promise<Record<string, string>> {
  for (let i = 0; i < 600; i++) {
    const log = run(['logs', name]).stdout;
    if (log.includes('DONE\n')) return Object.fromEntries(log.split('\n').filter((l) => l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));
    await sleep(100);
  }
  throw new Error(`box ${name} never printed DONE: ${run(['logs', name]).stdout}`);
}

test.before(() => {
  if (skip) return;
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox');
});

test.after(() => {
  if (skip) return;
  for (const id of (run(['ps', '-a', '-q', '--no-trunc']).stdout.split('\n').filter(Boolean))) run(['rm', '-f', id]);
  for (const controller of ['memory', 'cpu', 'cpuacct', 'pids', 'devices']) {
    const h = findHierarchy(host, controller);
    if (!h) continue;
    const dir = dirOf({ mount: h.mount, path: `${(findProcCgroupPath(host.self, h) ?? '/').replace(/\/$/, '')}/${PARENT}` });
    if (existsSync(dir)) rmdirSync(dir);
  }
  rmSync(BASE, { recursive: true, force: true });
});

for (const driver of ['cgroupfs', 'cgroup-tools']) {
  test(`--memory 64m --cpus 0.5: the box reads its own limits at /sys/fs/cgroup and cannot change them (${host.mode}, ${driver})`, async () => {
    const name = `view-${driver}`;
    const env = { ...ENV, NSBOX_CGROUP_DRIVER: driver };
    ok(run(['run', '-d', '--name', name, '--memory', '64m', '--cpus', '0.5', 'busybox', 'sh', '-c', SCRIPT], env), 'run -d');
    const report = await readReport(name);
    const [info] = JSON.parse(ok(run(['inspect', name]), 'inspect'));
    const memoryDir = info.Nsbox.Cgroup.memoryDir as string;
    const cpuDir = (info.Nsbox.Cgroup.dirs as string[]).find((d) => (v2 ? true : d.startsWith(findHierarchy(host, 'cpu')!.mount + '/')))!;
    assert.ok(memoryDir && cpuDir, 'the box has memory and cpu cgroups');

    // What the box read: its own limits, its own cgroup namespace, its own processes.
    assert.is(report['cgroup'], v2 ? '0::/' : report['cgroup']!.replace(/:\/.*$/, ':/'), '/proc/self/cgroup is rooted at the box');
    assert.match(report['cgroup']!, /:\/$/);
    if (v2) {
      assert.is(report['memory.max'], '67108864');
      assert.is(report['cpu.max'], '50000 100000');
    } else {
      assert.is(report['memory/memory.limit_in_bytes'], '67108864');
      assert.is(report['cpu/cpu.cfs_quota_us'], '50000');
      assert.is(report['cpu/cpu.cfs_period_us'], '100000');
    }
    // cgroup.procs: the box's PID 1 and the script's subshells, as box pids; its supervisor (outside the pid
    // namespace) shows as 0 on v2, where cgroup.procs prints pids the reader cannot see as 0 (v1 leaves them out).
    const procs = report['procs']!.trim().split(' ').map(Number);
    assert.ok(procs.includes(1), `PID 1 of the box's pid namespace: ${report['procs']}`);
    assert.ok(procs.filter((p) => p === 0).length <= 1 && procs.length < 10 && procs.every((p) => p < 100), `the box's own processes only, not the host's: ${report['procs']}`);

    // Every change refused, and the host side unchanged.
    for (const [file] of WRITES) assert.is(report[`write ${file}`], 'refused', `write ${file}`);
    for (const dir of v2 ? ['escape'] : ['escape', 'memory/escape']) assert.is(report[`mkdir ${dir}`], 'refused', `mkdir ${dir}`);
    assert.is(report['remount'], 'refused');
    if (v2) {
      assert.is(readFileSync(join(memoryDir, 'memory.max'), 'utf8').trim(), '67108864');
      assert.is(readFileSync(join(cpuDir, 'cpu.max'), 'utf8').trim(), '50000 100000');
    } else {
      assert.is(readFileSync(join(memoryDir, 'memory.limit_in_bytes'), 'utf8').trim(), '67108864');
      assert.is(readFileSync(join(cpuDir, 'cpu.cfs_quota_us'), 'utf8').trim(), '50000');
    }
    assert.equal(readdirSync(memoryDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name), [], 'no cgroup made below the box\'s');
    // The host's view is untouched: the box's mounts live in its own mount namespace.
    assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(`nsbox-${(info.Id as string).slice(0, 12)}`));
    ok(run(['rm', '-f', name]), 'rm -f');
    assert.not.ok(existsSync(memoryDir), 'rm removed the box cgroup');
  });
}

test('a box without limits sees only the cgroup nsbox tracks it in (every image box is recorded), never the host\'s', () => {
  // v1: one directory per hierarchy the box has a cgroup on (pids here); v2: the box's own cgroup directory.
  const r = run(['run', '--rm', 'busybox', 'sh', '-c', 'ls -A /sys/fs/cgroup; echo ---; cat /sys/fs/cgroup/pids/cgroup.procs 2>/dev/null || cat /sys/fs/cgroup/cgroup.procs']);
  assert.is(r.code, 0, r.stderr);
  const [listing, procs] = r.stdout.split('---\n') as [string, string];
  const entries = listing.split('\n').filter(Boolean);
  for (const host of ['memory', 'cpu', 'cpuset', 'blkio', 'systemd', 'unified']) assert.not.ok(entries.includes(host), `the host's ${host} hierarchy is shown: ${entries.join(' ')}`);
  const pids = procs.split('\n').filter(Boolean);
  assert.ok(pids.length >= 1 && pids.length <= 5, `cgroup.procs inside lists ${pids.length} processes (the box's own are 1-5): ${pids.join(' ')}`);
});

test.run();
