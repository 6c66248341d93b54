// /dev's nodes and links from one perl (src/runtime/dev-nodes.ts), run for real with the host's perl on a FIFO
// node (no privilege needed) and links: the mode exactly as given whatever the umask, a node replacing what was at
// its path, a link never over anything; makedev's encoding as glibc's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makedev, mknodatNumber, nodesAndLinksLine } from '../../src/runtime/dev-nodes.js';
import type { OciDevice } from '../../src/oci/container.js';

const tmp = mkdtempSync(join(tmpdir(), 'nsbox-dev-nodes-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('makedev: glibc\'s dev_t (12 low bits of major at 8, minor\'s low byte at 0, the rest above)', () => {
  assert.is(makedev(1, 3), 259n);
  assert.is(makedev(136, 5), (136n << 8n) | 5n);
  assert.is(makedev(4096, 256), (1n << 44n) | (1n << 20n));
  assert.is(makedev(0xfff, 0xff), 0xfffffn);
});

test('one perl: a FIFO node with its exact mode (umask 077 around it) over a file that was there; links only where nothing is', () => {
  const nr = mknodatNumber();
  if (nr === undefined) return assert.is(process.arch, 'an architecture with a mknodat number');
  writeFileSync(join(tmp, 'fifo'), 'an old file');
  symlinkSync('/nowhere', join(tmp, 'dangling'));
  const fifo: OciDevice = { path: '/dev/fifo', type: 'p', major: 0, minor: 0, fileMode: 0o640, uid: 0, gid: 0, origin: 'config' };
  const line = nodesAndLinksLine(nr, [{ device: fifo, word: '"$D/fifo"' }], [['/proc/self/fd', '"$D/fd"'], ['/elsewhere', '"$D/dangling"']], ['"$D/toolbox"']);
  assert.ok(line.startsWith('step perl -e '));
  const r = spawnSync('sh', ['-c', `umask 077; step() { "$@"; }; D=${tmp}; ${line}`], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const node = lstatSync(join(tmp, 'fifo'));
  assert.ok(node.isFIFO(), 'the file was replaced by the node');
  assert.is(node.mode & 0o7777, 0o640);
  assert.is(readlinkSync(join(tmp, 'fd')), '/proc/self/fd');
  assert.is(readlinkSync(join(tmp, 'dangling')), '/nowhere', 'a dangling link is left alone');
  assert.is(lstatSync(join(tmp, 'toolbox')).mode & 0o7777, 0o755, 'the directory made first, mode 755 whatever the umask');
  const again = spawnSync('sh', ['-c', `step() { "$@"; }; D=${tmp}; ${nodesAndLinksLine(nr, [], [], ['"$D/toolbox"'])}`], { encoding: 'utf8' });
  assert.match(again.stderr, /^mkdir .*toolbox: File exists$/m, 'a directory that is there already is an error (as mkdir -m 755)');
  const bad = nodesAndLinksLine(nr, [{ device: fifo, word: `"${tmp}/no/such/dir/fifo"` }], []);
  const failed = spawnSync('sh', ['-c', `step() { "$@"; }; ${bad}`], { encoding: 'utf8' });
  assert.not.equal(failed.status, 0);
  assert.match(failed.stderr, /^mknod .*fifo: No such file or directory$/m);
});

test.run();
