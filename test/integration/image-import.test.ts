// Integration (root): `nsbox image import/ls/inspect/rm` against a temp store: busybox, OCI layout, docker save,
// tarballs and directories; layer dedup; whiteouts stacked by a real overlayfs mount; atomicity under SIGKILL.

import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { nsbox, startNsbox, exitOf, isRoot } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { packTar, writeDockerSave, writeOciLayout, type FixtureEntry } from './image-fixtures.js';
import { gatedTest } from '../helpers/suite.js';

const skipReason = !isRoot
  ? 'needs root (layers keep owners; whiteouts need mknod and trusted.* xattrs)'
  : !existsSync('/bin/busybox')
    ? 'needs /bin/busybox (apt-get install busybox-static)'
    : spawnSync('setfattr', ['--version']).status !== 0
      ? 'needs setfattr (apt-get install attr)'
      : undefined;
const test = gatedTest(skipReason);

const base = mkdtempSync(join(tmpdir(), 'nsbox-image-test-'));
const root = join(base, 'store');
const image = (...args: string[]) => nsbox(['image', ...args, '--root', root], { timeoutMs: 60_000 });
const layersOnDisk = (): string[] => (existsSync(join(root, 'layers')) ? readdirSync(join(root, 'layers')).sort() : []);
const hex = (digest: string): string => digest.replace(/^sha256:/, '');
const fsOf = (digest: string): string => join(root, 'layers', hex(digest), 'fs');
const inspect = (name: string) => JSON.parse(image('inspect', name).stdout) as { layers: string[]; lowerDirs: string[]; config: Record<string, unknown>; id: string };

const L1: FixtureEntry[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/keep', content: 'k\n' },
  { name: 'etc/gone', content: 'g\n' },
  { name: 'data/', type: 'directory' },
  { name: 'data/old1', content: 'o\n' },
  { name: 'data/sub/', type: 'directory' },
  { name: 'data/sub/old2', content: 'o2\n' },
  { name: 'bin/', type: 'directory' },
  { name: 'bin/tool', content: 't1\n', mode: 0o755 },
];
const L2: FixtureEntry[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/.wh.gone' },
  { name: 'data/', type: 'directory' },
  { name: 'data/.wh..wh..opq' },
  { name: 'data/new', content: 'n\n' },
  { name: 'bin/', type: 'directory' },
  { name: 'bin/tool', content: 't2\n', mode: 0o755 },
];
const L3: FixtureEntry[] = [{ name: 'top', content: '3\n' }, { name: 'link-to-tool', type: 'symlink', linkname: '/bin/tool' }];
const L4: FixtureEntry[] = [{ name: 'oci-only', content: 'oci\n' }];

test.before.each(() => {
  if (skipReason) return;
});

test.after(() => {
  rmSync(base, { recursive: true, force: true });
});

test('busybox from the host: one layer with busybox, applet links, passwd and empty mount points', () => {
  const r = image('import', '--from-host-busybox', 'busybox');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^imported busybox:latest [0-9a-f]{12} \(1 layer/);
  const info = inspect('busybox');
  assert.is(info.layers.length, 1);
  assert.equal(info.config.Cmd, ['sh']);
  assert.ok((info.config.Env as string[]).some((e) => e.startsWith('PATH=') && e.includes('/bin')));
  const fs = fsOf(info.layers[0]!);
  assert.ok(readFileSync(join(fs, 'bin/busybox')).equals(readFileSync('/bin/busybox')), 'bin/busybox is the host busybox');
  assert.is(lstatSync(join(fs, 'bin/busybox')).mode & 0o777, 0o755);
  assert.is(readlinkSync(join(fs, 'bin/sh')), '/bin/busybox');
  assert.match(readFileSync(join(fs, 'etc/passwd'), 'utf8'), /^root:x:0:0:/);
  assert.match(readFileSync(join(fs, 'etc/group'), 'utf8'), /^root:x:0:/m);
  for (const dir of ['proc', 'sys', 'dev', 'tmp']) assert.equal(readdirSync(join(fs, dir)), [], `${dir} is empty`);
  assert.is(lstatSync(join(fs, 'tmp')).mode & 0o7777, 0o1777);
  // The busybox in the image runs (static): chroot into the layer dir, read-only use.
  const run = spawnSync('chroot', [fs, '/bin/sh', '-c', 'echo hello from $(basename $0)'], { encoding: 'utf8' });
  assert.is(run.stdout.trim(), 'hello from sh', run.stderr);
  assert.equal(readdirSync(join(root, 'tmp')), [], 'no work dir left');
});

