// Integration (root): hostile archives. For each case, as in moby/go-archive's testBreakout, a victim directory
// beside the store must stay unchanged (content, mode, owner, link count, mtime, inode; no new entry in it or next
// to it), no file in the store may hold the victim's content, and a refused import must leave no image, no layer
// and no work dir.
//
// The victim sits where the attacks land: a layer is extracted in <store>/tmp/<work>/layer-N/fs and an outer
// archive (docker save, OCI archive) in <store>/tmp/<work>/source, so relative names climb UP_FROM_LAYER
// (5 levels) or UP_FROM_SOURCE (4 levels) to reach <base>/victim. An extractor that honoured ".." or followed a
// link would write into, or link to, the victim, and the checks below would see it.

import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { nsbox, isRoot } from '../helpers/nsbox.js';
import { findFilesWithContent, hashTree, packTar, sha256, writeDockerSave, type FixtureEntry } from './image-fixtures.js';
import { gatedTest } from '../helpers/suite.js';

const skipReason = !isRoot ? 'needs root' : spawnSync('setfattr', ['--version']).status !== 0 ? 'needs setfattr (apt-get install attr)' : undefined;
const test = gatedTest(skipReason);

const base = mkdtempSync(join(tmpdir(), 'nsbox-hostile-'));
const root = join(base, 'store');
const victim = join(base, 'victim');
const archives = join(base, 'archives');
const secret = Buffer.from(`victim secret ${randomBytes(16).toString('hex')}\n`);
mkdirSync(join(victim, 'sub'), { recursive: true });
mkdirSync(archives);
mkdirSync(root); // the store's own subdirs are nsbox's; the names beside the victim stay fixed
writeFileSync(join(victim, 'hello'), secret);
writeFileSync(join(victim, 'sub', 'file'), 'sub\n');
// A layer tar holding the secret: a manifest that reaches it would import the victim's content into the store.
const victimLayer: FixtureEntry[] = [{ name: 'stolen', content: secret }];
const victimLayerTar = await packTar(victimLayer);
writeFileSync(join(victim, 'layer.tar'), victimLayerTar);

/** From a layer's extraction dir (<store>/tmp/<work>/layer-N/fs) up to <base>, where the victim is. */
const UP_FROM_LAYER = '../../../../../';
/** From an outer archive's extraction dir (<store>/tmp/<work>/source) up to <base>. */
const UP_FROM_SOURCE = '../../../../';
const layerDirExample = join(root, 'tmp', 'work', 'layer-0', 'fs');
if (resolve(layerDirExample, UP_FROM_LAYER, 'victim') !== victim || resolve(root, 'tmp', 'work', 'source', UP_FROM_SOURCE, 'victim') !== victim) {
  throw new Error('the relative attacks no longer aim at the victim: fix UP_FROM_LAYER / UP_FROM_SOURCE');
}

/** Everything an attack could change: the victim tree (exact) and the names next to it. */
async function victimState(): Promise<string> {
  return `${await hashTree(victim, { exact: true })}\nbeside: ${readdirSync(base).sort().join(' ')}`;
}

const image = (...args: string[]) => nsbox(['image', ...args, '--root', root], { timeoutMs: 60_000 });
const listing = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

type Expect = 'refused' | 'confined';

