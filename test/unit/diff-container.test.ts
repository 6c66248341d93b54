// Unit: `nsbox diff`'s classification of a container's upper layer (A added, C changed, D deleted), and the layer
// lookups, which never follow a link (a box's path must not make the host look at its own files).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyChanges, layerDirs, type Layers } from '../../src/image/diff-container.js';
import type { UpperEntry } from '../../src/image/commit-entries.js';

const entry = (path: string, kind: UpperEntry['kind'], extra: Partial<UpperEntry> = {}): UpperEntry => ({ path, kind, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), size: 0, rdevMajor: 0, rdevMinor: 0, ino: 1, nlink: 1, opaque: false, ...extra });

const fakeLayers = (paths: readonly string[]): Layers => ({
  has: (p) => paths.includes(p),
  namesOf: (p) => paths.filter((q) => q.startsWith(`${p}/`) && !q.slice(p.length + 1).includes('/')).map((q) => q.slice(p.length + 1)),
});

test('A for a path no layer has, C for one a layer has, D for a whiteout; sorted; an opaque directory deletes what the layers had in it', () => {
  const layers = fakeLayers(['etc', 'etc/passwd', 'bin', 'bin/ls', 'usr', 'usr/a', 'usr/b']);
  const changes = classifyChanges([
    entry('etc', 'directory'),
    entry('etc/passwd', 'file'),
    entry('etc/new', 'file'),
    entry('bin', 'directory'),
    entry('bin/ls', 'char-device'),
    entry('usr', 'directory', { opaque: true }),
    entry('usr/b', 'file'),
    entry('tty0', 'char-device', { rdevMajor: 4, rdevMinor: 0 }),
  ], layers);
  assert.equal(changes.map((c) => `${c.kind} ${c.path}`), ['C /bin', 'D /bin/ls', 'C /etc', 'A /etc/new', 'C /etc/passwd', 'A /tty0', 'C /usr', 'D /usr/a', 'A /usr/b']);
});

test('layer lookups: a link on the way (to a host directory) ends the lookup there; the top-most layer decides', () => {
  const base = mkdtempSync(join(tmpdir(), 'nsbox-diff-'));
  try {
    const host = join(base, 'host-only');
    mkdirSync(host);
    writeFileSync(join(host, 'secret'), 'x');
    const lower = join(base, 'lower');
    const upperLayer = join(base, 'layer2');
    mkdirSync(join(lower, 'etc'), { recursive: true });
    writeFileSync(join(lower, 'etc', 'passwd'), '');
    symlinkSync(host, join(lower, 'x'));
    mkdirSync(upperLayer);
    writeFileSync(join(upperLayer, 'etc'), 'a file over the directory');
    const layers = layerDirs([upperLayer, lower]);
    assert.ok(layers.has('x'), 'the link itself is in the layer');
    assert.not.ok(layers.has('x/secret'), 'the host file behind the link is not looked at');
    assert.ok(layers.has('etc'), 'the top-most layer has etc (a file)');
    assert.not.ok(layers.has('etc/passwd'), 'a file in a higher layer hides the lower directory');
    assert.equal(layerDirs([lower]).namesOf('etc'), ['passwd']);
    assert.equal(layerDirs([lower]).namesOf('x'), [], 'a link is not a directory to list');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();