test('the same busybox imported under a second name shares the layer (stored once)', () => {
  const before = layersOnDisk();
  assert.is(image('import', '--from-host-busybox', 'tiny:1.0').code, 0);
  assert.equal(layersOnDisk(), before);
  assert.equal(inspect('tiny:1.0').layers, inspect('busybox').layers);
});

test('docker save with whiteouts and an opaque dir: overlay marks in the layer dirs, and a real overlay mount stacks them', async () => {
  const archive = join(base, 'save.tar');
  const diffIds = await writeDockerSave(archive, { layers: [L1, L2, L3], config: { Cmd: ['/bin/tool'], Env: ['A=1'] } });
  const r = image('import', archive, 'saved:v1');
  assert.is(r.code, 0, r.stderr);
  const info = inspect('saved:v1');
  assert.equal(info.layers, diffIds, 'layers are stored by diff_id, bottom-most first');
  assert.equal(info.lowerDirs, [...diffIds].reverse().map(fsOf), 'lowerDirs: top-most first');
  assert.equal(info.config, { Env: ['A=1'], Cmd: ['/bin/tool'] });

  const whiteout = lstatSync(join(fsOf(diffIds[1]!), 'etc/gone'));
  assert.ok(whiteout.isCharacterDevice(), 'etc/gone in layer 2 is a whiteout');
  assert.is(whiteout.rdev, 0, 'device 0/0');
  assert.not.ok(existsSync(join(fsOf(diffIds[1]!), 'etc/.wh.gone')), 'the .wh. marker itself is not kept');
  assert.not.ok(existsSync(join(fsOf(diffIds[1]!), 'data/.wh..wh..opq')));
  const opaque = spawnSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(fsOf(diffIds[1]!), 'data')], { encoding: 'utf8' });
  assert.is(opaque.stdout, 'y', opaque.stderr);

  // Mount the image read-only (lowerdirs only) in a private mount namespace: nothing can leak to the host.
  const leaks = snapshot();
  const mnt = join(base, 'merged');
  mkdirSync(mnt);
  const script = 'mount -t overlay overlay -o "lowerdir=$1" "$2" && cd "$2" && ls -A etc | tr "\\n" " "; echo; ls -A data | tr "\\n" " "; echo; cat bin/tool top';
  const sh = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', info.lowerDirs.join(':'), mnt], { encoding: 'utf8' });
  assert.is(sh.status, 0, sh.stderr);
  assert.equal(sh.stdout.split('\n'), ['keep ', 'new ', 't2', '3', ''], 'whiteout hides etc/gone; opaque data/ hides old1 and sub/');
  await assertNoLeaks(leaks, 'overlay mount');
  assert.equal(readdirSync(mnt), [], 'nothing left mounted on the mount point');
});

test('OCI layout (gzip layers, full config) shares its base layer with the docker save image', async () => {
  const dir = join(base, 'oci');
  const config = { Env: ['PATH=/bin'], Entrypoint: ['/bin/tool'], Cmd: ['x'], WorkingDir: '/data', User: '1000:1000', Labels: { a: 'b' } };
  const diffIds = await writeOciLayout(dir, { layers: [L1, L4], config, gzip: true });
  const before = layersOnDisk();
  const r = image('import', dir, 'oci:latest');
  assert.is(r.code, 0, r.stderr);
  const info = inspect('oci');
  assert.equal(info.layers, diffIds);
  assert.equal(info.config, { Env: ['PATH=/bin'], Cmd: ['x'], Entrypoint: ['/bin/tool'], WorkingDir: '/data', User: '1000:1000' });
  assert.ok(before.includes(hex(diffIds[0]!)), 'base layer came from the docker save');
  assert.equal(layersOnDisk(), [...before, hex(diffIds[1]!)].sort(), 'only the new layer was added');
  assert.is(readFileSync(join(fsOf(diffIds[1]!), 'oci-only'), 'utf8'), 'oci\n');

  // The same layout as an archive (tar of the directory) imports to the same layers.
  const archive = join(base, 'oci.tar');
  assert.is(spawnSync('tar', ['-C', dir, '-cf', archive, '.']).status, 0);
  assert.is(image('import', archive, 'oci:archive').code, 0);
  assert.equal(inspect('oci:archive').layers, diffIds);
});

