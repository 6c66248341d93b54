// Unit: the store on a temp dir (no processes): records written atomically, listed and removed; lowerdir order;
// in-use detection; unreferenced layers removed; stale work dirs of dead owners removed; confined extraction of
// plain tars (symlinks as data, hostile members refused, nothing written outside).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as tarStream from 'tar-stream';
import { openStore, layerFsDir } from '../../src/image/store.js';
import { writeImageRecord, listImageRecords, findImageRecord, imageLowerDirs, readImageConfig, recordLowerDirs, removeImageRecord, type ImageRecord } from '../../src/image/records.js';
import { isImageInUse } from '../../src/image/in-use.js';
import { removeUnreferencedLayers } from '../../src/image/layer-store.js';
import { removeStaleWork, createWorkDir, isOwnerAlive, newTempName } from '../../src/image/staging.js';
import { extractLayer } from '../../src/image/extract-layer.js';
import { resolveSourceFile } from '../../src/image/source-files.js';
import { parseImageRef } from '../../src/image/reference.js';

const base = mkdtempSync(join(tmpdir(), 'nsbox-unit-image-'));
test.after(() => rmSync(base, { recursive: true, force: true }));

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const record = (name: string, tag: string, layers: string[]): ImageRecord => ({
  schemaVersion: 1, name, tag, id: d('f'), created: new Date(0).toISOString(), source: { kind: 'tarball', path: '/x' },
  layers, config: { Cmd: ['sh'] }, size: 1, flaggedPaths: [],
});

async function tarOf(entries: { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; content?: string; linkname?: string }[]): Promise<Readable> {
  const pack = tarStream.pack();
  for (const e of entries) {
    const header = { name: e.name, type: e.type ?? 'file', mode: e.type === 'directory' ? 0o755 : 0o644, ...(e.linkname ? { linkname: e.linkname } : {}) };
    if ((e.type ?? 'file') === 'file') pack.entry(header, e.content ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Readable.from([Buffer.concat(chunks)]);
}

test('records: atomic write, list, find, remove; lowerdirs top-most first; config', async () => {
  const store = await openStore(join(base, 's1'));
  for (const h of ['a', 'b', 'c']) mkdirSync(layerFsDir(store, d(h)), { recursive: true });
  await writeImageRecord(store, record('img', 'v1', [d('a'), d('b'), d('c')]));
  await writeImageRecord(store, record('lib/other', 'latest', [d('a')]));
  assert.equal(readdirSync(store.tmp), [], 'the temp file was renamed away');
  assert.equal(readdirSync(store.images).sort(), ['img%3Av1.json', 'lib%2Fother%3Alatest.json']);
  assert.equal((await listImageRecords(store)).map((r) => `${r.name}:${r.tag}`), ['img:v1', 'lib/other:latest']);
  const ref = parseImageRef('img:v1');
  assert.equal(await imageLowerDirs(store, ref), [d('c'), d('b'), d('a')].map((x) => layerFsDir(store, x)));
  // run reads the record once: the lower dirs come from the record it holds, not from the file again
  const held = (await findImageRecord(store, ref))!;
  await writeImageRecord(store, record('img', 'v1', [d('a')]));
  assert.equal(recordLowerDirs(store, held), [d('c'), d('b'), d('a')].map((x) => layerFsDir(store, x)));
  await writeImageRecord(store, held);
  assert.equal(await readImageConfig(store, ref), { Cmd: ['sh'] });
  rmSync(layerFsDir(store, d('b')), { recursive: true });
  await imageLowerDirs(store, ref).then(() => assert.unreachable('missing layer'), (e: Error) => assert.match(e.message, /is damaged/));
  await removeImageRecord(store, ref);
  assert.is(await findImageRecord(store, ref), undefined);
  await imageLowerDirs(store, ref).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /no such image: img:v1/));
});

test('in use: containers/<id>/image names the image by ref or id', async () => {
  const store = await openStore(join(base, 's2'));
  const ref = parseImageRef('busybox');
  assert.not.ok(await isImageInUse(store, ref));
  mkdirSync(join(store.containers, 'c1'));
  assert.not.ok(await isImageInUse(store, ref), 'a container dir without an image file');
  writeFileSync(join(store.containers, 'c1', 'image'), 'other:latest\n');
  assert.not.ok(await isImageInUse(store, ref));
  writeFileSync(join(store.containers, 'c1', 'image'), 'busybox:latest\n');
  assert.ok(await isImageInUse(store, ref));
  writeFileSync(join(store.containers, 'c1', 'image'), d('9'));
  assert.ok(await isImageInUse(store, ref, d('9')), 'by image id');
});

