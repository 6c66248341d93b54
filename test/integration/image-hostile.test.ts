// Integration (root): hostile archives. For each case, as in moby/go-archive's testBreakout, a victim directory
// beside the store must stay byte-for-byte unchanged, no file in the store may hold the victim's content, and a
// refused import must leave no image, no layer and no work dir.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { nsbox, isRoot } from '../helpers/nsbox.js';
import { findFilesWithContent, hashTree, packTar, writeDockerSave, type FixtureEntry } from './image-fixtures.js';

const skipReason = !isRoot ? 'needs root' : spawnSync('setfattr', ['--version']).status !== 0 ? 'needs setfattr (apt-get install attr)' : undefined;

const base = mkdtempSync(join(tmpdir(), 'nsbox-hostile-'));
const root = join(base, 'store');
const victim = join(base, 'victim');
const secret = Buffer.from(`victim secret ${randomBytes(16).toString('hex')}\n`);
mkdirSync(join(victim, 'sub'), { recursive: true });
writeFileSync(join(victim, 'hello'), secret);
writeFileSync(join(victim, 'sub', 'file'), 'sub\n');

const image = (...args: string[]) => nsbox(['image', ...args, '--root', root], { timeoutMs: 60_000 });
const listing = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

type Expect = 'refused' | 'confined';

/** Imports an archive and checks the victim, the store and the outcome. Returns the import's result. */
async function attempt(what: string, archive: Buffer | string, expect: Expect, pattern?: RegExp) {
  const source = typeof archive === 'string' ? archive : join(base, 'hostile.tar');
  if (typeof archive !== 'string') writeFileSync(source, archive);
  const before = await hashTree(victim);
  const images = listing(join(root, 'images'));
  const layers = listing(join(root, 'layers'));
  const r = image('import', source, 'hostile');
  assert.equal(await hashTree(victim), before, `${what}: victim changed`);
  assert.equal(await findFilesWithContent(root, secret), [], `${what}: the victim's content was copied into the store`);
  assert.equal(listing(join(root, 'tmp')), [], `${what}: work dir left`);
  if (expect === 'refused') {
    assert.is(r.code, 125, `${what}: expected refusal, got ${r.code}: ${r.stdout}${r.stderr}`);
    assert.is(r.stderr.split('\n').filter((l) => l && !l.startsWith('nsbox: hint:')).length, 1, `${what}: one line: ${r.stderr}`);
    if (pattern) assert.match(r.stderr, pattern, what);
    assert.equal(listing(join(root, 'images')), images, `${what}: an image record appeared`);
    assert.equal(listing(join(root, 'layers')), layers, `${what}: a layer appeared`);
  } else {
    assert.is(r.code, 0, `${what}: ${r.stderr}`);
  }
  return r;
}

const layerOf = (ref: string): string => {
  const info = JSON.parse(image('inspect', ref).stdout) as { lowerDirs: string[] };
  return info.lowerDirs[0]!;
};

test.after(() => rmSync(base, { recursive: true, force: true }));

