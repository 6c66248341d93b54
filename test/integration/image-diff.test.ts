// Integration (root): `nsbox diff CONTAINER`, as `docker diff`: A/C/D for what a box added, changed and deleted, read
// from its upper layer (running and stopped), the image unchanged. A hostile image whose /x links to a host-only
// directory, and a box that puts a directory there with a file of the same name as the host's: diff says A (what is
// below a directory the box made counts as new; the layer lookups never follow a link: test/unit/diff-container),
// and the host's files are untouched.

import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';
import { writeDockerSave } from './image-fixtures.js';
import { assertVictimIntact, compile, fingerprint, hasGcc, makeVictim, treeEntries } from './containment-fixtures.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-diff-'));
const store = join(base, 'store');
const state = join(base, 'state');
const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none' };
const run = (args: string[]): Result => nsbox(args, { env, timeoutMs: 60_000 });

test.before(() => {
  if (skipReason) return;
  const r = run(['image', 'import', '--from-host-busybox', 'busybox']);
  assert.is(r.code, 0, r.stderr);
});

test.after(() => {
  if (!skipReason) run(['rm', '-f', 'df', 'dh', 'dswap']);
  rmSync(base, { recursive: true, force: true });
});

test('diff: A, C and D for what a running box did, the same once it stopped; --json in Docker\'s kinds; an unknown box is a one-line error', async () => {
  const before = snapshot({ stateDirs: [state] });
  const script = 'echo new > /new.txt && echo extra >> /etc/passwd && rm /bin/ls && mkdir -p /opt/x && echo ready && exec sleep 1000';
  const r = run(['run', '-d', '--name', 'df', 'busybox', 'sh', '-c', script]);
  assert.is(r.code, 0, r.stderr);
  for (let i = 0; i < 100 && !run(['logs', 'df']).stdout.includes('ready'); i++) await new Promise((res) => setTimeout(res, 50));
  assert.match(run(['logs', 'df']).stdout, /ready/);
  const expected = 'C /bin\nD /bin/ls\nC /etc\nC /etc/passwd\nA /new.txt\nA /opt\nA /opt/x\n';
  const running = run(['diff', 'df']);
  assert.is(running.code, 0, running.stderr);
  assert.is(running.stdout, expected);
  const json = JSON.parse(run(['diff', '--json', 'df']).stdout) as { Kind: number; Path: string }[];
  assert.equal(json.find((c) => c.Path === '/bin/ls'), { Kind: 2, Path: '/bin/ls' });
  assert.equal(json.find((c) => c.Path === '/new.txt'), { Kind: 1, Path: '/new.txt' });
  assert.equal(json.find((c) => c.Path === '/etc/passwd'), { Kind: 0, Path: '/etc/passwd' });
  assert.is(run(['stop', '-t', '0', 'df']).code, 0);
  assert.is(run(['diff', 'df']).stdout, expected, 'the same for the stopped box');
  // A fresh box of the same image changed nothing.
  const clean = run(['run', '--name', 'dh', 'busybox', 'true']);
  assert.is(clean.code, 0, clean.stderr);
  assert.is(run(['diff', 'dh']).stdout, '');
  const missing = run(['diff', 'no-such-box']);
  assert.is(missing.code, 125, missing.stderr);
  assert.match(missing.stderr, /^nsbox: no such container: no-such-box$/m);
  assert.is(run(['rm', 'df', 'dh']).code, 0);
  await assertNoLeaks(before, 'diff');
});

test('diff: an image link to a host-only directory, replaced in the box by a directory with a file of the host\'s name, is C /x and A below it; the host\'s files are untouched', async () => {
  const victim = makeVictim(base);
  const before = fingerprint(victim);
  const busyboxFs = (JSON.parse(run(['image', 'inspect', 'busybox']).stdout) as { lowerDirs: string[] }).lowerDirs[0]!;
  const file = join(base, 'linked.tar');
  await writeDockerSave(file, { layers: [[...treeEntries(busyboxFs), { name: 'x', type: 'symlink', linkname: victim.dir }]], config: { Cmd: ['/bin/sh'] } });
  const imported = run(['image', 'import', file, 'linked']);
  assert.is(imported.code, 0, imported.stderr);
  const r = run(['run', '--name', 'dh', 'linked', 'sh', '-c', 'rm /x && mkdir /x && echo box > /x/host-only-marker']);
  assert.is(r.code, 0, r.stderr);
  const d = run(['diff', 'dh']);
  assert.is(d.code, 0, d.stderr);
  assert.is(d.stdout, 'C /x\nA /x/host-only-marker\n', `the host's ${victim.dir}/host-only-marker must not make it C`);
  await assertVictimIntact(victim, before, d.stdout + d.stderr, [join(store, 'containers')], 'diff');
  assert.is(run(['rm', 'dh']).code, 0);
});

/** Swaps two names for ever (renameat2 RENAME_EXCHANGE: each is always there, as a directory or as a link). */
const SWAPPER = `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/fs.h>
int main(int argc, char **argv) {
  if (argc != 3) return 2;
  for (;;) syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE);
}
`;

test('diff of a running box that swaps a directory for a link to a host directory in a loop (CVE-2018-15664\'s race): the host\'s directory is never listed as the box\'s, every diff succeeds, the host\'s files are untouched', async () => {
  if (!hasGcc) throw new Error('needs gcc (apt-get install gcc libc6-dev) for the probe');
  const victim = makeVictim(join(base, 'swap'));
  const before = fingerprint(victim);
  mkdirSync(join(base, 'probe'), { recursive: true });
  compile(SWAPPER, join(base, 'probe', 'swap'), ['-static']);
  const script = `mkdir /d && echo box > /d/boxfile && ln -s ${victim.dir} /l && echo ready && exec /probe/swap /d /l`;
  const r = run(['run', '-d', '--name', 'dswap', '-v', `${join(base, 'probe')}:/probe:ro`, 'busybox', 'sh', '-c', script]);
  assert.is(r.code, 0, r.stderr);
  for (let i = 0; i < 100 && !run(['logs', 'dswap']).stdout.includes('ready'); i++) await new Promise((res) => setTimeout(res, 50));
  assert.match(run(['top', 'dswap', '-o', 'pid,args']).stdout, /\/probe\/swap/, 'the swapper runs (the attack ran)');
  const hostNames = readdirSync(victim.dir);
  const seen: string[] = [];
  // Before the fix about one diff in four listed the host's directory (lstat saw the box's directory, readdir the link).
  for (let i = 0; i < 30; i++) {
    const d = run(['diff', 'dswap']);
    seen.push(d.stdout + d.stderr);
    assert.is(d.code, 0, `diff #${i} failed while the box changed its files: ${d.stderr}`);
    const listed = hostNames.filter((name) => d.stdout.split('\n').some((line) => line.endsWith(`/${name}`)));
    assert.equal(listed, [], `diff #${i} listed the host's ${victim.dir} as the box's: ${d.stdout}`);
  }
  // A listing made while names are renamed may miss one (readdir's rule), so only most of them must show the box's.
  assert.ok(seen.filter((out) => /^A \/d$/m.test(out)).length >= 20, `diff lists the box's own directory: ${seen.slice(0, 3).join('|')}`);
  // Stopped first: the store is searched for the marker, and the box's swapping would race that search too.
  assert.is(run(['stop', '-t', '0', 'dswap']).code, 0);
  await assertVictimIntact(victim, before, seen.join(''), [join(store, 'containers')], 'diff under a swap');
  assert.is(run(['rm', '-f', 'dswap']).code, 0);
});

test.run();