test('unreferenced layers are removed, referenced ones kept', async () => {
  const store = await openStore(join(base, 's3'));
  for (const h of ['a', 'b', 'c']) mkdirSync(layerFsDir(store, d(h)), { recursive: true });
  await writeImageRecord(store, record('one', 'latest', [d('a'), d('b')]));
  assert.equal(await removeUnreferencedLayers(store), [d('c')]);
  assert.equal(readdirSync(store.layers).sort(), ['a'.repeat(64), 'b'.repeat(64)]);
  assert.equal(readdirSync(store.tmp), [], 'the trash was deleted');
});

test('stale work dirs: a dead owner is removed, this process and live owners are kept', async () => {
  const store = await openStore(join(base, 's4'));
  const mine = await createWorkDir(store, 'import');
  mkdirSync(join(store.tmp, '999999999-12345-abcdef-import'));
  mkdirSync(join(store.tmp, 'garbage'));
  assert.ok(isOwnerAlive(newTempName('x')));
  assert.not.ok(isOwnerAlive('999999999-12345-abcdef-import'));
  const { removed, othersLive } = await removeStaleWork(store);
  assert.equal([...removed].sort(), ['999999999-12345-abcdef-import', 'garbage']);
  assert.not.ok(othersLive);
  assert.ok(existsSync(mine));
});

test('extraction: files, dirs, symlinks as data, hardlinks inside; digest of the tar', async () => {
  const dest = join(base, 'x1');
  mkdirSync(dest);
  const summary = await extractLayer(
    await tarOf([
      { name: './', type: 'directory' },
      { name: './etc/', type: 'directory' },
      { name: './etc/hosts', content: 'h\n' },
      { name: './etc/hosts2', type: 'link', linkname: 'etc/hosts' },
      { name: './proc', type: 'symlink', linkname: '/' },
      { name: './deep/a/b/c', content: 'c' },
    ]),
    dest,
    { whiteouts: true, label: 'test' },
  );
  assert.match(summary.digest, /^sha256:[0-9a-f]{64}$/);
  assert.is(summary.entries, 6);
  assert.is(readFileSync(join(dest, 'etc/hosts'), 'utf8'), 'h\n');
  assert.is(lstatSync(join(dest, 'etc/hosts2')).ino, lstatSync(join(dest, 'etc/hosts')).ino);
  assert.is(readlinkSync(join(dest, 'proc')), '/');
  assert.equal(summary.flagged, [{ path: '/proc', target: '/' }]);
  assert.is(readFileSync(join(dest, 'deep/a/b/c'), 'utf8'), 'c');
});

test('extraction: writing through a symlink or a two-hop chain is refused; nothing lands outside', async () => {
  const outside = join(base, 'outside');
  mkdirSync(outside);
  for (const [i, entries] of [
    [{ name: 'l', type: 'symlink' as const, linkname: outside }, { name: 'l/pwned', content: 'x' }],
    [{ name: 'b', type: 'symlink' as const, linkname: outside }, { name: 'a', type: 'symlink' as const, linkname: 'b' }, { name: 'a/pwned', content: 'x' }],
    [{ name: 'h', type: 'link' as const, linkname: '../outside/x' }],
  ].entries()) {
    const dest = join(base, `h${i}`);
    mkdirSync(dest);
    await extractLayer(await tarOf(entries), dest, { whiteouts: true, label: 'test' }).then(
      () => assert.unreachable(`case ${i} was accepted`),
      (e: Error) => assert.match(e.message, /refusing archive member/),
    );
  }
  assert.equal(readdirSync(outside), []);
});

test('manifest paths: inside the source dir only', async () => {
  const dir = join(base, 'src');
  mkdirSync(join(dir, 'l'), { recursive: true });
  writeFileSync(join(dir, 'l', 'layer.tar'), 'x');
  assert.is(await resolveSourceFile(dir, 'l/layer.tar', 'layer'), join(dir, 'l', 'layer.tar'));
  for (const [path, reason] of [['../x', /"\.\."/], ['/etc/passwd', /absolute/], ['l', /not a regular file/], ['nope', /no such file/]] as const) {
    await resolveSourceFile(dir, path, 'layer').then(() => assert.unreachable(path), (e: Error) => assert.match(e.message, reason));
  }
});

test.run();
