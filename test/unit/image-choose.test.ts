// Unit: which images an import takes (chooser), what an archive is from its member names, SOURCE:TAG splitting,
// the progress line, shared/unique sizes and history rows. Pure functions, no files.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseImages, normalizeRepoName } from '../../src/image/choose-images.js';
import { classifyMembers } from '../../src/image/detect-source.js';
import { parseSourceOperand } from '../../src/image/source-operand.js';
import { formatProgress } from '../../src/image/progress.js';
import { computeSharing } from '../../src/image/layer-sharing.js';
import { buildHistory, historySteps } from '../../src/image/image-history.js';
import type { ImageRecord } from '../../src/image/records.js';

const img = (label: string, selectors: string[], refs: string[] = selectors) => ({ label, selectors, refs });
const names = (chosen: readonly { names: readonly { name: string; tag: string }[] }[]) => chosen.map((c) => c.names.map((n) => `${n.name}:${n.tag}`));

test('docker save without NAME: every image under each RepoTag (docker.io/library/ dropped)', () => {
  const chosen = chooseImages([img('a', ['a:1', 'docker.io/library/a:2']), img('b', ['localhost/b:latest'])], { source: 's.tar', takeAll: true });
  assert.equal(names(chosen), [['a:1', 'a:2'], ['localhost/b:latest']]);
  assert.is(normalizeRepoName('docker.io/user/x:1'), 'user/x:1');
});

test('NAME with one image takes it; with several it refuses to guess; SOURCE:TAG picks one', () => {
  assert.equal(names(chooseImages([img('x', [])], { source: 'd', name: { name: 'n', tag: 't' }, takeAll: false })), [['n:t']]);
  assert.throws(() => chooseImages([img('a', ['a:1']), img('b', ['b:1'])], { source: 's.tar', name: { name: 'n', tag: 't' }, takeAll: true }), /holds 2 images \(a, b\); nsbox will not guess/);
  assert.throws(() => chooseImages([img('v1', ['v1']), img('v2', ['v2'])], { source: 'oci', takeAll: false }), /holds 2 images/);
  const picked = chooseImages([img('v1', ['v1'], []), img('v2', ['v2'], [])], { source: 'oci', selector: 'v2', name: { name: 'app', tag: 'v2' }, takeAll: false });
  assert.is(picked[0]!.image.label, 'v2');
  assert.throws(() => chooseImages([img('v1', ['v1'])], { source: 'oci', selector: 'v9', takeAll: false }), /no image there is tagged "v9" \(it has v1\)/);
  assert.throws(() => chooseImages([img('v1', ['v1'], [])], { source: 'oci', selector: 'v1', takeAll: false }), /has no name in the source/);
  assert.throws(() => chooseImages([img('x', ['t']), img('y', ['t'])], { source: 'oci', selector: 't', takeAll: false }), /2 images there are tagged "t"/);
});

test('archive members: layouts at the top or under one directory; two layouts, or a layout next to other files, are ambiguous', () => {
  assert.equal(classifyMembers(['./', './bin/', './bin/sh', './etc/passwd']), { kind: 'tarball' });
  assert.equal(classifyMembers(['usr/', 'usr/bin/x']), { kind: 'tarball' });
  assert.equal(classifyMembers(['hello']), { kind: 'tarball' });
  assert.equal(classifyMembers(['oci-layout', 'index.json', 'blobs/sha256/x']), { kind: 'oci', prefix: '' });
  assert.equal(classifyMembers(['manifest.json', 'oci-layout', 'index.json']), { kind: 'docker-save', prefix: '' });
  assert.equal(classifyMembers(['img/', 'img/oci-layout', 'img/index.json', 'img/blobs/']), { kind: 'oci', prefix: 'img' });
  assert.equal(classifyMembers(['./save/manifest.json', './save/abc/layer.tar']), { kind: 'docker-save', prefix: 'save' });
  assert.is(classifyMembers(['a/oci-layout', 'a/index.json', 'b/oci-layout', 'b/index.json']).kind, 'ambiguous');
  assert.match(JSON.stringify(classifyMembers(['a/oci-layout', 'a/index.json', 'b/x'])), /next to b/);
  assert.equal(classifyMembers(['app/', 'app/run']), { kind: 'tarball' }, 'a lone directory without a layout is content');
});