/** Imports an archive and checks the victim, the store and the outcome. Returns the import's result. */
async function attempt(what: string, archive: Buffer | string, expect: Expect, pattern?: RegExp) {
  const source = typeof archive === 'string' ? archive : join(archives, 'hostile.tar');
  if (typeof archive !== 'string') writeFileSync(source, archive);
  const before = await victimState();
  const images = listing(join(root, 'images'));
  const layers = listing(join(root, 'layers'));
  const r = image('import', source, 'hostile');
  assert.fixture(await victimState(), before, `${what}: victim changed`);
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
  ['dot-dot member', [{ name: `${UP_FROM_LAYER}victim/pwned`, content: 'x' }], /contains "\.\."/],
  ['dot-dot member overwriting a victim file', [{ name: `${UP_FROM_LAYER}victim/hello`, content: 'x' }], /contains "\.\."/],
  ['dot-dot in the middle', [{ name: `a/../${UP_FROM_LAYER}victim/pwned`, content: 'x' }], /contains "\.\."/],
  ['write through a symlink', [{ name: 'loop', type: 'symlink', linkname: victim }, { name: 'loop/pwned', content: 'x' }], /is a symlink/],
  ['write through a relative symlink', [{ name: 'loop', type: 'symlink', linkname: `${UP_FROM_LAYER}victim` }, { name: 'loop/hello', content: 'x' }], /is a symlink/],
  ['write through a relative symlink in a subdirectory', [
    { name: 'a/', type: 'directory' },
    { name: 'a/loop', type: 'symlink', linkname: `../${UP_FROM_LAYER}victim` },
    { name: 'a/loop/pwned', content: 'x' },
  ], /is a symlink/],
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
  ['hardlink out with ..', [{ name: 'hl', type: 'link', linkname: `${UP_FROM_LAYER}victim/hello` }], /contains "\.\."/],
  ['hardlink to an absolute path', [{ name: 'hl', type: 'link', linkname: join(victim, 'hello') }], /absolute path/],
  ['hardlink through a symlink', [{ name: 's', type: 'symlink', linkname: victim }, { name: 'hl', type: 'link', linkname: 's/hello' }], /is a symlink/],
  ['hardlink (symlink, then hardlink to its target) to read the victim', [
    { name: 'loophole', type: 'symlink', linkname: `${UP_FROM_LAYER}victim` },
    { name: 'hl', type: 'link', linkname: 'loophole/hello' },
  ], /is a symlink/],
  ['whiteout through a symlink (would delete victim/hello)', [{ name: 's', type: 'symlink', linkname: victim }, { name: 's/.wh.hello' }], /is a symlink/],
  ['whiteout through a relative symlink', [{ name: 's', type: 'symlink', linkname: `${UP_FROM_LAYER}victim` }, { name: 's/.wh.hello' }], /is a symlink/],
  ['opaque marker through a symlink (would set an xattr on the victim)', [{ name: 's', type: 'symlink', linkname: victim }, { name: 's/.wh..wh..opq' }], /is a symlink/],
  ['overlay xattr trusted.overlay.opaque', [{ name: 'dir/', type: 'directory', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y' } }], /overlay xattr trusted\.overlay\.opaque/],
  ['overlay xattr trusted.overlay.redirect', [{ name: 'f', content: 'x', pax: { 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } }], /overlay xattr/],
];

for (const [what, entries, pattern] of refusedCases) {
  test(`refused: ${what}`, async () => {
    await attempt(what, await packTar(entries), 'refused', pattern);
  });
}

test('confined: a regular file over a symlink replaces the link, the victim is untouched', async () => {
  await attempt('file over symlink', await packTar([{ name: 's', type: 'symlink', linkname: join(victim, 'hello') }, { name: 's', content: 'mine\n' }]), 'confined');
  const fs = layerOf('hostile');
  assert.ok(lstatSync(join(fs, 's')).isFile());
  assert.is(image('rm', 'hostile').code, 0);
});

test('confined: a directory member over a symlink replaces the link', async () => {
  await attempt('dir over symlink', await packTar([{ name: 's', type: 'symlink', linkname: victim }, { name: 's/', type: 'directory' }, { name: 's/x', content: 'x' }]), 'confined');
  assert.ok(lstatSync(join(layerOf('hostile'), 's')).isDirectory());
  assert.is(image('rm', 'hostile').code, 0);
});

test('confined: device nodes are dropped (a 0/0 char device is kept as a whiteout)', async () => {
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
  const good = await packTar([{ name: 'big', content: randomBytes(20_000) }, { name: 'after', content: 'x' }]);
  await attempt('truncated mid-file', good.subarray(0, 5000), 'refused', /corrupt or truncated|truncated/);
  await attempt('truncated at a member boundary', good.subarray(0, 512 + 20_480), 'refused', /truncated/);
  await attempt('garbage', randomBytes(4096), 'refused', /corrupt|not a tar/);
  await attempt('empty', Buffer.alloc(0), 'refused', /empty|not a tar/);
  const gz = gzipSync(good);
  writeFileSync(join(archives, 'cut.tar.gz'), gz.subarray(0, gz.length / 2));
  await attempt('truncated gzip', join(archives, 'cut.tar.gz'), 'refused', /cannot import/);
});

test('refused: docker save whose manifest points a layer outside the archive', async () => {
  const layer = [{ name: 'f', content: 'x' }];
  // The manifest names the victim's layer.tar, whose digest matches the config: only the path check stops it.
  for (const [what, path, pattern] of [
    ['dot-dot layer path', `${UP_FROM_SOURCE}victim/layer.tar`, /contains "\.\."/],
    ['absolute layer path', join(victim, 'layer.tar'), /absolute path/],
  ] as const) {
    const archive = join(archives, 'save-hostile.tar');
    await writeDockerSave(archive, { layers: [victimLayer] }, [path]);
    await attempt(what, archive, 'refused', pattern);
  }
  // A layer.tar that is a symlink out of the archive (legacy saves link duplicate layers with symlinks), absolute
  // or relative; the config's diff_id is the victim tar's, so following the link would import the secret.
  const inner = await packTar(layer);
  for (const [what, linkname] of [['absolute', join(victim, 'layer.tar')], ['relative', `../${UP_FROM_SOURCE}victim/layer.tar`]] as const) {
    const archive = await packTar([
      { name: 'l1/', type: 'directory' },
      { name: 'l1/layer.tar', type: 'symlink', linkname },
      { name: 'c.json', content: JSON.stringify({ config: {}, rootfs: { type: 'layers', diff_ids: [sha256(victimLayerTar)] } }) },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: ['l1/layer.tar'] }]) },
      { name: 'unused.tar', content: inner },
    ]);
    await attempt(`symlinked layer.tar (${what})`, archive, 'refused', /resolves outside the archive/);
  }
});

