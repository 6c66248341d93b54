// Unit tests of planCgroup on fake v1, hybrid and v2 trees: the exact steps of both drivers, kernel order of
// writes, placement under --cgroup-parent, and fail-closed errors at plan time.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NsboxError } from '../../src/errors.js';
import { detectCgroupHost } from '../../src/cgroup/detect.js';
import { chooseCgroupDriver } from '../../src/cgroup/driver.js';
import { convertSharesToWeight } from '../../src/cgroup/layout-v2.js';
import { chooseJoin, planCgroup } from '../../src/cgroup/plan-cgroup.js';
import { selfJoinFile, selfJoinLines } from '../../src/cgroup/self-join.js';
import { renderRemoveCgroup } from '../../src/cgroup/remove.js';
import type { CgroupRequest } from '../../src/cgroup/request.js';
import { undosOf } from '../../src/plan/types.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/cgroup', import.meta.url));
const ID = 'abcdef0123456789'.repeat(4);
const BOX = 'nsbox-abcdef012345';
const NONE: CgroupRequest = {
  memoryBytes: undefined, memorySwapBytes: undefined, cpuQuotaUs: undefined, cpuPeriodUs: undefined, cpuShares: undefined,
  cpusetCpus: undefined, pidsLimit: undefined, parent: 'nsbox', parentBase: 'root',
};
let tmp = '';

