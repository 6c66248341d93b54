// Unit tests of cgroup detection on the fake v1, hybrid and v2 trees in fixtures/cgroup (real file names).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectCgroupHost, findHierarchy, findProcCgroupPath, parseProcCgroup } from '../../src/cgroup/detect.js';
import { describeLimit, readCgroupInfo } from '../../src/cgroup/info.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/cgroup', import.meta.url));
const HYBRID_SELF = '9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n';
let tmp = '';

/** A copy of one fixture tree (symlinks kept), so tests may change it. */
function tree(name: string): string {
  const dir = join(tmp, name);
  cpSync(join(FIXTURES, name), dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

test.before.each(() => {
  tmp = mkdtempSync(join(tmpdir(), 'nsbox-cgroup-detect-'));
});
test.after.each(() => rmSync(tmp, { recursive: true, force: true }));

test('v1: co-mounted cpu,cpuacct counted once; named hierarchy has no controllers', () => {
  const root = tree('v1');
  const host = detectCgroupHost(root, { selfCgroup: '', swaps: '' });
  assert.is(host.mode, 'v1');
  const byMount = Object.fromEntries(host.hierarchies.map((h) => [h.mount.slice(root.length + 1), [h.version, ...h.controllers]]));
  assert.equal(byMount, { 'cpu,cpuacct': [1, 'cpu', 'cpuacct'], cpuset: [1, 'cpuset'], memory: [1, 'memory'], pids: [1, 'pids'], systemd: [1] });
  assert.is(findHierarchy(host, 'cpuacct')!.mount, join(root, 'cpu,cpuacct'));
  assert.is(host.swapOn, false);
});

test('hybrid: separate v1 hierarchies plus an empty cgroup2', () => {
  const root = tree('hybrid');
  const host = detectCgroupHost(root, { selfCgroup: HYBRID_SELF, swaps: 'Filename Type Size Used Priority\n/swap file 1 0 -2\n' });
  assert.is(host.mode, 'hybrid');
  assert.is(host.swapOn, true);
  const unified = host.hierarchies.find((h) => h.version === 2)!;
  assert.equal([unified.mount, unified.controllers], [join(root, 'unified'), []]);
  assert.is(findHierarchy(host, 'memory')!.mount, join(root, 'memory'));
  assert.is(findProcCgroupPath(host.self, findHierarchy(host, 'memory')!), '/process_api/abc');
  assert.is(findProcCgroupPath(host.self, findHierarchy(host, 'pids')!), '/');
  assert.is(findProcCgroupPath(host.self, unified), '/');
});

test('v2: cgroup2 at the root with its controllers', () => {
  const root = tree('v2');
  const host = detectCgroupHost(root, { selfCgroup: '0::/user.slice\n', swaps: '' });
  assert.is(host.mode, 'v2');
  assert.equal(host.hierarchies, [{ version: 2, mount: root, controllers: ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'] }]);
  assert.is(findProcCgroupPath(host.self, host.hierarchies[0]!), '/user.slice');
});

test('nothing mounted: none', () => {
  assert.is(detectCgroupHost(join(tmp, 'absent'), { selfCgroup: '', swaps: '' }).mode, 'none');
});

test('parseProcCgroup keeps name= and the v2 line', () => {
  assert.equal(parseProcCgroup('12:cpu,cpuacct:/a\n1:name=systemd:/b\n0::/c\n'), [
    { id: 12, controllers: ['cpu', 'cpuacct'], path: '/a' },
    { id: 1, controllers: ['name=systemd'], path: '/b' },
    { id: 0, controllers: [], path: '/c' },
  ]);
});

test('readCgroupInfo: paths and limits of a PID from a fake /proc', () => {
  const root = tree('v2');
  const proc = join(tmp, 'proc');
  mkdirSync(join(proc, '77'), { recursive: true });
  writeFileSync(join(proc, '77', 'cgroup'), '0::/user.slice\n');
  const info = readCgroupInfo(77, detectCgroupHost(root, { selfCgroup: '', swaps: '' }), proc);
  assert.equal(info.cgroups, [{ controllers: '', path: '/user.slice', dir: join(root, 'user.slice') }]);
  assert.equal(info.limits.map((l) => [l.name, l.value]), [['memory', 'unlimited'], ['pids-limit', 'unlimited']]);
  assert.throws(() => readCgroupInfo(78, detectCgroupHost(root, { selfCgroup: '', swaps: '' }), proc), /no such process/);
});

test('describeLimit', () => {
  assert.is(describeLimit('memory', '104857600'), '100M');
  assert.is(describeLimit('memory', '9223372036854771712'), 'unlimited');
  assert.is(describeLimit('cpus', '50000 100000'), '0.5');
  assert.is(describeLimit('cpus', '150000', '100000'), '1.5');
  assert.is(describeLimit('cpus', '-1', '100000'), 'unlimited');
  assert.is(describeLimit('pids-limit', 'max'), 'unlimited');
});

test.run();