test('confined: a symlink planted in one layer and written through in the next stays inside the image', async () => {
  // Layer 1 plants links to the victim (absolute and relative); layer 2 writes below the same names. Each layer
  // is extracted on its own, so layer 2 must get real directories of its own, never the victim's.
  const archive = join(archives, 'two-layers.tar');
  await writeDockerSave(archive, {
    layers: [
      [
        { name: 'abs', type: 'symlink', linkname: victim },
        { name: 'rel', type: 'symlink', linkname: `${UP_FROM_LAYER}victim` },
        { name: 'file', type: 'symlink', linkname: join(victim, 'hello') },
      ],
      [
        { name: 'abs/pwned', content: 'x' },
        { name: 'rel/hello', content: 'x' },
        { name: 'rel/.wh.sub' },
        { name: 'file', content: 'mine\n' },
      ],
    ],
  });
  await attempt('two layers', archive, 'confined');
  const info = JSON.parse(image('inspect', 'hostile').stdout) as { lowerDirs: string[] };
  assert.is(info.lowerDirs.length, 2, 'two layers');
  const top = info.lowerDirs[0]!;
  assert.ok(lstatSync(join(top, 'abs')).isDirectory(), 'layer 2 has its own abs/');
  assert.ok(lstatSync(join(top, 'abs', 'pwned')).isFile());
  assert.ok(lstatSync(join(top, 'rel', 'hello')).isFile());
  assert.ok(lstatSync(join(top, 'file')).isFile());
  assert.is(readlinkSync(join(info.lowerDirs[1]!, 'rel')), `${UP_FROM_LAYER}victim`, 'layer 1 keeps its link as data');
  assert.is(image('rm', 'hostile').code, 0);
});

test.run();
