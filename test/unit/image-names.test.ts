// Unit: pure image-store helpers: references, member names, whiteout names, overlay xattrs, compression magic,
// static-ELF check, store root resolution, config picking, table rendering.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseImageRef, formatImageRef } from '../../src/image/reference.js';
import { splitMemberPath, classifyWhiteout, findOverlayXattr } from '../../src/image/member-path.js';
import { detectCompression } from '../../src/image/decompress.js';
import { isStaticElf } from '../../src/image/busybox-image.js';
import { resolveStoreRoot, describeStore, digestHex, layerFsDir } from '../../src/image/store.js';
import { pickImageConfig } from '../../src/image/image-source.js';
import { formatImageTable, formatSize } from '../../src/image/format-table.js';
import { NsboxError } from '../../src/errors.js';

test('image references: default tag, registries with ports, bad names', () => {
  assert.equal(parseImageRef('busybox'), { name: 'busybox', tag: 'latest' });
  assert.equal(parseImageRef('library/debian:12.5'), { name: 'library/debian', tag: '12.5' });
  assert.equal(parseImageRef('a.b-c/d_e:v1'), { name: 'a.b-c/d_e', tag: 'v1' });
  assert.is(formatImageRef(parseImageRef('x')), 'x:latest');
  for (const bad of ['', 'Busybox', 'a b', 'a:', 'a:-x', 'a//b', '/a', 'a/', 'a:b:c', '../x', `a:${'x'.repeat(129)}`]) {
    assert.throws(() => parseImageRef(bad), (e: unknown) => e instanceof NsboxError && e.exitCode === 125, bad);
  }
});

test('member names: relative parts; absolute, .. and NUL refused', () => {
  assert.equal(splitMemberPath('./etc/passwd'), ['etc', 'passwd']);
  assert.equal(splitMemberPath('etc//x/./y/'), ['etc', 'x', 'y']);
  assert.equal(splitMemberPath('./'), []);
  assert.equal(splitMemberPath('..foo/..bar'), ['..foo', '..bar'], '".." only as a whole component');
  assert.throws(() => splitMemberPath('/etc/passwd'), /absolute path/);
  assert.throws(() => splitMemberPath('a/../../b'), /"\.\."/);
  assert.throws(() => splitMemberPath('..'), /"\.\."/);
  assert.throws(() => splitMemberPath('a\0b'), /NUL/);
  assert.throws(() => splitMemberPath(`a/${'x'.repeat(256)}`), /longer than 255/);
});

test('whiteout names (OCI image spec)', () => {
  assert.is(classifyWhiteout('.wh..wh..opq'), 'opaque');
  assert.is(classifyWhiteout('.wh.gone'), 'whiteout');
  assert.is(classifyWhiteout('.wh..wh.plnk'), 'aufs-meta');
  assert.is(classifyWhiteout('gone'), 'none');
  assert.is(classifyWhiteout('x.wh.y'), 'none');
});

test('overlay xattrs in pax headers are found; others are not', () => {
  assert.is(findOverlayXattr({ 'SCHILY.xattr.trusted.overlay.opaque': 'y' }), 'SCHILY.xattr.trusted.overlay.opaque');
  assert.is(findOverlayXattr({ 'LIBARCHIVE.xattr.user.overlay.redirect': 'x' }), 'LIBARCHIVE.xattr.user.overlay.redirect');
  assert.is(findOverlayXattr({ 'SCHILY.xattr.security.capability': 'x', path: 'a' }), undefined);
  assert.is(findOverlayXattr({ 'trusted.overlay.opaque': 'y' }), undefined, 'not an xattr key');
  assert.is(findOverlayXattr(undefined), undefined);
});

test('compression by magic bytes', () => {
  assert.is(detectCompression(Uint8Array.from([0x1f, 0x8b, 8])), 'gzip');
  assert.is(detectCompression(Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), 'xz');
  assert.is(detectCompression(Buffer.from('BZh91AY')), 'bzip2');
  assert.is(detectCompression(Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
  assert.is(detectCompression(Buffer.from('etc/passwd\0')), 'none');
  assert.is(detectCompression(new Uint8Array(0)), 'none');
});

test('static ELF: no PT_INTERP program header', () => {
  const elf = (types: number[]): Buffer => {
    const b = Buffer.alloc(64 + 56 * types.length);
    b.writeUInt32BE(0x7f454c46, 0);
    b[4] = 2; // ELF64
    b[5] = 1; // little endian
    b.writeBigUInt64LE(64n, 32);
    b.writeUInt16LE(56, 54);
    b.writeUInt16LE(types.length, 56);
    types.forEach((t, i) => b.writeUInt32LE(t, 64 + 56 * i));
    return b;
  };
  assert.ok(isStaticElf(elf([1, 1, 4])));
  assert.not.ok(isStaticElf(elf([6, 3, 1])), 'PT_INTERP present: dynamic');
  assert.not.ok(isStaticElf(Buffer.from('#!/bin/sh\n')));
});

test('store root: --root, then NSBOX_ROOT, then /var/lib/nsbox; layout by digest', () => {
  assert.is(resolveStoreRoot('/srv/x', { NSBOX_ROOT: '/env' }), '/srv/x');
  assert.is(resolveStoreRoot(undefined, { NSBOX_ROOT: '/env/' }), '/env');
  assert.is(resolveStoreRoot(undefined, {}), '/var/lib/nsbox');
  assert.throws(() => resolveStoreRoot('', {}), /invalid --root/);
  const store = describeStore('/r');
  const digest = `sha256:${'a'.repeat(64)}`;
  assert.is(layerFsDir(store, digest), `/r/layers/${'a'.repeat(64)}/fs`);
  assert.throws(() => digestHex('sha256:../../etc'), /not a sha256 digest/);
  assert.throws(() => digestHex(`sha512:${'a'.repeat(64)}`), /not a sha256 digest/);
});

test('image config: only the honoured fields, with the right types', () => {
  assert.equal(pickImageConfig({ Env: ['A=1'], Cmd: ['sh'], Entrypoint: null, WorkingDir: '/w', User: '', Labels: {}, Volumes: {} }), {
    Env: ['A=1'],
    Cmd: ['sh'],
    WorkingDir: '/w',
  });
  assert.equal(pickImageConfig({ Cmd: 'sh -c x', Env: [1] }), {}, 'wrong types are dropped');
  assert.equal(pickImageConfig(undefined), {});
});

test('ls table and sizes', () => {
  assert.is(formatSize(999), '999B');
  assert.is(formatSize(2_129_408), '2.1MB');
  const record = {
    schemaVersion: 1 as const, name: 'busybox', tag: 'latest', id: `sha256:${'b'.repeat(64)}`, created: '2026-01-02T03:04:05.000Z',
    source: { kind: 'host-busybox' as const, path: '/bin/busybox' }, layers: ['sha256:x'], config: {}, size: 1500, flaggedPaths: [],
  };
  assert.is(
    formatImageTable([record], [{ shared: 1000, unique: 500 }]),
    'NAME     TAG     IMAGE ID      LAYERS  SIZE   SHARED  UNIQUE  CREATED\nbusybox  latest  bbbbbbbbbbbb  1       1.5kB  1.0kB   500B    2026-01-02 03:04:05\n',
  );
});

test.run();