test('rootfs tarballs (.tar, .tar.gz, .tar.xz) and a directory', async () => {
  const tar = await packTar([{ name: './', type: 'directory' }, ...L1.map((e) => ({ ...e, name: `./${e.name}` }))]);
  writeFileSync(join(base, 'rootfs.tar'), tar);
  writeFileSync(join(base, 'rootfs.tgz'), gzipSync(tar));
  writeFileSync(join(base, 'rootfs.tar.xz'), spawnSync('xz', ['-z', '-c'], { input: tar }).stdout);
  const ids = new Set<string>();
  for (const [file, name] of [['rootfs.tar', 'plain'], ['rootfs.tgz', 'gz'], ['rootfs.tar.xz', 'xz']] as const) {
    const r = image('import', join(base, file), `rootfs:${name}`);
    assert.is(r.code, 0, `${file}: ${r.stderr}`);
    const info = inspect(`rootfs:${name}`);
    assert.is(readFileSync(join(fsOf(info.layers[0]!), 'data/sub/old2'), 'utf8'), 'o2\n');
    ids.add(info.layers[0]!);
  }
  assert.is(ids.size, 1, 'the three compressions give one layer (digest of the uncompressed tar)');

  const dir = join(base, 'rootdir');
  mkdirSync(join(dir, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'etc/os-release'), 'ID=test\n');
  symlinkSync('/etc/os-release', join(dir, 'os-link'));
  const r = image('import', dir, 'fromdir');
  assert.is(r.code, 0, r.stderr);
  const fs = fsOf(inspect('fromdir').layers[0]!);
  assert.is(readFileSync(join(fs, 'etc/os-release'), 'utf8'), 'ID=test\n');
  assert.is(readlinkSync(join(fs, 'os-link')), '/etc/os-release');
});

test('ls --json and ls list every image; inspect of a missing image is a one-line error', () => {
  const list = JSON.parse(image('ls', '--json').stdout) as { name: string; tag: string; layers: number }[];
  const refs = list.map((i) => `${i.name}:${i.tag}`);
  for (const ref of ['busybox:latest', 'tiny:1.0', 'saved:v1', 'oci:latest', 'rootfs:xz', 'fromdir:latest']) assert.ok(refs.includes(ref), ref);
  assert.is(list.find((i) => i.name === 'saved')!.layers, 3);
  const table = image('ls');
  assert.match(table.stdout, /^NAME\s+TAG\s+IMAGE ID\s+LAYERS\s+SIZE\s+SHARED\s+UNIQUE\s+CREATED\n/);
  assert.match(table.stdout, /\nsaved\s+v1\s+[0-9a-f]{12}\s+3\s/);
  const missing = image('inspect', 'nope');
  assert.is(missing.code, 125);
  assert.match(missing.stderr, /^nsbox: no such image: nope:latest\n/);
});

