// Integration (root): file capabilities (security.capability, binary) and user.* xattrs survive every way an image
// moves: a GNU tar with SCHILY.xattr records and a directory are imported; a box copies the files up and changes
// them; commit turns its upper dir into a layer with the xattrs; export writes them into the tar (read back by GNU
// tar itself); image save + import keeps them. Overlay's own trusted.overlay.* never leaks into a layer or tar.

import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ok, nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { gatedTest } from '../helpers/suite.js';

const has = (tool: string, arg = '--version'): boolean => spawnSync(tool, [arg], { stdio: 'ignore' }).error === undefined;
const skip = !isRoot
  ? 'needs root (security.capability and trusted.* need CAP_SETFCAP / CAP_SYS_ADMIN)'
  : !existsSync('/bin/busybox')
    ? 'needs /bin/busybox (apt-get install busybox-static)'
    : !has('setcap', '-h') || !has('getcap', '-h')
      ? 'needs setcap/getcap (apt-get install libcap2-bin)'
      : !has('getfattr')
        ? 'needs getfattr (apt-get install attr)'
        : undefined;
const test = gatedTest(skip);

const BASE = mkdtempSync(join(tmpdir(), 'nsbox-xattrs-'));
const STORE = join(BASE, 'store');
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: STORE, NSBOX_STATE: join(BASE, 'state'), NSBOX_IMAGE_NETWORK: 'none' };
const run = (args: string[], env = ENV): Result => nsbox(args, { env, timeoutMs: 60_000 });
const topLayer = (name: string, env = ENV): string => (JSON.parse(ok(run(['image', 'inspect', name], env), 'inspect')) as { lowerDirs: string[] }).lowerDirs[0]!;
const getcap = (path: string): string => spawnSync('getcap', [path], { encoding: 'utf8' }).stdout.replace(`${path} `, '').trim();
/** name=hex of every xattr of path (all namespaces), sorted. */
const xattrs = (path: string): string[] =>
  spawnSync('getfattr', ['-h', '--absolute-names', '-d', '-e', 'hex', '-m', '-', path], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.includes('='))
    .sort();

// cap_setuid (bit 7) makes a 0x80 byte: a value that is not valid UTF-8 must still survive byte for byte.
const CAPS = 'cap_setuid,cap_net_raw=ep';
const NOTE = ['user.bin=0x80ff00', 'user.note=0x68656c6c6f'];

test.after(() => {
  if (!skip) for (const box of ['xa', 'xb']) run(['rm', '-f', box]);
  rmSync(BASE, { recursive: true, force: true });
});

test('file capabilities and user xattrs: import (tar and dir) -> run -> commit -> export -> save/import', () => {
  const rootfs = join(BASE, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  symlinkSync('busybox', join(rootfs, 'bin/sh'));
  copyFileSync('/bin/busybox', join(rootfs, 'bin/capbox'));
  writeFileSync(join(rootfs, 'note'), 'note\n');
  assert.is(spawnSync('setcap', [CAPS.replace('=ep', '+ep'), join(rootfs, 'bin/capbox')]).status, 0, 'setcap');
  assert.is(spawnSync('setfattr', ['-n', 'user.note', '-v', 'hello', join(rootfs, 'note')]).status, 0);
  assert.is(spawnSync('setfattr', ['-n', 'user.bin', '-v', '0x80ff00', join(rootfs, 'note')]).status, 0);
  const tarball = join(BASE, 'rootfs.tar');
  assert.is(spawnSync('tar', ['--xattrs', '--xattrs-include=*', '-C', rootfs, '-cf', tarball, '.']).status, 0);

  // Import: GNU tar's SCHILY.xattr records, and a directory (packed by nsbox with tar --xattrs).
  ok(run(['image', 'import', tarball, 'caps:tar']), 'import tar');
  ok(run(['image', 'import', rootfs, 'caps:dir']), 'import dir');
  for (const name of ['caps:tar', 'caps:dir']) {
    const layer = topLayer(name);
    assert.is(getcap(join(layer, 'bin/capbox')), CAPS, `${name}: file capabilities in the layer`);
    assert.equal(xattrs(join(layer, 'note')), NOTE, `${name}: user xattrs, binary value intact`);
  }

  // Run: the box changes both files (overlayfs copies them up with their xattrs), then commit takes its upper dir.
  ok(run(['run', '--name', 'xa', 'caps:tar', 'sh', '-c', 'touch /bin/capbox && echo more >> /note && echo new > /new']), 'run');
  const upper = join(STORE, 'containers');
  assert.ok(existsSync(upper));
  ok(run(['commit', 'xa', 'caps:2']), 'commit');
  const committed = topLayer('caps:2');
  assert.is(getcap(join(committed, 'bin/capbox')), CAPS, 'the committed layer keeps the file capability');
  assert.equal(xattrs(join(committed, 'note')), NOTE, 'and the user xattrs of a changed file');
  for (const path of ['', 'bin', 'bin/capbox', 'note', 'new']) {
    assert.not.ok(xattrs(join(committed, path)).some((x) => x.startsWith('trusted.overlay.')), `no overlay xattr on /${path} of the layer`);
  }

  // Export: a box of the committed image, its merged view as a tar; GNU tar restores the xattrs from it.
  ok(run(['run', '--name', 'xb', 'caps:2', 'sh', '-c', 'echo x > /other']), 'run 2');
  const exported = join(BASE, 'export.tar');
  ok(run(['export', 'xb', '-o', exported]), 'export');
  const out = join(BASE, 'exported');
  mkdirSync(out);
  const untar = spawnSync('tar', ['--xattrs', '--xattrs-include=*', '-C', out, '-xf', exported], { encoding: 'utf8' });
  assert.is(untar.status, 0, untar.stderr);
  assert.is(getcap(join(out, 'bin/capbox')), CAPS, 'export carries the file capability');
  assert.equal(xattrs(join(out, 'note')), NOTE, 'export carries the user xattrs');
  const listing = spawnSync('tar', ['--xattrs', '--xattrs-include=*', '-tvvf', exported], { encoding: 'utf8' }).stdout;
  assert.not.match(listing, /trusted\.overlay/, 'no overlay xattr in the export');

  // image save, then import into another store: the same xattrs.
  const saved = join(BASE, 'saved.tar');
  ok(run(['image', 'save', 'caps:2', '-o', saved]), 'save');
  const other = { ...ENV, NSBOX_ROOT: join(BASE, 'store2') };
  ok(run(['image', 'import', saved], other), 'import saved');
  const back = topLayer('caps:2', other);
  assert.is(getcap(join(back, 'bin/capbox')), CAPS, 'save/import keeps the file capability');
  assert.equal(xattrs(join(back, 'note')), NOTE);
});

test.run();
