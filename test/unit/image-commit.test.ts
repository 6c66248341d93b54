// Unit: commit's upper-dir -> layer conversion as data (whiteouts, opaque dirs, hardlinks, the runtime's mount
// points, devices), getfattr's output, the tar it packs (read back with tar-stream), container lookup by id/prefix/
// name in a temp store, the "is it running" check on a fake /proc, and export's mount options. No root, no processes.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, linkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tarStream from 'tar-stream';
import { convertUpperEntries, whiteoutName, type InitMark, type UpperEntry } from '../../src/image/commit-entries.js';
import { parseGetfattr, unescapeOctal } from '../../src/image/commit-walk.js';
import { packLayer } from '../../src/image/commit-pack.js';
import { findContainer, findUpperUsers } from '../../src/image/commit-container.js';
import { buildExportArgv } from '../../src/image/export-container.js';
import { describeStore } from '../../src/image/store.js';
import { chooseBlockDeviceGuard } from '../../src/rootfs/block-devices.js';

const base = mkdtempSync(join(tmpdir(), 'nsbox-unit-commit-'));
test.after(() => rmSync(base, { recursive: true, force: true }));

const T = new Date(1_700_000_000_000);
const entry = (path: string, kind: UpperEntry['kind'], more: Partial<UpperEntry> = {}): UpperEntry => ({
  path, kind, mode: kind === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: T, size: 0, rdevMajor: 0, rdevMinor: 0, ino: 1, nlink: 1, opaque: false, ...more,
});
const names = (members: readonly { name: string; type: string }[]): string[] => members.map((m) => `${m.type} ${m.name}`);

test('whiteouts: char 0/0 -> .wh.NAME; opaque dir -> dir + .wh..wh..opq; other devices and sockets dropped', () => {
  const { members, dropped } = convertUpperEntries([
    entry('bin', 'directory'),
    entry('bin/ls', 'char-device'),
    entry('usr', 'directory', { opaque: true }),
    entry('usr/z', 'file', { size: 3 }),
    entry('dev-null', 'char-device', { rdevMajor: 1, rdevMinor: 3 }),
    entry('sda', 'block-device', { rdevMajor: 8 }),
    entry('sock', 'socket'),
    entry('pipe', 'fifo'),
    entry('link', 'symlink', { linkTarget: '/etc/passwd' }),
  ]);
  assert.equal(names(members), [
    'directory bin/', 'file bin/.wh.ls', 'directory usr/', 'file usr/.wh..wh..opq', 'file usr/z', 'fifo pipe', 'symlink link',
  ]);
  assert.is(members.find((m) => m.name === 'usr/z')!.source, 'usr/z');
  assert.is(members.find((m) => m.name === 'usr/z')!.size, 3);
  assert.is(members.find((m) => m.name === 'bin/.wh.ls')!.size, 0);
  assert.is(members.find((m) => m.name === 'link')!.linkname, '/etc/passwd');
  assert.equal(dropped, ['/dev-null (device node)', '/sda (device node)', '/sock (socket)']);
  assert.is(whiteoutName('a/b/c'), 'a/b/.wh.c');
  assert.is(whiteoutName('top'), '.wh.top');
});

test('hardlinks: the second path of an inode becomes a tar link to the first', () => {
  const { members } = convertUpperEntries([entry('a', 'file', { ino: 7, nlink: 2, size: 5 }), entry('b', 'file', { ino: 7, nlink: 2, size: 5 }), entry('c', 'file', { ino: 7, nlink: 1, size: 5 })]);
  assert.equal(names(members), ['file a', 'link b', 'file c']);
  assert.is(members[1]!.linkname, 'a');
});

test('init-layer mount points: a no-op copy is dropped, a real change is kept', () => {
  const init = new Map<string, InitMark>([
    ['etc', { kind: 'directory', mode: 0o755, uid: 0, gid: 0 }],
    ['etc/hostname', { kind: 'file', mode: 0o644, uid: 0, gid: 0 }],
    ['data', { kind: 'directory', mode: 0o755, uid: 0, gid: 0 }],
  ]);
  const noop = convertUpperEntries([entry('etc', 'directory'), entry('etc/hostname', 'file'), entry('data', 'directory')], init);
  assert.equal(names(noop.members), ['directory etc/'], 'etc has a child in the upper dir: kept');
  assert.equal(noop.mountPoints, ['/etc/hostname', '/data']);
  const real = convertUpperEntries([entry('etc', 'directory', { mode: 0o700 }), entry('etc/hostname', 'file', { size: 4 }), entry('data', 'directory', { opaque: true })], init);
  assert.equal(names(real.members), ['directory etc/', 'file etc/hostname', 'directory data/', 'file data/.wh..wh..opq']);
  assert.equal(real.mountPoints, []);
});

test('getfattr output: paths relative to the root, octal escapes decoded, values unquoted', () => {
  const text = [
    '# file: /s/c/upper', 'trusted.overlay.impure="y"', '',
    '# file: /s/c/upper/usr', 'trusted.overlay.opaque="y"', '',
    '# file: /s/c/upper/a b/n\\012l', 'trusted.overlay.opaque="y"', '',
    '# file: /s/c/upper/q\\134x', 'trusted.overlay.redirect="/x"', '',
    '# file: /elsewhere', 'trusted.overlay.opaque="y"', '',
  ].join('\n');
  const parsed = parseGetfattr(text, '/s/c/upper');
  assert.equal([...parsed.keys()], ['', 'usr', 'a b/n\nl', 'q\\x']);
  assert.is(parsed.get('usr')!.get('trusted.overlay.opaque'), 'y');
  assert.is(parsed.get('q\\x')!.get('trusted.overlay.redirect'), '/x');
  assert.is(unescapeOctal('caf\\303\\251'), 'café');
  assert.is(unescapeOctal('plain'), 'plain');
});

