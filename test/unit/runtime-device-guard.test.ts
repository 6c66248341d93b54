// Unit: the device guard's decisions (src/runtime/device-guard.ts): when the rules restrict devices, which nodes may
// open, which mounts get nodev, and the flags the root's remount must repeat.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deviceAllowed, deviceBindEntries, devicesRestricted, guardedFlags, rootMountFlags } from '../../src/runtime/device-guard.js';
import { RUNC_DEFAULT_DEVICE_RULES } from '../../src/oci/parse-resources.js';
import type { OciDeviceRule, OciMount } from '../../src/oci/container.js';

const rules = (...given: [boolean, string][]): OciDeviceRule[] => [
  ...given.map(([allow, rule]) => ({ allow, rule, origin: 'config' as const })),
  ...RUNC_DEFAULT_DEVICE_RULES.map((rule) => ({ allow: true, rule, origin: 'default' as const })),
];
const podman = rules([false, 'a *:* rwm']);
const mount = (m: Partial<OciMount>): OciMount => ({ destination: '/x', type: 'tmpfs', source: 'tmpfs', bind: 'none', flags: [], data: '', propagation: undefined, tmpcopyup: false, ...m } as OciMount);

test('restricted when a rule denies and none opens every device again', () => {
  assert.ok(devicesRestricted(podman));
  assert.not.ok(devicesRestricted(rules()), 'no deny: nothing is restricted (as on v1, where nothing is written)');
  assert.not.ok(devicesRestricted(rules([false, 'a *:* rwm'], [true, 'a *:* rwm'])), '--privileged: everything allowed again');
});

test('allowed: the last rule that speaks of a device with r or w wins; mknod-only rules open nothing', () => {
  assert.ok(deviceAllowed(podman, 'c', 1, 3), '/dev/null');
  assert.ok(deviceAllowed(podman, 'c', 136, 7), 'a pty');
  assert.not.ok(deviceAllowed(podman, 'b', 7, 0), 'a loop device: "b *:* m" lets mknod make it, not open it');
  assert.not.ok(deviceAllowed(podman, 'c', 10, 229), 'fuse is not in the defaults');
  assert.ok(deviceAllowed(rules([false, 'a *:* rwm'], [true, 'c 10:229 rwm']), 'c', 10, 229));
  assert.ok(deviceAllowed(rules([false, 'a *:* rwm'], [true, 'b 7:* rw']), 'b', 7, 3));
});

test('flags: nodev on every mount that could hold a node ("dev" dropped), left alone on proc, sysfs, devpts, mqueue, cgroup; a bind of an allowed device node keeps its own', () => {
  assert.equal(guardedFlags(mount({ flags: ['nosuid', 'dev'] }), podman, {}), ['nosuid', 'nodev']);
  assert.equal(guardedFlags(mount({ type: 'bind', source: '/vol', bind: 'rbind', flags: [] }), podman, {}), ['nodev']);
  for (const type of ['proc', 'sysfs', 'devpts', 'mqueue', 'cgroup']) assert.equal(guardedFlags(mount({ type, flags: ['nosuid'] }), podman, {}), ['nosuid'], type);
  assert.equal(guardedFlags(mount({ type: 'bind', bind: 'bind', flags: [] }), podman, { device: { type: 'c', major: 1, minor: 3 } }), []);
  assert.equal(guardedFlags(mount({ type: 'bind', bind: 'bind', flags: [] }), podman, { device: { type: 'b', major: 8, minor: 0 } }), ['nodev'], 'a disk bound in without an allow rule stays closed, as under runc on v2');
});

test('device binds: only the allowed nodes, at their resolved place; the root\'s ro, nosuid, noexec are kept for its remount', () => {
  const devices = [
    { path: '/dev/null', type: 'c' as const, major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0, origin: 'default' as const },
    { path: '/dev/sda', type: 'b' as const, major: 8, minor: 0, fileMode: 0o666, uid: 0, gid: 0, origin: 'config' as const },
    { path: '/dev/fifo', type: 'p' as const, major: 0, minor: 0, fileMode: 0o666, uid: 0, gid: 0, origin: 'config' as const },
  ];
  const entries = deviceBindEntries('/R', devices, podman, (p) => p.replace('/dev', '/elsewhere'));
  assert.equal(entries.map((e) => `${e.source} ${e.target} ${e.options}`), ['/R/elsewhere/null /R/elsewhere/null bind,nosuid,noexec']);
  const mountinfo = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
    '90 22 0:50 / /var/lib/c rw,nosuid,noexec,relatime - tmpfs tmpfs rw',
    '91 90 0:51 / /var/lib/c/ro\\040dir ro,nosuid,relatime - overlay overlay rw',
  ].join('\n');
  assert.equal(rootMountFlags('/nonexistent/var/lib/c/x', mountinfo), []);
  assert.equal(rootMountFlags('/var/lib/c/rootfs', mountinfo), ['nosuid', 'noexec']);
  assert.equal(rootMountFlags('/var/lib/c/ro dir', mountinfo), ['ro', 'nosuid']);
});

test.run();
