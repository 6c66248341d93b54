// Unit: the box's view of its own cgroups at /sys/fs/cgroup (src/rootfs/cgroup-view.ts), from hand-made planned
// cgroups: v2 binds the box's directory, v1 one directory per hierarchy on a tmpfs with links for co-mounted names;
// read-only unless --privileged; the command's cgroup namespace comes from the toolbox's unshare.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cgroupNamespaceArgv, cgroupViewEarlyMounts, cgroupViewInitLines, cgroupViewLateMounts, planCgroupView } from '../../src/rootfs/cgroup-view.js';
import type { BoxCgroup } from '../../src/cgroup/plan-cgroup.js';

const base = { driver: 'cgroupfs' as const, memoryDir: undefined, pidsDir: undefined, memoryBytes: 67108864, pidsLimit: undefined };
const v1: BoxCgroup = { ...base, version: 1, dirs: ['/sys/fs/cgroup/memory/t/nsbox-0123456789ab', '/sys/fs/cgroup/cpu,cpuacct/t/nsbox-0123456789ab', '/sys/fs/cgroup/pids/t/nsbox-0123456789ab'] };
const v2: BoxCgroup = { ...base, version: 2, dirs: ['/sys/fs/cgroup/t/nsbox-0123456789ab'] };
const R = '/c/rootfs';

test('v2: the box\'s cgroup directory bound read-only at /sys/fs/cgroup; no tmpfs, no extra lines', () => {
  const view = planCgroupView(v2, false)!;
  assert.equal(view.binds, [{ source: '/sys/fs/cgroup/t/nsbox-0123456789ab', target: '/sys/fs/cgroup' }]);
  assert.equal(cgroupViewEarlyMounts(view, R), []);
  assert.equal(cgroupViewInitLines(view), []);
  assert.equal(cgroupViewLateMounts(view, R).length, 1, 'the bind only: no seal');
  const [bind] = cgroupViewLateMounts(view, R);
  assert.equal([bind!.source, bind!.target, bind!.type, bind!.options], ['/sys/fs/cgroup/t/nsbox-0123456789ab', `${R}/sys/fs/cgroup`, 'none', 'bind,ro,nosuid,nodev,noexec']);
});

test('v1: a tmpfs, a directory per hierarchy, links for co-mounted controllers, read-only binds, then the tmpfs sealed', () => {
  const view = planCgroupView(v1, false)!;
  assert.equal(view.dirs, ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/pids']);
  assert.equal(view.links, [['cpu', 'cpu,cpuacct'], ['cpuacct', 'cpu,cpuacct']]);
  const [tmpfs] = cgroupViewEarlyMounts(view, R);
  assert.equal([tmpfs!.source, tmpfs!.target, tmpfs!.type], ['tmpfs', `${R}/sys/fs/cgroup`, 'tmpfs']);
  assert.equal(cgroupViewInitLines(view), [
    'step mkdir "$R/sys/fs/cgroup/memory" "$R/sys/fs/cgroup/cpu,cpuacct" "$R/sys/fs/cgroup/pids"',
    'step ln -s cpu,cpuacct "$R/sys/fs/cgroup/cpu"',
    'step ln -s cpu,cpuacct "$R/sys/fs/cgroup/cpuacct"',
  ]);
  assert.equal(cgroupViewLateMounts(view, R).map((e) => `${e.source} ${e.target} ${e.options}`), [
    `/sys/fs/cgroup/memory/t/nsbox-0123456789ab ${R}/sys/fs/cgroup/memory bind,ro,nosuid,nodev,noexec`,
    `/sys/fs/cgroup/cpu,cpuacct/t/nsbox-0123456789ab ${R}/sys/fs/cgroup/cpu,cpuacct bind,ro,nosuid,nodev,noexec`,
    `/sys/fs/cgroup/pids/t/nsbox-0123456789ab ${R}/sys/fs/cgroup/pids bind,ro,nosuid,nodev,noexec`,
    `none ${R}/sys/fs/cgroup remount,bind,ro,nosuid,nodev,noexec`,
  ]);
});

test('--privileged: writable binds and no seal, as Docker mounts them then', () => {
  const view = planCgroupView(v1, true)!;
  assert.ok(cgroupViewLateMounts(view, R).every((e) => e.options === 'bind,nosuid,nodev,noexec'), 'writable binds, no remount');
});

test('no cgroup of its own: no view, no cgroup namespace step; with one: unshare --cgroup before the rest', () => {
  assert.is(planCgroupView(undefined, false), undefined);
  assert.equal(cgroupViewLateMounts(undefined, R), []);
  assert.equal(cgroupNamespaceArgv(undefined, ['/dev/.nsbox/unshare']), []);
  assert.equal(cgroupNamespaceArgv(planCgroupView(v2, false), ['/dev/.nsbox/ld.so', '--library-path', '/dev/.nsbox', '/dev/.nsbox/unshare']), ['/dev/.nsbox/ld.so', '--library-path', '/dev/.nsbox', '/dev/.nsbox/unshare', '--cgroup', '--']);
  assert.throws(() => planCgroupView({ ...v1, dirs: ['/elsewhere/memory/x'] }, false), /not below \/sys\/fs\/cgroup/);
});

test.run();