test('rm is refused while a container uses the image; then removes only layers no other image uses', () => {
  const saved = inspect('saved:v1');
  const oci = inspect('oci');
  mkdirSync(join(root, 'containers', 'box1'), { recursive: true });
  writeFileSync(join(root, 'containers', 'box1', 'image'), 'saved:v1\n');
  const refused = image('rm', 'saved:v1');
  assert.is(refused.code, 125);
  assert.match(refused.stderr, /cannot remove image saved:v1: in use by .*box1/);
  assert.ok(existsSync(fsOf(saved.layers[1]!)), 'nothing removed');
  rmSync(join(root, 'containers', 'box1'), { recursive: true });

  const r = image('rm', 'saved:v1');
  assert.is(r.code, 0, r.stderr);
  assert.not.ok(existsSync(join(root, 'layers', hex(saved.layers[1]!))), 'layer 2 (only saved used it) is gone');
  assert.not.ok(existsSync(join(root, 'layers', hex(saved.layers[2]!))), 'layer 3 is gone');
  assert.ok(existsSync(fsOf(saved.layers[0]!)), 'the base layer stays: oci uses it');
  assert.match(r.stdout, new RegExp(`deleted layer ${saved.layers[1]}`));
  for (const name of ['oci:latest', 'oci:archive', 'rootfs:plain', 'rootfs:gz', 'rootfs:xz']) assert.is(image('rm', name).code, 0, name);
  assert.not.ok(existsSync(fsOf(oci.layers[0]!)), 'the base layer goes with its last image');
  assert.is(image('rm', 'oci').code, 125, 'a second rm is a clear error');
});

test('SIGKILL mid-import leaves no image and no layer; the next import removes the leftover work dir', async () => {
  const entries: FixtureEntry[] = [];
  for (let i = 0; i < 40_000; i++) entries.push({ name: `f${i}`, content: `file ${i}\n` });
  writeFileSync(join(base, 'big.tar'), await packTar(entries));
  const images = readdirSync(join(root, 'images')).sort();
  const layers = layersOnDisk();
  const child = startNsbox(['image', 'import', join(base, 'big.tar'), 'big', '--root', root]);
  const work = (): string[] => readdirSync(join(root, 'tmp')).filter((n) => n.endsWith('-import'));
  const deadline = Date.now() + 20_000;
  let killedMidway = false;
  while (Date.now() < deadline && child.exitCode === null) {
    const dirs = work();
    const fs = dirs.length ? join(root, 'tmp', dirs[0]!, 'layer-0', 'fs') : '';
    if (fs && existsSync(fs) && readdirSync(fs).length > 200) {
      child.kill('SIGKILL');
      killedMidway = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const exit = await exitOf(child);
  assert.ok(killedMidway, `import was killed mid-way (exit ${exit.code} ${exit.signal}): ${child.output()}`);
  assert.is(exit.signal, 'SIGKILL');
  assert.is(work().length, 1, 'the killed import left its work dir');
  assert.equal(readdirSync(join(root, 'images')).sort(), images, 'no image record');
  assert.equal(layersOnDisk(), layers, 'no layer');
  assert.not.ok((JSON.parse(image('ls', '--json').stdout) as { name: string }[]).some((i) => i.name === 'big'));

  assert.is(image('import', '--from-host-busybox', 'after-kill').code, 0);
  assert.equal(readdirSync(join(root, 'tmp')), [], 'the stale work dir was removed by the next import');
});

test('bad input: one-line errors, exit 125, nothing created', () => {
  const fresh = join(base, 'fresh-store');
  const cases: [string[], RegExp][] = [
    [['import', join(base, 'missing.tar'), 'x'], /cannot import .*missing\.tar: no such file or directory/],
    [['import', join(base, 'save.tar'), 'Bad Name'], /invalid image name "Bad Name"/],
    [['import', '--from-host-busybox'], /usage: nsbox image import --from-host-busybox NAME/],
    [['import', join(base, 'save.tar'), 'a', 'b'], /usage: nsbox image import SOURCE\[:TAG\] \[NAME\[:TAG\]\]/],
    [['rm', 'x:bad:tag'], /invalid image name/],
  ];
  for (const [args, pattern] of cases) {
    const r = nsbox(['image', ...args, '--root', fresh]);
    assert.is(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.is(r.stderr.trim().split('\n').filter((l) => !l.includes('hint:')).length, 1, `one line: ${r.stderr}`);
    assert.not.ok(existsSync(fresh), `${args.join(' ')} created the store`);
  }
});

test.run();