function tree(name: string): string {
  const dir = join(tmp, name);
  cpSync(join(FIXTURES, name), dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

function failsWith(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (error) {
    assert.instance(error, NsboxError);
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected ${pattern}`);
}

test.before.each(() => {
  tmp = mkdtempSync(join(tmpdir(), 'nsbox-cgroup-plan-'));
});
test.after.each(() => rmSync(tmp, { recursive: true, force: true }));

test('v1, cgroupfs: parent made once, one cgroup per hierarchy, writes in kernel order, sh join prefix', () => {
  const root = tree('v1');
  const host = detectCgroupHost(root, { selfCgroup: '', swaps: 'header\n/swapfile file 1 0 -2\n' });
  const request: CgroupRequest = { ...NONE, memoryBytes: 104857600, cpuQuotaUs: 50000, cpuPeriodUs: 100000, cpuShares: 512, pidsLimit: 20 };
  const plan = planCgroup(request, ID, host, 'cgroupfs');
  const mem = `${root}/memory/nsbox/${BOX}`;
  const cpu = `${root}/cpu,cpuacct/nsbox/${BOX}`;
  const pids = `${root}/pids/nsbox/${BOX}`;
  assert.equal(plan.setup.map((s) => (s.kind === 'write-file' ? [s.kind, s.path, s.content] : s.kind === 'mkdir' ? [s.kind, s.path, s.undo] : s.kind === 'exec' ? [s.kind, ...s.argv] : [s.kind])), [
    ['exec', 'mkdir', '-p', `${root}/memory/nsbox`, `${root}/cpu,cpuacct/nsbox`, `${root}/pids/nsbox`],
    ['mkdir', mem, { kind: 'remove-cgroup', path: mem }],
    ['mkdir', cpu, { kind: 'remove-cgroup', path: cpu }],
    ['mkdir', pids, { kind: 'remove-cgroup', path: pids }],
    ['write-file', `${mem}/memory.limit_in_bytes`, '104857600'],
    ['write-file', `${mem}/memory.memsw.limit_in_bytes`, '104857600'],
    ['write-file', `${cpu}/cpu.cfs_period_us`, '100000'],
    ['write-file', `${cpu}/cpu.cfs_quota_us`, '50000'],
    ['write-file', `${cpu}/cpu.shares`, '512'],
    ['write-file', `${pids}/pids.max`, '20'],
  ]);
  assert.equal(plan.launchPrefix, []);
  assert.equal(plan.join.map((s) => s.kind === 'write-file' && [s.path, s.content]), [[`${mem}/cgroup.procs`, '{box}'], [`${cpu}/cgroup.procs`, '{box}'], [`${pids}/cgroup.procs`, '{box}']]);
  assert.equal(plan.box, { dirs: [mem, cpu, pids], version: 1, driver: 'cgroupfs', memoryDir: mem, pidsDir: pids, memoryBytes: 104857600, pidsLimit: 20 });
  for (const step of plan.setup) assert.ok(step.why.length > 0, 'every step says why');
});

test('v1: an existing parent is not made again; no swap limit when no swap is on', () => {
  const root = tree('v1');
  mkdirSync(join(root, 'memory', 'nsbox'));
  mkdirSync(join(root, 'pids', 'nsbox'));
  const plan = planCgroup({ ...NONE, memoryBytes: 8388608 }, ID, detectCgroupHost(root, { selfCgroup: '', swaps: '' }), 'cgroupfs');
  assert.equal(plan.setup.map((s) => s.kind), ['mkdir', 'mkdir', 'write-file']);
  assert.equal(plan.box.dirs, [`${root}/memory/nsbox/${BOX}`, `${root}/pids/nsbox/${BOX}`]);
});

test('v1 cpuset: a new parent inherits cpus and mems before the box gets its own', () => {
  const root = tree('v1');
  const plan = planCgroup({ ...NONE, cpusetCpus: '1-2', parent: 'a/b' }, ID, detectCgroupHost(root, { selfCgroup: '', swaps: '' }), 'cgroupfs');
  const writes = plan.setup.filter((s) => s.kind === 'write-file').map((s) => s.kind === 'write-file' && [s.path.slice(root.length), s.content]);
  assert.equal(writes, [
    ['/cpuset/a/cpuset.cpus', '0-3'], ['/cpuset/a/cpuset.mems', '0'],
    ['/cpuset/a/b/cpuset.cpus', '0-3'], ['/cpuset/a/b/cpuset.mems', '0'],
    [`/cpuset/a/b/${BOX}/cpuset.cpus`, '1-2'], [`/cpuset/a/b/${BOX}/cpuset.mems`, '0'],
  ]);
  failsWith(() => planCgroup({ ...NONE, cpusetCpus: '4' }, ID, detectCgroupHost(root, { selfCgroup: '', swaps: '' }), 'cgroupfs'), /CPU 4 is not in the parent/);
});

test('hybrid, cgroup-tools: "./" parents resolve per hierarchy below nsbox\'s own cgroup', () => {
  const root = tree('hybrid');
  const self = '8:pids:/\n4:memory:/process_api/abc\n1:cpu:/\n2:cpuacct:/\n0::/\n';
  const host = detectCgroupHost(root, { selfCgroup: self, swaps: '' });
  const request: CgroupRequest = { ...NONE, memoryBytes: 104857600, pidsLimit: 20, parent: 't', parentBase: 'self' };
  const plan = planCgroup(request, ID, host, 'cgroup-tools');
  assert.equal(plan.setup.map((s) => (s.kind === 'exec' ? [...s.argv, undosOf(s).map((u) => u.kind).join(',') || '-'] : [s.kind])), [
    ['cgcreate', '-g', 'memory:/process_api/abc/t', '-g', 'pids:/t', '-'],
    // one cgcreate for both hierarchies, with an undo for each cgroup
    ['cgcreate', '-g', `memory:/process_api/abc/t/${BOX}`, '-g', `pids:/t/${BOX}`, 'remove-cgroup,remove-cgroup'],
    ['cgset', '-r', 'memory.limit_in_bytes=104857600', `/process_api/abc/t/${BOX}`, '-'],
    ['cgset', '-r', 'pids.max=20', `/t/${BOX}`, '-'],
  ]);
  // no cgexec: the waiting box joins by a write to each cgroup.procs (one process fewer)
  assert.equal(plan.launchPrefix, []);
  assert.equal(plan.join.map((s) => (s.kind === 'write-file' ? [s.path.slice(root.length), s.content] : [s.kind])), [
    [`/memory/process_api/abc/t/${BOX}/cgroup.procs`, '{box}'],
    [`/pids/t/${BOX}/cgroup.procs`, '{box}'],
  ]);
  assert.equal(plan.box.dirs, [`${root}/memory/process_api/abc/t/${BOX}`, `${root}/pids/t/${BOX}`]);
  assert.equal(plan.setup.flatMap(undosOf).map((u) => (u.kind === 'remove-cgroup' ? u.path : u.kind)), plan.box.dirs);
  assert.is(plan.box.driver, 'cgroup-tools');
});

test('hybrid: --cpus adds the cpuacct hierarchy for accounting; cgset keeps period before quota', () => {
  const root = tree('hybrid');
  const plan = planCgroup({ ...NONE, cpuQuotaUs: 50000, cpuPeriodUs: 100000 }, ID, detectCgroupHost(root, { selfCgroup: '', swaps: '' }), 'cgroup-tools');
  const argvs = plan.setup.map((s) => (s.kind === 'exec' ? s.argv.join(' ') : s.kind));
  assert.ok(argvs.includes(`cgset -r cpu.cfs_period_us=100000 -r cpu.cfs_quota_us=50000 /nsbox/${BOX}`), argvs.join('\n'));
  assert.equal(plan.box.dirs, [`${root}/cpu/nsbox/${BOX}`, `${root}/pids/nsbox/${BOX}`, `${root}/cpuacct/nsbox/${BOX}`]);
});

test('v2, cgroupfs: controllers enabled top-down, v2 file names, weight from shares', () => {
  const root = tree('v2');
  const host = detectCgroupHost(root, { selfCgroup: '0::/\n', swaps: 'h\n/swap file 1 0 -2\n' });
  const request: CgroupRequest = {
    ...NONE, memoryBytes: 104857600, memorySwapBytes: 209715200, cpuQuotaUs: 50000, cpuPeriodUs: 100000, cpuShares: 1024,
    cpusetCpus: '0', pidsLimit: 20, parent: 'nsbox',
  };
  const plan = planCgroup(request, ID, host, 'cgroupfs');
  const box = `${root}/nsbox/${BOX}`;
  assert.equal(plan.setup.map((s) => (s.kind === 'write-file' ? [s.path.slice(root.length), s.content] : s.kind === 'exec' ? s.argv : s.kind === 'mkdir' ? [s.kind, s.path] : [s.kind])), [
    ['mkdir', '-p', `${root}/nsbox`],
    ['/cgroup.subtree_control', '+cpu +cpuset +pids'],
    ['/nsbox/cgroup.subtree_control', '+memory +cpu +cpuset +pids'],
    ['mkdir', box],
    [`/nsbox/${BOX}/memory.max`, '104857600'],
    [`/nsbox/${BOX}/memory.swap.max`, '104857600'],
    [`/nsbox/${BOX}/cpu.max`, '50000 100000'],
    [`/nsbox/${BOX}/cpu.weight`, '39'],
    [`/nsbox/${BOX}/cpuset.cpus`, '0'],
    [`/nsbox/${BOX}/pids.max`, '20'],
  ]);
  assert.equal(plan.launchPrefix, []);
  assert.equal(plan.join.map((s) => s.kind === 'write-file' && [s.path, s.content]), [[`${box}/cgroup.procs`, '{box}']]);
  assert.equal(plan.box.dirs, [box]);
  assert.is(plan.box.version, 2);
});

test('v2, cgroup-tools: one cgcreate and one cgset; subtree_control stays a file write', () => {
  const root = tree('v2');
  writeFileSync(join(root, 'cgroup.subtree_control'), 'memory pids\n');
  mkdirSync(join(root, 'nsbox'));
  writeFileSync(join(root, 'nsbox', 'cgroup.subtree_control'), 'pids\n');
  writeFileSync(join(root, 'nsbox', 'cgroup.procs'), '');
  const plan = planCgroup({ ...NONE, memoryBytes: 8388608, pidsLimit: 5 }, ID, detectCgroupHost(root, { selfCgroup: '0::/\n', swaps: '' }), 'cgroup-tools');
  assert.equal(plan.setup.map((s) => (s.kind === 'exec' ? s.argv : s.kind === 'write-file' ? [s.path.slice(root.length), s.content] : [s.kind])), [
    ['/nsbox/cgroup.subtree_control', '+memory'],
    ['cgcreate', '-g', `memory,pids:/nsbox/${BOX}`],
    ['cgset', '-r', 'memory.max=8388608', '-r', 'pids.max=5', `/nsbox/${BOX}`],
  ]);
  assert.equal(plan.launchPrefix, []);
  assert.equal(plan.join.map((s) => (s.kind === 'write-file' ? [s.path.slice(root.length), s.content] : [s.kind])), [[`/nsbox/${BOX}/cgroup.procs`, '{box}']]);
});

test('joining: on v1 the box\'s gate shell moves itself (0 into each tasks file); on v2 and with a user namespace nsbox moves it', () => {
  const root = tree('hybrid');
  const self = '8:pids:/\n4:memory:/process_api/abc\n1:cpu:/\n2:cpuacct:/\n0::/\n';
  const v1 = planCgroup({ ...NONE, memoryBytes: 104857600, pidsLimit: 20, parent: 't', parentBase: 'self' }, ID, detectCgroupHost(root, { selfCgroup: self, swaps: '' }), 'cgroupfs');
  assert.equal(v1.selfJoin.map((f) => f.slice(root.length)), [`/memory/process_api/abc/t/${BOX}/tasks`, `/pids/t/${BOX}/tasks`]);
  const own = chooseJoin(v1, ['mount', 'uts', 'ipc', 'net', 'pid']);
  assert.equal(own.steps, []);
  assert.equal(own.selfJoin, v1.selfJoin);
  // a user namespace's root cannot open the host's cgroup files: nsbox writes the box's PID, as on v2
  const userns = chooseJoin(v1, ['user', 'mount', 'pid']);
  assert.equal(userns.selfJoin, []);
  assert.equal(userns.steps, v1.join);
  assert.is(userns.steps.length, 2);
  assert.equal(chooseJoin(undefined, ['pid']), { steps: [], selfJoin: [] });
  const lines = selfJoinLines(own.selfJoin);
  assert.ok(lines.some((l) => l.startsWith(`echo 0 2>&3 >${root}/pids/t/${BOX}/tasks || {`) && l.includes('>&3; exit 125; }')), lines.join('\n'));

  const v2root = tree('v2');
  writeFileSync(join(v2root, 'cgroup.subtree_control'), 'memory pids\n');
  const v2 = planCgroup({ ...NONE, memoryBytes: 8388608 }, ID, detectCgroupHost(v2root, { selfCgroup: '0::/\n', swaps: '' }), 'cgroupfs');
  assert.equal(v2.selfJoin, []);
  assert.equal(chooseJoin(v2, ['pid']).steps, v2.join);
  assert.is(v2.join.length, 1);
  assert.is(selfJoinFile('/sys/fs/cgroup/x', 2), '/sys/fs/cgroup/x/cgroup.procs');
});

test('fail closed at plan time: missing controller, v2 internal processes, no cgroupfs', () => {
  const v1 = tree('v1');
  rmSync(join(v1, 'pids'), { recursive: true });
  failsWith(() => planCgroup({ ...NONE, pidsLimit: 5 }, ID, detectCgroupHost(v1, { selfCgroup: '', swaps: '' }), 'cgroupfs'), /--pids-limit: the pids controller is not mounted/);
  // without pids mounted a memory-only box still works: tracking is optional
  assert.is(planCgroup({ ...NONE, memoryBytes: 8388608 }, ID, detectCgroupHost(v1, { selfCgroup: '', swaps: '' }), 'cgroupfs').box.pidsDir, undefined);
  const v2 = tree('v2');
  writeFileSync(join(v2, 'cgroup.controllers'), 'cpu memory\n');
  failsWith(() => planCgroup({ ...NONE, pidsLimit: 5 }, ID, detectCgroupHost(v2, { selfCgroup: '0::/\n', swaps: '' }), 'cgroupfs'), /the pids controller is not available on cgroup v2/);
  const v2b = tree('v2');
  failsWith(
    () => planCgroup({ ...NONE, memoryBytes: 8388608, parent: 'x', parentBase: 'self' }, ID, detectCgroupHost(v2b, { selfCgroup: '0::/user.slice\n', swaps: '' }), 'cgroupfs'),
    /cannot enable the memory, pids controller in .*user\.slice: it holds processes/,
  );
  failsWith(() => planCgroup({ ...NONE, memoryBytes: 8388608 }, ID, detectCgroupHost(join(tmp, 'nothing'), { selfCgroup: '', swaps: '' })), /no cgroup filesystem/);
  const v1s = tree('v1');
  rmSync(join(v1s, 'memory', 'memory.memsw.limit_in_bytes'));
  failsWith(() => planCgroup({ ...NONE, memoryBytes: 8388608, memorySwapBytes: 'unlimited' }, ID, detectCgroupHost(v1s, { selfCgroup: '', swaps: '' }), 'cgroupfs'), /--memory-swap: swap accounting is off/);
});

test('plan time: a box cgroup that exists already is refused (v1, v2); so is a frozen v2 ancestor, not a thawed one', () => {
  const v1 = tree('v1');
  const hostV1 = detectCgroupHost(v1, { selfCgroup: '', swaps: 'h\n' });
  mkdirSync(join(v1, 'pids', 'nsbox', BOX), { recursive: true });
  failsWith(() => planCgroup(NONE, ID, hostV1, 'cgroupfs'), new RegExp(`^cannot create the box's cgroup ${v1}/pids/nsbox/${BOX}: it exists already and nsbox did not create it for this box`));
  const v2 = tree('v2');
  const hostV2 = detectCgroupHost(v2, { selfCgroup: '0::/\n', swaps: 'h\n' });
  mkdirSync(join(v2, 'nsbox', 'inner'), { recursive: true });
  const request: CgroupRequest = { ...NONE, parent: 'nsbox/inner' };
  writeFileSync(join(v2, 'nsbox', 'cgroup.freeze'), '0\n');
  writeFileSync(join(v2, 'nsbox', 'inner', 'cgroup.freeze'), '0\n');
  assert.equal(planCgroup(request, ID, hostV2, 'cgroupfs').box.dirs, [`${v2}/nsbox/inner/${BOX}`]);
  writeFileSync(join(v2, 'nsbox', 'cgroup.freeze'), '1\n');
  failsWith(() => planCgroup(request, ID, hostV2, 'cgroup-tools'), new RegExp(`^cannot place the box under ${v2}/nsbox/inner: cgroup ${v2}/nsbox is frozen \\(cgroup.freeze is 1\\)`));
  mkdirSync(join(v2, 'nsbox', 'inner', BOX));
  writeFileSync(join(v2, 'nsbox', 'cgroup.freeze'), '0\n');
  failsWith(() => planCgroup(request, ID, hostV2, 'cgroupfs'), /it exists already/);
});

test('driver choice: env first, then the tools found', () => {
  assert.is(chooseCgroupDriver({}, () => '/usr/bin/x'), 'cgroup-tools');
  assert.is(chooseCgroupDriver({}, (n) => (n === 'cgset' ? undefined : '/usr/bin/x')), 'cgroupfs');
  // cgexec is not used (the box joins by a write): a host without it still gets the tools driver
  assert.is(chooseCgroupDriver({}, (n) => (n === 'cgexec' ? undefined : '/usr/bin/x')), 'cgroup-tools');
  assert.is(chooseCgroupDriver({ NSBOX_CGROUP_DRIVER: 'cgroupfs' }, () => '/usr/bin/x'), 'cgroupfs');
  assert.throws(() => chooseCgroupDriver({ NSBOX_CGROUP_DRIVER: 'systemd' }), /NSBOX_CGROUP_DRIVER/);
});

test('shares to weight like runc; removal renders as shell', () => {
  assert.equal([2, 1024, 262144].map(convertSharesToWeight), [1, 39, 10000]);
  const text = renderRemoveCgroup(`/sys/fs/cgroup/pids/nsbox/${BOX}`);
  assert.match(text, /cgroup\.kill/);
  assert.match(text, /kill -9/);
  assert.match(text, /-depth -type d -exec rmdir/);
});

test.run();
