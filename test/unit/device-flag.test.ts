// Unit: --device HOST[:BOX[:PERMS]] (spec/device-flag.ts) against this host's /dev/null, /dev/zero (character
// devices every Linux has), and how it reaches the description: a devices-cgroup rule where PERMS takes something away.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deviceRule, parseDevice } from '../../src/spec/device-flag.js';
import { buildImageBoxDescription } from '../../src/spec/image-box-description.js';

const source = { kind: 'image', ref: { name: 'busybox', tag: 'latest' } } as const;
const describe = (device: string[], devicesCgroup: boolean, more: Record<string, unknown> = {}) =>
  buildImageBoxDescription({ device, ...more }, { source, storeRoot: '/var/lib/nsbox', config: { Cmd: ['sh'] }, command: [], interactive: false, hostEnv: {}, devicesCgroup });

test('HOST, HOST:BOX, HOST:BOX:PERMS and Docker\'s HOST:PERMS; the node\'s type and numbers from the host', () => {
  assert.equal(parseDevice('/dev/zero:/dev/myzero'), { host: '/dev/zero', target: ['myzero'], perms: 'rwm', kind: 'c', major: 1, minor: 5 });
  assert.equal(parseDevice('/dev/zero:/dev/a/b:r').target, ['a', 'b']);
  assert.equal(parseDevice('/dev/zero:/dev/z:rw').perms, 'rw');
  // HOST:PERMS: the box path is HOST's (here one nsbox keeps for its own).
  assert.throws(() => parseDevice('/dev/zero:rw'), /"\/dev\/zero:rw": \/dev\/zero is the box's own/);
  assert.is(deviceRule(parseDevice('/dev/zero:/dev/z:r')), 'c 1:5 r');
});

test('bad values: one line each, naming the flag', () => {
  const bad: [string, RegExp][] = [
    ['/dev/zero:/dev/z:rwx', /permissions "rwx"/],
    ['/dev/zero:/dev/z:rr', /each once/],
    ['dev/zero', /must be absolute/],
    ['/dev/no-such-device', /no such device on the host/],
    ['/etc/hostname:/dev/h', /not a device node/],
    ['/dev/zero:/etc/z', /below \/dev/],
    ['/dev/zero:/dev/../etc/z', /below \/dev/],
    ['/dev/zero:/dev/null', /the box's own/],
    ['/dev/zero:/dev/.nsbox/x', /the box's own/],
    ['/dev/zero:/dev/z:rw:x', /HOST\[:BOX\[:PERMS\]\]/],
  ];
  for (const [value, reason] of bad) assert.throws(() => parseDevice(value), (e: Error) => reason.test(e.message) && e.message.startsWith('invalid --device'), value);
});

test('description: the devices; PERMS that take read or write away give a devices cgroup (v1) or are refused (none there)', () => {
  const full = describe(['/dev/zero:/dev/myzero'], false);
  assert.equal(full.devices?.map((d) => d.target), [['myzero']]);
  assert.is(full.box.cgroup?.devicesAllow, undefined, 'rwm: no cgroup needed');
  const limited = describe(['/dev/zero:/dev/myzero:r'], true);
  assert.equal(limited.box.cgroup?.devicesDeny, ['a']);
  assert.is(limited.box.cgroup?.devicesAllow?.at(-1), 'c 1:5 r', 'the device\'s rule comes last');
  assert.throws(() => describe(['/dev/zero:/dev/myzero:r'], false), /need a cgroup v1 devices hierarchy/);
  assert.is(describe(['/dev/zero:/dev/myzero'], true, { 'cap-add': ['MKNOD'] }).box.cgroup?.devicesAllow?.at(-1), 'c 1:5 rwm', 'the MKNOD allow-list gets the device too');
  assert.throws(() => describe(['/dev/zero:/dev/z', '/dev/null:/dev/z'], false), /given twice/);
  assert.throws(() => describe(['/dev/zero:/dev/z', '/dev/null:/dev/z/y'], false), /another device below it/);
});

test.run();