const refusedCases: [string, FixtureEntry[], RegExp][] = [
  ['absolute member', [{ name: `${victim}/pwned`, content: 'x' }], /absolute path/],
  ['dot-dot member', [{ name: '../../../../../../../../../../../victim/pwned', content: 'x' }], /contains "\.\."/],
  ['dot-dot in the middle', [{ name: 'a/../../victim/pwned', content: 'x' }], /contains "\.\."/],
  ['write through a symlink', [{ name: 'loop', type: 'symlink', linkname: victim }, { name: 'loop/pwned', content: 'x' }], /is a symlink/],
  ['write through a relative symlink', [{ name: 'loop', type: 'symlink', linkname: '../../../../../../../victim' }, { name: 'loop/hello', content: 'x' }], /is a symlink/],
  ['two-hop symlink chain', [
    { name: 'b', type: 'symlink', linkname: victim },
    { name: 'a', type: 'symlink', linkname: 'b' },
    { name: 'a/pwned', content: 'x' },
  ], /is a symlink/],
  ['directory replaced by a symlink, then written through', [
    { name: 'd/', type: 'directory' },
    { name: 'd', type: 'symlink', linkname: victim },
    { name: 'd/pwned', content: 'x' },
  ], /is a symlink/],
  ['hardlink out with ..', [{ name: 'hl', type: 'link', linkname: '../victim/hello' }], /contains "\.\."/],
  ['hardlink to an absolute path', [{ name: 'hl', type: 'link', linkname: join(victim, 'hello') }], /absolute path/],
  ['hardlink through a symlink', [{ name: 's', type: 'symlink', linkname: victim }, { name: 'hl', type: 'link', linkname: 's/hello' }], /is a symlink/],
  ['hardlink (symlink, then hardlink to its target) to read the victim', [
    { name: 'loophole', type: 'symlink', linkname: '../../../../../../../../victim' },
    { name: 'hl', type: 'link', linkname: 'loophole/hello' },
  ], /is a symlink/],
  ['whiteout through a symlink (would delete victim/hello)', [{ name: 's', type: 'symlink', linkname: victim }, { name: 's/.wh.hello' }], /is a symlink/],
  ['opaque marker through a symlink (would set an xattr on the victim)', [{ name: 's', type: 'symlink', linkname: victim }, { name: 's/.wh..wh..opq' }], /is a symlink/],
  ['overlay xattr trusted.overlay.opaque', [{ name: 'dir/', type: 'directory', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y' } }], /overlay xattr trusted\.overlay\.opaque/],
  ['overlay xattr trusted.overlay.redirect', [{ name: 'f', content: 'x', pax: { 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } }], /overlay xattr/],
];

for (const [what, entries, pattern] of refusedCases) {
  test(`refused: ${what}`, async () => {
    if (skipReason) return console.log(`SKIP: ${skipReason}`);
    await attempt(what, await packTar(entries), 'refused', pattern);
  });
}

test('confined: a regular file over a symlink replaces the link, the victim is untouched', async () => {
  if (skipReason) return console.log(`SKIP: ${skipReason}`);
  await attempt('file over symlink', await packTar([{ name: 's', type: 'symlink', linkname: join(victim, 'hello') }, { name: 's', content: 'mine\n' }]), 'confined');
  const fs = layerOf('hostile');
  assert.ok(lstatSync(join(fs, 's')).isFile());
  assert.is(image('rm', 'hostile').code, 0);
});

test('confined: a directory member over a symlink replaces the link', async () => {
  if (skipReason) return console.log(`SKIP: ${skipReason}`);
  await attempt('dir over symlink', await packTar([{ name: 's', type: 'symlink', linkname: victim }, { name: 's/', type: 'directory' }, { name: 's/x', content: 'x' }]), 'confined');
  assert.ok(lstatSync(join(layerOf('hostile'), 's')).isDirectory());
  assert.is(image('rm', 'hostile').code, 0);
});

test('confined: device nodes are dropped (a 0/0 char device is kept as a whiteout)', async () => {
  if (skipReason) return console.log(`SKIP: ${skipReason}`);
  await attempt('devices', await packTar([
    { name: 'dev/', type: 'directory' },
    { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 },
    { name: 'dev/mem', type: 'character-device', devmajor: 1, devminor: 1 },
    { name: 'dev/wh', type: 'character-device', devmajor: 0, devminor: 0 },
  ]), 'confined');
  const fs = layerOf('hostile');
  assert.equal(readdirSync(join(fs, 'dev')), ['wh']);
  assert.ok(lstatSync(join(fs, 'dev', 'wh')).isCharacterDevice());
  assert.is(image('rm', 'hostile').code, 0);
});

test('confined and flagged: /proc, /dev and /etc/hosts as symlinks out of the image stay symlinks inside the layer', async () => {
  if (skipReason) return console.log(`SKIP: ${skipReason}`);
  await attempt('runtime paths', await packTar([
    { name: 'proc', type: 'symlink', linkname: victim },
    { name: 'dev', type: 'symlink', linkname: '/' },
    { name: 'etc/', type: 'directory' },
    { name: 'etc/hosts', type: 'symlink', linkname: join(victim, 'hello') },
  ]), 'confined');
  const info = JSON.parse(image('inspect', 'hostile').stdout) as { flaggedPaths: { path: string; target: string }[]; lowerDirs: string[] };
  assert.equal(info.flaggedPaths.map((f) => `${f.path}->${f.target}`).sort(), [`/dev->/`, `/etc/hosts->${join(victim, 'hello')}`, `/proc->${victim}`]);
  assert.is(readlinkSync(join(info.lowerDirs[0]!, 'proc')), victim);
  assert.is(image('rm', 'hostile').code, 0);
});

test('refused: truncated, garbage, empty and truncated-gzip archives', async () => {
  if (skipReason) return console.log(`SKIP: ${skipReason}`);
  const good = await packTar([{ name: 'big', content: randomBytes(20_000) }, { name: 'after', content: 'x' }]);
  await attempt('truncated mid-file', good.subarray(0, 5000), 'refused', /corrupt or truncated|truncated/);
  await attempt('truncated at a member boundary', good.subarray(0, 512 + 20_480), 'refused', /truncated/);
  await attempt('garbage', randomBytes(4096), 'refused', /corrupt|not a tar/);
  await attempt('empty', Buffer.alloc(0), 'refused', /empty|not a tar/);
  const gz = gzipSync(good);
  writeFileSync(join(base, 'cut.tar.gz'), gz.subarray(0, gz.length / 2));
  await attempt('truncated gzip', join(base, 'cut.tar.gz'), 'refused', /cannot import/);
});

test('refused: docker save whose manifest points a layer outside the archive', async () => {
  if (skipReason) return console.log(`SKIP: ${skipReason}`);
  const layer = [{ name: 'f', content: 'x' }];
  for (const [what, path, pattern] of [
    ['dot-dot layer path', '../victim/hello', /contains "\.\."/],
    ['absolute layer path', join(victim, 'hello'), /absolute path/],
  ] as const) {
    const archive = join(base, 'save-hostile.tar');
    await writeDockerSave(archive, { layers: [layer] }, [path]);
    await attempt(what, archive, 'refused', pattern);
  }
  // A layer.tar that is a symlink out of the archive (legacy saves link duplicate layers with symlinks).
  const inner = await packTar(layer);
  const archive = await packTar([
    { name: 'l1/', type: 'directory' },
    { name: 'l1/layer.tar', type: 'symlink', linkname: join(victim, 'hello') },
    { name: 'c.json', content: JSON.stringify({ config: {}, rootfs: { diff_ids: [] } }) },
    { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: ['l1/layer.tar'] }]) },
    { name: 'unused.tar', content: inner },
  ]);
  await attempt('symlinked layer.tar', archive, 'refused', /resolves outside the archive/);
});

test.run();
