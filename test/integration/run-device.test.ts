// Integration (root): `run --device HOST[:BOX[:PERMS]]`, as Docker's. The host's node shows in the box's /dev (nested
// paths too) and works there, the box cannot change the host's node (its mode stays), a restart keeps it, PERMS that
// take write away are enforced by the box's devices cgroup (v1; read from the host side), and bad values are one
// line, exit 125, nothing made.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks, removeFileBoxes } from '../helpers/leaks.js';
import { gatedTest, skipPart } from '../helpers/suite.js';
import { detectCgroupHost, findHierarchy } from '../../src/cgroup/detect.js';
import { canUseDevicesCgroup } from '../../src/rootfs/block-devices.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-device-'));
const store = join(base, 'store');
const state = join(base, 'state');
const PARENT = `rdv-${process.pid}`;
const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none', NSBOX_CGROUP_PARENT: `./${PARENT}` };
const OWN = { stateDirs: [state], cgroupParents: [`./${PARENT}`] };
const run = (args: string[]): Result => nsbox(args, { env, timeoutMs: 60_000 });
const ok = (r: Result, what: string): string => {
  assert.is(r.code, 0, `${what}: ${r.stderr}`);
  return r.stdout;
};
/** A character device every host has that nsbox does not give a box by default: /dev/net/tun, else /dev/fuse. */
const extra = ['/dev/net/tun', '/dev/fuse'].find((p) => existsSync(p) && statSync(p).isCharacterDevice());

test.before(() => {
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import');
});

test.after(() => removeFileBoxes(run, PARENT, base));

test('the host\'s node in the box\'s /dev, at its own path or another (nested), usable, not changeable; kept by a restart', async () => {
  const before = snapshot(OWN);
  // chmod to the mode the node has: refused on the read-only bind (EROFS), and harmless to the host were it not.
  const zero = run(['run', '--rm', '--device', '/dev/zero:/dev/my/zero', 'busybox', 'sh', '-c', 'ls -l /dev/my/zero; head -c 4 /dev/my/zero | od -An -tx1; chmod 666 /dev/my/zero 2>&1; echo chmod=$?']);
  assert.is(zero.code, 0, zero.stderr);
  assert.match(zero.stdout, /^crw-rw-rw- .* 1, +5 .*\/dev\/my\/zero\n 00 00 00 00\n.*Read-only file system\nchmod=1\n$/, zero.stdout);
  assert.is((statSync('/dev/zero').mode & 0o777).toString(8), '666', 'the host\'s /dev/zero keeps its mode');
  const none = run(['run', '--rm', 'busybox', 'ls', '/dev/my/zero']);
  assert.is.not(none.code, 0, 'without --device: not there');
  if (extra) {
    ok(run(['run', '-d', '--name', 'dev', '--device', extra, 'busybox', 'sleep', '1000']), 'run -d');
    const rdev = statSync(extra).rdev;
    const seen = () => ok(run(['exec', 'dev', 'stat', '-c', '%t:%T', extra]), 'stat').trim();
    const want = `${(rdev >> 8).toString(16)}:${(rdev & 0xff).toString(16)}`;
    assert.is(seen(), want);
    ok(run(['restart', '-t', '0', 'dev']), 'restart');
    assert.is(seen(), want, 'kept by a restart');
    ok(run(['rm', '-f', 'dev']), 'rm');
  } else skipPart('a second device', 'no /dev/net/tun or /dev/fuse here');
  await assertNoLeaks(before, '--device');
});

test('PERMS: r only is enforced by the devices cgroup on v1 (write refused, the rule visible from the host), refused without one', async () => {
  if (!extra) return skipPart('PERMS', 'no /dev/net/tun or /dev/fuse here');
  const before = snapshot(OWN);
  const rdev = statSync(extra).rdev;
  const rule = `c ${rdev >> 8}:${rdev & 0xff} r`;
  if (canUseDevicesCgroup(detectCgroupHost())) {
    const id = ok(run(['run', '-d', '--device', `${extra}:/dev/dv:r`, 'busybox', 'sleep', '1000']), 'run -d').trim();
    const pid = ok(run(['inspect', '-f', '{{.State.Pid}}', id]), 'pid').trim();
    const dir = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes('devices'))!.split(':')[2]!;
    assert.match(dir, new RegExp(`/nsbox-${id.slice(0, 12)}$`));
    const list = readFileSync(join(findHierarchy(detectCgroupHost(), 'devices')!.mount, dir, 'devices.list'), 'utf8');
    assert.ok(list.split('\n').includes(rule), list);
    const read = run(['exec', id, 'sh', '-c', 'exec 3</dev/dv && echo read']);
    assert.equal([read.code, read.stdout], [0, 'read\n']);
    const write = run(['exec', id, 'sh', '-c', 'exec 3>/dev/dv']);
    assert.is.not(write.code, 0, 'write refused');
    assert.match(write.stderr, /Operation not permitted/);
    const full = run(['run', '--rm', '--device', `${extra}:/dev/dv`, 'busybox', 'sh', '-c', 'exec 3>/dev/dv && echo write']);
    assert.equal([full.code, full.stdout], [0, 'write\n'], 'rwm: written');
    ok(run(['rm', '-f', id]), 'rm');
  } else {
    const r = run(['run', '--rm', '--device', `${extra}:/dev/dv:r`, 'busybox', 'true']);
    assert.is(r.code, 125);
    assert.match(r.stderr, /need a cgroup v1 devices hierarchy/);
  }
  await assertNoLeaks(before, '--device PERMS');
});

test('bad values: one line, exit 125, no box, nothing in the store', async () => {
  const before = snapshot(OWN);
  for (const value of ['/dev/no-such', '/etc/hostname', '/dev/zero:/dev/null', '/dev/zero:/etc/zero', '/dev/zero:/dev/z:x', 'zero']) {
    const r = run(['run', '--rm', '--device', value, 'busybox', 'true']);
    assert.is(r.code, 125, `${value}: ${r.stderr}`);
    assert.match(r.stderr, /^nsbox: invalid --device "[^\n]*\n$/, r.stderr);
  }
  assert.equal(JSON.parse(run(['ps', '-a', '--json']).stdout), []);
  assert.equal(existsSync(join(store, 'containers')) ? readdirSync(join(store, 'containers')) : [], []);
  await assertNoLeaks(before, 'bad --device');
});

test.run();
