// Unit: fstab text for `mount --all`: a bind with flags gets them again from a remount line (libmount skips an
// entry whose source already shows at its target); config.json mounts inside /proc are refused as runc does.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bindFlagsRemount, renderFstab } from '../../src/rootfs/fstab.js';
import { procMountRefusal } from '../../src/runtime/proc-mounts.js';

const entry = (options: string, type = 'none') => ({ source: '/src', target: '/root/data', type, options, why: 'why' });

test('a bind with flags is followed by a remount with the same flags; a bind without flags and a non-bind are not', () => {
  assert.is(bindFlagsRemount(entry('bind,ro,nosuid,X-mount.mkdir')), 'remount,bind,ro,nosuid');
  assert.is(bindFlagsRemount(entry('rbind,ro')), 'remount,bind,ro');
  assert.is(bindFlagsRemount(entry('bind,nosuid,noexec')), 'remount,bind,nosuid,noexec');
  assert.is(bindFlagsRemount(entry('bind,X-mount.mkdir')), undefined);
  assert.is(bindFlagsRemount(entry('ro,nosuid,mode=755', 'tmpfs')), undefined);
  const text = renderFstab('t', [entry('bind,ro'), entry('rbind')]);
  assert.equal(text.split('\n').filter((l) => l !== '' && !l.startsWith('#')), [
    '/src /root/data none bind,ro 0 0',
    'none /root/data none remount,bind,ro 0 0',
    '/src /root/data none rbind 0 0',
  ]);
});

test('mounts in /proc: only proc at /proc, and binds over the files lxcfs emulates', () => {
  assert.is(procMountRefusal({ type: 'proc', bind: 'none' }, '/proc'), undefined);
  assert.match(procMountRefusal({ type: 'bind', bind: 'rbind' }, '/proc') ?? '', /only a mount of type proc/);
  assert.match(procMountRefusal({ type: 'tmpfs', bind: 'none' }, '/proc') ?? '', /only a mount of type proc/);
  assert.is(procMountRefusal({ type: 'bind', bind: 'bind' }, '/proc/meminfo'), undefined);
  assert.is(procMountRefusal({ type: 'bind', bind: 'bind' }, '/proc/sys/kernel/ns_last_pid'), undefined);
  assert.match(procMountRefusal({ type: 'bind', bind: 'bind' }, '/proc/sys') ?? '', /inside \/proc/);
  assert.match(procMountRefusal({ type: 'tmpfs', bind: 'none' }, '/proc/meminfo') ?? '', /inside \/proc/);
  assert.match(procMountRefusal({ type: 'bind', bind: 'bind' }, '/proc/self/attr') ?? '', /inside \/proc/);
  assert.is(procMountRefusal({ type: 'bind', bind: 'bind' }, '/procfoo'), undefined);
  assert.is(procMountRefusal({ type: 'tmpfs', bind: 'none' }, '/tmp'), undefined);
});

test.run();
