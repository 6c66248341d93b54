// Integration (root): importing archives that hold several images (docker save RepoTags, OCI index ref names),
// layouts under a top-level directory, the ambiguous cases refused, blob digests checked (a mismatch stores
// nothing), and `image save` read back by skopeo and podman (temp storage only) and by nsbox itself.

import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot } from '../helpers/nsbox.js';
import { hashTree, writeDockerSaveImages, writeOciIndex, type FixtureEntry } from './image-fixtures.js';
import { gatedTest, skipPart } from '../helpers/suite.js';

const has = (tool: string): boolean => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const skipReason = !isRoot ? 'needs root (layers keep owners; whiteouts need mknod and trusted.* xattrs)' : !has('setfattr') ? 'needs setfattr (apt-get install attr)' : undefined;
const test = gatedTest(skipReason);

const base = mkdtempSync(join(tmpdir(), 'nsbox-archives-test-'));
const image = (root: string, ...args: string[]) => nsbox(['image', ...args, '--root', root], { timeoutMs: 60_000 });
const records = (root: string): string[] => (existsSync(join(root, 'images')) ? readdirSync(join(root, 'images')).sort() : []);
const layers = (root: string): string[] => (existsSync(join(root, 'layers')) ? readdirSync(join(root, 'layers')).sort() : []);
const inspect = (root: string, name: string) => JSON.parse(image(root, 'inspect', name).stdout) as { id: string; layers: string[]; lowerDirs: string[]; config: Record<string, unknown> };

const BASE: FixtureEntry[] = [{ name: 'etc/', type: 'directory' }, { name: 'etc/os', content: 'base\n' }, { name: 'bin/', type: 'directory' }, { name: 'bin/x', content: 'x\n', mode: 0o755 }];
const TOP_A: FixtureEntry[] = [{ name: 'a', content: 'A\n' }];
const TOP_B: FixtureEntry[] = [{ name: 'b', content: 'B\n' }, { name: 'etc/', type: 'directory' }, { name: 'etc/.wh.os' }];