test('packLayer: members and file bytes as a tar (modes 0000 kept), read back with tar-stream', async () => {
  const dir = join(base, 'upper');
  mkdirSync(join(dir, 'd'), { recursive: true });
  writeFileSync(join(dir, 'd/f'), 'content');
  writeFileSync(join(dir, 'secret'), '');
  linkSync(join(dir, 'd/f'), join(dir, 'd/g'));
  symlinkSync('/nowhere', join(dir, 'l'));
  const { members } = convertUpperEntries([
    entry('d', 'directory', { opaque: true }),
    entry('d/f', 'file', { size: 7, ino: 9, nlink: 2 }),
    entry('d/g', 'file', { size: 7, ino: 9, nlink: 2 }),
    entry('gone', 'char-device'),
    entry('l', 'symlink', { linkTarget: '/nowhere' }),
    entry('secret', 'file', { mode: 0, uid: 1000, gid: 1000 }),
  ]);
  const extract = tarStream.extract();
  packLayer(dir, members).pipe(extract as unknown as NodeJS.WritableStream);
  const seen: string[] = [];
  for await (const e of extract) {
    const h = e.header;
    let body = '';
    for await (const chunk of e) body += (chunk as Buffer).toString();
    seen.push(`${h.type} ${h.name} ${(h.mode ?? 0).toString(8)} ${h.uid}:${h.gid}${h.linkname ? ` -> ${h.linkname}` : ''}${body ? ` "${body}"` : ''}`);
  }
  assert.equal(seen, [
    'directory d/ 755 0:0',
    'file d/.wh..wh..opq 600 0:0',
    'file d/f 644 0:0 "content"',
    'link d/g 644 0:0 -> d/f',
    'file .wh.gone 600 0:0',
    'symlink l 644 0:0 -> /nowhere',
    'file secret 0 1000:1000',
  ]);
});

test('findContainer: full id, unique prefix, box name; ambiguous and unknown refused', () => {
  const store = describeStore(join(base, 'store'));
  const ids = ['ab'.repeat(32), 'ac'.repeat(32)];
  for (const id of ids) {
    mkdirSync(join(store.containers, id), { recursive: true });
    writeFileSync(join(store.containers, id, 'config.json'), JSON.stringify({ schemaVersion: 1, id, layers: [], lowerDirs: ['/l'], config: {} }));
  }
  const names = join(base, 'names');
  mkdirSync(names);
  symlinkSync(ids[1]!, join(names, 'web'));
  assert.is(findContainer(store, ids[0]!).id, ids[0]);
  assert.is(findContainer(store, 'ab').id, ids[0]);
  assert.is(findContainer(store, 'web', names).id, ids[1]);
  assert.throws(() => findContainer(store, 'a'), /ambiguous: it matches 2 containers/);
  assert.throws(() => findContainer(store, 'web'), /no such container: web/);
  assert.throws(() => findContainer(store, '../x'), /invalid container/);
  const found = findContainer(store, 'ac');
  assert.equal(buildExportArgv(found).slice(0, 6), ['unshare', '--mount', '--propagation', 'private', '--', 'sh']);
  assert.ok(buildExportArgv(found).includes(`ro,lowerdir=${found.dir.upper}:/l`), 'upper first, then the layers, read-only (no init dir here)');
});

test('findUpperUsers: a mount namespace with an overlay on that upper dir (mountinfo escapes included)', () => {
  const proc = join(base, 'proc');
  const upper = '/s/con tainers/x/upper';
  const fake = (pid: number, ns: string, mountinfo: string) => {
    mkdirSync(join(proc, String(pid), 'ns'), { recursive: true });
    symlinkSync(`mnt:[${ns}]`, join(proc, String(pid), 'ns', 'mnt'));
    writeFileSync(join(proc, String(pid), 'mountinfo'), mountinfo);
  };
  fake(1, '1', '22 1 8:1 / / rw - ext4 /dev/sda1 rw\n');
  fake(40, '2', '90 80 0:50 / /s/con\\040tainers/x/rootfs rw - overlay overlay rw,lowerdir=/l,upperdir=/s/con\\040tainers/x/upper,workdir=/s/con\\040tainers/x/work\n');
  fake(41, '2', 'not read: same namespace as 40\n');
  fake(50, '3', '91 80 0:51 / /r rw - overlay overlay rw,lowerdir=/l,upperdir=/s/con\\040tainers/x/upper2,workdir=/w\n');
  assert.equal(findUpperUsers(upper, proc), [40]);
  assert.equal(findUpperUsers('/other/upper', proc), []);
});

test('block-device guard: no CAP_MKNOD by default; --cap-add MKNOD gets a v1 devices cgroup; nothing for --privileged', () => {
  assert.is(chooseBlockDeviceGuard(true, false, false), 'no-mknod');
  assert.is(chooseBlockDeviceGuard(false, false, false), 'no-mknod');
  assert.is(chooseBlockDeviceGuard(true, false, true), 'devices-cgroup');
  assert.throws(() => chooseBlockDeviceGuard(false, false, true), /cannot --cap-add MKNOD here: without a cgroup v1 devices hierarchy/);
  assert.is(chooseBlockDeviceGuard(true, true, false), 'none');
});

test.run();