test('SOURCE:TAG: the path is the operand if it exists, else the longest existing prefix before a colon', () => {
  const exists = (p: string) => ['/x/layout', '/x/a:b', 'save.tar'].includes(p);
  assert.equal(parseSourceOperand('/x/layout', exists), { path: '/x/layout' });
  assert.equal(parseSourceOperand('/x/layout:v2', exists), { path: '/x/layout', selector: 'v2' });
  assert.equal(parseSourceOperand('/x/a:b', exists), { path: '/x/a:b' });
  assert.equal(parseSourceOperand('/x/a:b:c', exists), { path: '/x/a:b', selector: 'c' });
  assert.equal(parseSourceOperand('save.tar:busybox:latest', exists), { path: 'save.tar', selector: 'busybox:latest' });
  assert.equal(parseSourceOperand('/missing:tag', exists), { path: '/missing:tag' });
});

test('progress: total, percentage and rate when the size is known; bytes and rate otherwise', () => {
  assert.is(formatProgress('layers layer 1/2', 12_000_000, 48_000_000, 2000), 'layers layer 1/2 12.0/48.0 MB 25% 6.0 MB/s');
  assert.is(formatProgress('layers', 5_000_000, undefined, 1000), 'layers 5.0 MB 5.0 MB/s');
  assert.is(formatProgress('x', 10, 5, 0), 'x 0.0/0.0 MB 100%');
});

const record = (id: string, layers: string[], extra: Partial<ImageRecord> = {}): ImageRecord => ({
  schemaVersion: 1, name: id, tag: 'latest', id, created: '2026-01-01T00:00:00.000Z', source: { kind: 'oci-layout', path: '/x' },
  layers, config: {}, size: 0, flaggedPaths: [], ...extra,
});

test('shared and unique size: a layer used by another image id is shared; two tags of one image are one image', () => {
  const size = (d: string) => ({ base: 100, a: 10, b: 20 })[d] ?? 0;
  const sizes = computeSharing([record('A', ['base', 'a']), record('B', ['base', 'b']), { ...record('B', ['base', 'b']), tag: 'v2' }, record('C', ['c'])], size);
  assert.equal(sizes, [{ shared: 100, unique: 10 }, { shared: 100, unique: 20 }, { shared: 100, unique: 20 }, { shared: 0, unique: 0 }]);
});

test('history: steps matched to layers (empty_layer steps make none), newest first; extra layers get a row each', () => {
  const r = record('A', ['sha256:l1', 'sha256:l2'], {
    history: [{ created_by: 'ADD rootfs', created: '2025-01-01T00:00:00Z' }, { created_by: 'ENV A=1', empty_layer: true }, { created_by: 'RUN make' }],
  });
  const rows = buildHistory(r, (d) => (d === 'sha256:l1' ? 5 : 7));
  assert.equal(rows.map((x) => [x.layer, x.createdBy, x.size]), [['sha256:l2', 'RUN make', 7], [undefined, 'ENV A=1', 0], ['sha256:l1', 'ADD rootfs', 5]]);
  const bare = buildHistory(record('B', ['sha256:l1']), () => 1);
  assert.equal(bare.map((x) => x.createdBy), ['nsbox image import (oci-layout)']);
});

test('history steps a commit keeps: the base\'s own, or one per layer of an import without history', () => {
  const own = [{ created_by: 'ADD rootfs' }];
  assert.equal(historySteps(record('A', ['sha256:l1'], { history: own })), own);
  const bare = historySteps({ ...record('B', ['sha256:l1', 'sha256:l2']), source: { kind: 'host-busybox', path: '/bin/busybox' } });
  assert.equal(bare, [1, 2].map(() => ({ created: '2026-01-01T00:00:00.000Z', created_by: 'nsbox image import (host-busybox)' })));
});

test.run();