/** Asserts a refused import: exit 125, one line matching pattern, and the store exactly as before. */
function assertRefused(root: string, args: string[], pattern: RegExp): void {
  const before = { records: records(root), layers: layers(root) };
  const r = image(root, 'import', ...args);
  assert.is(r.code, 125, `${args.join(' ')} should be refused: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.is(r.stderr.trim().split('\n').filter((l) => !l.includes('hint:')).length, 1, `one line: ${r.stderr}`);
  assert.equal(records(root), before.records, 'no image record was written');
  assert.equal(layers(root), before.layers, 'no layer was stored');
  assert.equal(existsSync(join(root, 'tmp')) ? readdirSync(join(root, 'tmp')) : [], [], 'no work dir left');
}

test.after(() => {
  rmSync(base, { recursive: true, force: true });
});

test('docker save of two images: without NAME each RepoTag becomes an image; ls shows the shared base layer', async () => {
  const root = join(base, 'save-store');
  const archive = join(base, 'two.tar');
  await writeDockerSaveImages(archive, [
    { image: { layers: [BASE, TOP_A], config: { Cmd: ['/a'] } }, repoTags: ['app:1', 'docker.io/library/app:latest'] },
    { image: { layers: [BASE, TOP_B], config: { Cmd: ['/b'] } }, repoTags: ['other:2'] },
  ]);
  // With a NAME, two images are one too many: nsbox does not pick one.
  mkdirSync(root);
  assertRefused(root, [archive, 'mine:1'], /holds 2 images \(app:1, other:2\); nsbox will not guess/);
  const r = image(root, 'import', archive);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /imported app:1 .*\nimported app:latest .*\nimported other:2 /);
  assert.is(inspect(root, 'app:1').id, inspect(root, 'app:latest').id, 'two tags of one image');
  assert.equal(inspect(root, 'other:2').config, { Cmd: ['/b'] });
  assert.is(layers(root).length, 3, 'the base layer is stored once');
  const ls = JSON.parse(image(root, 'ls', '--json').stdout) as { name: string; tag: string; size: number; sharedSize: number; uniqueSize: number }[];
  const app = ls.find((i) => i.name === 'app' && i.tag === '1')!;
  const other = ls.find((i) => i.name === 'other')!;
  assert.ok(app.sharedSize > 0 && app.sharedSize === other.sharedSize, `the base layer is shared: ${JSON.stringify(ls)}`);
  assert.is(app.sharedSize + app.uniqueSize, app.size);
  assert.match(image(root, 'ls').stdout, /^NAME\s+TAG\s+IMAGE ID\s+LAYERS\s+SIZE\s+SHARED\s+UNIQUE\s+CREATED\n/);
  // ARCHIVE:TAG picks one image (a RepoTag, or its tag alone), and NAME renames it.
  const picked = image(root, 'import', `${archive}:other:2`, 'picked:v1');
  assert.is(picked.code, 0, picked.stderr);
  assert.is(inspect(root, 'picked:v1').id, inspect(root, 'other:2').id);
  // images and rmi are the Docker aliases of image ls and image rm.
  assert.match(nsbox(['images', '--root', root]).stdout, /^picked\s+v1\s/m);
  const rmi = nsbox(['rmi', 'picked:v1', 'app:latest', '--root', root]);
  assert.is(rmi.code, 0, rmi.stderr);
  assert.not.ok(records(root).some((f) => f.startsWith('picked') || f.includes('app%3Alatest')), records(root).join(' '));
});

test('OCI index: DIR:TAG picks a manifest by ref name; several without a TAG, or two untagged, are refused', async () => {
  const root = join(base, 'oci-store');
  mkdirSync(root);
  const dir = join(base, 'tagged');
  await writeOciIndex(dir, [{ image: { layers: [BASE, TOP_A] }, refName: 'v1' }, { image: { layers: [BASE, TOP_B] }, refName: 'v2' }]);
  assertRefused(root, [dir, 'app'], /holds 2 images \(v1, v2\); nsbox will not guess/);
  assertRefused(root, [`${dir}:v3`, 'app'], /no image there is tagged "v3" \(it has v1, v2\)/);
  assertRefused(root, [`${dir}:v2`], /has no name in the source/);
  const r = image(root, 'import', `${dir}:v2`, 'app:v2');
  assert.is(r.code, 0, r.stderr);
  const top = inspect(root, 'app:v2').lowerDirs[0]!;
  assert.is(readFileSync(join(top, 'b'), 'utf8'), 'B\n', 'the v2 manifest was imported');
  assert.not.ok(existsSync(join(top, 'a')));
  const untagged = join(base, 'untagged');
  await writeOciIndex(untagged, [{ image: { layers: [TOP_A] } }, { image: { layers: [TOP_B] } }]);
  assertRefused(root, [untagged, 'x'], /lists 2 manifests that neither a ref name nor a platform tells apart/);
});

test('a layout under one top-level directory is found; two layouts, or one next to other files, are refused', async () => {
  const root = join(base, 'nested-store');
  mkdirSync(root);
  const src = join(base, 'nested');
  mkdirSync(src);
  await writeOciIndex(join(src, 'img'), [{ image: { layers: [BASE, TOP_A] }, refName: 'latest' }]);
  const tarOf = (name: string, ...members: string[]): string => {
    const out = join(base, name);
    const t = spawnSync('tar', ['-C', src, '-cf', out, ...members], { encoding: 'utf8' });
    assert.is(t.status, 0, t.stderr);
    return out;
  };
  const one = image(root, 'import', tarOf('one.tar', 'img'), 'nested:1');
  assert.is(one.code, 0, one.stderr);
  assert.is(readFileSync(join(inspect(root, 'nested:1').lowerDirs[0]!, 'a'), 'utf8'), 'A\n');
  const dirImport = image(root, 'import', src, 'nested:dir');
  assert.is(dirImport.code, 0, `a directory holding only a layout dir: ${dirImport.stderr}`);
  assert.is(inspect(root, 'nested:dir').id, inspect(root, 'nested:1').id);

  cpSync(join(src, 'img'), join(src, 'img2'), { recursive: true });
  assertRefused(root, [tarOf('two.tar', 'img', 'img2'), 'x'], /holds image layouts in img\/ and img2\//);
  assertRefused(root, [src, 'x'], /holds image layouts in img\/ and img2\//);
  writeFileSync(join(src, 'notes.txt'), 'x\n');
  rmSync(join(src, 'img2'), { recursive: true });
  assertRefused(root, [tarOf('beside.tar', 'img', 'notes.txt'), 'x'], /holds an image layout in img\/ next to notes\.txt/);
});

test('integrity: an altered layer, config or manifest, or a wrong size, is refused and nothing is stored', async () => {
  const root = join(base, 'integrity-store');
  mkdirSync(root);
  const pristine = join(base, 'pristine');
  const [blobs] = await writeOciIndex(pristine, [{ image: { layers: [BASE, TOP_A], config: { Cmd: ['/a'] } } }]);
  const rel = (p: string) => p.slice(pristine.length + 1);
  const tamper = (name: string, change: (dir: string) => void): string => {
    const dir = join(base, name);
    cpSync(pristine, dir, { recursive: true });
    change(dir);
    return dir;
  };
  const flipByte = (file: string) => {
    const bytes = readFileSync(file);
    bytes[bytes.length - 600]! ^= 0x20; // inside the last member's data: the tar still parses
    writeFileSync(file, bytes);
  };
  assertRefused(root, [tamper('bad-layer', (d) => flipByte(join(d, rel(blobs!.layerBlobs[1]!)))), 'x'], /OCI layer 2\/2 has digest sha256:[0-9a-f]{64}, expected sha256:/);
  assertRefused(root, [tamper('bad-config', (d) => writeFileSync(join(d, rel(blobs!.configBlob)), readFileSync(join(d, rel(blobs!.configBlob)), 'utf8').replace('/a', '/b'))), 'x'], /the OCI image config has digest/);
  assertRefused(root, [tamper('bad-manifest', (d) => writeFileSync(join(d, rel(blobs!.manifestBlob)), `${readFileSync(join(d, rel(blobs!.manifestBlob)), 'utf8')} `)), 'x'], /the OCI manifest .* is \d+ bytes, its descriptor says/);
  const badSize = tamper('bad-size', (d) => {
    const index = JSON.parse(readFileSync(join(d, 'index.json'), 'utf8'));
    index.manifests[0].size += 1;
    writeFileSync(join(d, 'index.json'), JSON.stringify(index));
  });
  assertRefused(root, [badSize, 'x'], /descriptor says/);
  // The same check on an archive of the layout (unpacked into the store's tmp first, then removed).
  const archive = join(base, 'bad-layer.tar');
  assert.is(spawnSync('tar', ['-C', join(base, 'bad-layer'), '-cf', archive, '.']).status, 0);
  assertRefused(root, [archive, 'x'], /OCI layer 2\/2 has digest/);
  const ok = image(root, 'import', pristine, 'good');
  assert.is(ok.code, 0, `the untouched layout imports: ${ok.stderr}`);
});

test('image save: skopeo and podman read the archive; nsbox imports it back to the same trees under the same names', async () => {
  for (const tool of ['skopeo', 'podman']) if (!has(tool)) return skipPart('image save read back by skopeo and podman', `needs ${tool} (apt-get install ${tool})`);
  const root = join(base, 'src-store');
  const archive = join(base, 'with-whiteouts.tar');
  await writeDockerSaveImages(archive, [{ image: { layers: [BASE, TOP_B], config: { Cmd: ['/b'], Env: ['A=1'] } }, repoTags: ['wh:1'] }]);
  assert.is(image(root, 'import', archive).code, 0);
  assert.is(image(root, 'import', '--from-host-busybox', 'busybox').code, 0);
  assert.is(image(root, 'tag', 'busybox', 'bb:v2').code, 0);
  const saved = join(base, 'saved.tar');
  const s = image(root, 'save', 'wh:1', 'busybox', 'bb:v2', '-o', saved);
  assert.is(s.code, 0, s.stderr);
  const members = spawnSync('tar', ['-tf', saved], { encoding: 'utf8' }).stdout.split('\n');
  for (const m of ['manifest.json', 'repositories', 'index.json', 'oci-layout']) assert.ok(members.includes(m), `${m} in the archive`);

  const skopeo = (ref: string) => {
    const r = spawnSync('skopeo', ['inspect', '--raw', ref], { encoding: 'utf8' });
    const i = spawnSync('skopeo', ['inspect', ref], { encoding: 'utf8' });
    assert.is(i.status, 0, `skopeo inspect ${ref}: ${i.stderr}`);
    return { raw: JSON.parse(r.stdout), info: JSON.parse(i.stdout) as { Layers: string[]; Env: string[] } };
  };
  assert.equal(skopeo(`docker-archive:${saved}:wh:1`).info.Env, ['A=1']);
  assert.is(skopeo(`oci-archive:${saved}:1`).info.Layers.length, 2);
  assert.is(skopeo(`docker-archive:${saved}:bb:v2`).info.Layers.length, 1);

  const podmanRoot = join(base, 'podman-root');
  const podman = (...args: string[]) => spawnSync('podman', ['--root', podmanRoot, '--runroot', join(base, 'podman-run'), '--storage-driver', 'vfs', '--events-backend', 'none', ...args], { encoding: 'utf8', timeout: 120_000 });
  const load = podman('load', '-i', saved);
  assert.is(load.status, 0, load.stderr);
  const listed = podman('images', '--format', '{{.Repository}}:{{.Tag}}').stdout;
  for (const name of ['wh:1', 'busybox:latest', 'bb:v2']) assert.match(listed, new RegExp(`/${name}$`, 'm'), `podman has ${name}: ${listed}`);
  // Only what this test owns is checked (other suites make boxes meanwhile): nothing of podman's stays mounted.
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(base));
  assert.equal(mounted, [], 'podman left nothing mounted under the test dir');

  const back = join(base, 'back-store');
  const r = image(back, 'import', saved);
  assert.is(r.code, 0, r.stderr);
  for (const name of ['wh:1', 'busybox', 'bb:v2']) {
    const [a, b] = [inspect(root, name), inspect(back, name)];
    assert.equal(b.config, a.config, `${name}: config`);
    assert.is(b.lowerDirs.length, a.lowerDirs.length);
    for (const [i, dir] of a.lowerDirs.entries()) assert.is(await hashTree(b.lowerDirs[i]!), await hashTree(dir), `${name}: layer ${i} (whiteouts too)`);
  }
  assertRefused(root, [`${saved}:nosuch`, 'x'], /no image there is tagged "nosuch"/);
});

test('image history and tag: bad input is one line', () => {
  const root = join(base, 'src-store');
  const h = image(root, 'history', 'busybox');
  assert.is(h.code, 0, h.stderr);
  assert.match(h.stdout, /^LAYER\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT\n[0-9a-f]{12}\s+.*nsbox image import \(host-busybox\)\s+2\.\dMB/);
  for (const [args, pattern] of [[['tag', 'nosuch', 'x'], /no such image: nosuch:latest/], [['tag', 'busybox', 'Bad'], /invalid target image name/], [['save', 'nosuch', '-o', join(base, 'x.tar')], /no such image/]] as const) {
    const r = image(root, ...args);
    assert.is(r.code, 125, r.stderr);
    assert.match(r.stderr, pattern);
  }
  assert.not.ok(existsSync(join(base, 'x.tar')), 'a failed save writes no file');
});

test.run();
