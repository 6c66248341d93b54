// Integration (root): `run --cidfile FILE` and `create --cidfile FILE`, by Docker's rules: FILE holds the box's id
// (no newline) from the moment the box is recorded, a FILE that exists (a dangling link too) is refused before
// anything is made, and FILE is removed again when the box is not made after all.

import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSBOX, nsbox, isRoot, exitOf, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { eventually, gatedTest } from '../helpers/suite.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-cidfile-'));
const store = join(base, 'store');
const state = join(base, 'state');
const files = join(base, 'files');
const PARENT = `lcf-${process.pid}`;
const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none', NSBOX_CGROUP_PARENT: `./${PARENT}` };
const OWN = { stateDirs: [state], cgroupParents: [`./${PARENT}`] };
const run = (args: string[]): Result => nsbox(args, { env, timeoutMs: 60_000 });
const ok = (r: Result, what: string): string => {
  assert.is(r.code, 0, `${what}: ${r.stderr}`);
  return r.stdout;
};
const boxIds = (): string[] => (JSON.parse(run(['ps', '-a', '--json']).stdout || '[]') as { id: string }[]).map((b) => b.id).sort();
const file = (name: string): string => join(files, name);

test.before(() => {
  execFileSync('mkdir', ['-p', files]);
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import');
});

test.after(() => {
  for (const id of boxIds()) run(['rm', '-f', id]);
  for (const dir of readdirSync('/sys/fs/cgroup')) {
    try {
      execFileSync('rmdir', [join('/sys/fs/cgroup', dir, PARENT)], { stdio: 'ignore' });
    } catch {
      // not there
    }
  }
  rmSync(base, { recursive: true, force: true });
});

test('run -d and create write the box id (no newline); an existing FILE or a dangling link is refused before anything is made', async () => {
  const id = ok(run(['run', '-d', '--cidfile', file('web.cid'), '--name', 'web', 'busybox', 'sleep', '1000']), 'run -d').trim();
  assert.is(readFileSync(file('web.cid'), 'utf8'), id, 'the id, as docker writes it');
  assert.is((lstatSync(file('web.cid')).mode & 0o777).toString(8), '644');
  const created = ok(run(['create', '--cidfile', file('made.cid'), 'busybox', 'true']), 'create').trim();
  assert.is(readFileSync(file('made.cid'), 'utf8'), created);
  assert.is(run(['inspect', '-f', '{{.State.Status}}', created]).stdout.trim(), 'created');

  const boxes = boxIds();
  const before = snapshot(OWN);
  const again = run(['run', '-d', '--cidfile', file('web.cid'), 'busybox', 'sleep', '1000']);
  assert.equal([again.code, again.stdout, again.stderr], [125, '', `nsbox: invalid --cidfile "${file('web.cid')}": the file exists: make sure the box it names is not running, or delete it\n`]);
  assert.is(readFileSync(file('web.cid'), 'utf8'), id, 'left as it was');
  symlinkSync(join(base, 'elsewhere'), file('link.cid'));
  const link = run(['create', '--cidfile', file('link.cid'), 'busybox', 'true']);
  assert.is(link.code, 125, link.stderr);
  assert.not.ok(existsSync(join(base, 'elsewhere')), 'nothing made through the link');
  const dir = run(['run', '--cidfile', join(files, 'no-dir', 'x.cid'), 'busybox', 'true']);
  assert.equal([dir.code, dir.stderr], [125, `nsbox: cannot create --cidfile "${join(files, 'no-dir', 'x.cid')}": no such directory\n`]);
  const dry = run(['run', '--dry-run', '--cidfile', file('dry.cid'), 'busybox', 'true']);
  assert.is(dry.code, 0, dry.stderr);
  assert.not.ok(existsSync(file('dry.cid')), '--dry-run makes no file');
  rmSync(file('link.cid'));
  assert.equal(boxIds(), boxes, 'no box made');
  await assertNoLeaks(before, 'refused --cidfile');
  ok(run(['rm', '-f', 'web', created]), 'rm');
  rmSync(file('web.cid'));
  rmSync(file('made.cid'));
});

test('a failed create removes FILE: a name in use, a command not found (foreground and -d)', async () => {
  ok(run(['run', '-d', '--name', 'taken', 'busybox', 'sleep', '1000']), 'run');
  const boxes = boxIds();
  const before = snapshot(OWN);
  const named = run(['run', '-d', '--cidfile', file('taken.cid'), '--name', 'taken', 'busybox', 'true']);
  assert.is(named.code, 125, named.stderr);
  assert.match(named.stderr, /the name "taken" is in use/);
  for (const detach of [[], ['-d']]) {
    const missing = run(['run', ...detach, '--cidfile', file('missing.cid'), 'busybox', 'no-such-command']);
    assert.is(missing.code, 127, missing.stderr);
  }
  assert.equal(readdirSync(files), [], 'no FILE left');
  assert.equal(boxIds(), boxes, 'no box made');
  await assertNoLeaks(before, 'failed create');
  ok(run(['rm', '-f', 'taken']), 'rm');
});

test('foreground run: FILE holds the id while the box runs, and stays after it exits (as Docker); a host-root box is recorded', async () => {
  const cid = file('fg.cid');
  const child = spawn(NSBOX, ['run', '--cidfile', cid, 'busybox', 'sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.05; done'], { env, stdio: 'ignore' });
  await eventually(() => existsSync(cid) && readFileSync(cid, 'utf8').length === 64, 'FILE written while the box runs');
  const id = readFileSync(cid, 'utf8');
  await eventually(() => run(['exec', id, 'touch', '/tmp/go']).code === 0, 'the box runs under that id');
  assert.equal(await exitOf(child), { code: 0, signal: null });
  assert.is(run(['inspect', '-f', '{{.State.Status}}', id]).stdout.trim(), 'exited');
  assert.is(readFileSync(cid, 'utf8'), id, 'kept');
  ok(run(['rm', id]), 'rm');

  const host = file('host.cid');
  const before = snapshot(OWN);
  ok(run(['run', '--cidfile', host, '--', 'true']), 'host-root run');
  const hostId = readFileSync(host, 'utf8');
  assert.ok(boxIds().includes(hostId), 'recorded, as every Docker container');
  ok(run(['rm', hostId]), 'rm');
  rmSync(host);
  rmSync(cid);
  await assertNoLeaks(before, 'foreground --cidfile');
});

test.run();
