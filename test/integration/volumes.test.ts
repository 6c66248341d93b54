// Integration (root): -v of a missing host directory creates it (as Docker does); named volumes (-v NAME:/data,
// --mount type=volume) live under ROOT/volumes/NAME/_data, are shared by two boxes at once, survive `rm`, and
// `volume rm` refuses while a box (running or stopped) uses one; --mount type=bind|tmpfs in Docker's syntax.
// Store and state are temp dirs; boxes run with no network.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ok, nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { gatedTest } from '../helpers/suite.js';

const skip = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skip);
const BASE = mkdtempSync(join(tmpdir(), 'nsbox-volumes-'));
const STORE = join(BASE, 'store');
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: STORE, NSBOX_STATE: join(BASE, 'state'), NSBOX_IMAGE_NETWORK: 'none' };
const run = (...args: string[]): Result => nsbox(args, { env: ENV, timeoutMs: 60_000 });

test.before(() => {
  if (skip) return;
  ok(run('image', 'import', '--from-host-busybox', 'busybox'), 'import busybox');
});

test.after(() => {
  if (!skip) for (const name of ['vw', 'vr']) run('rm', '-f', name);
  rmSync(BASE, { recursive: true, force: true });
});

test('-v /missing/deeper:/data creates the host directory (kept after the box, as Docker does); --dry-run creates nothing', async () => {
  const missing = join(BASE, 'host-missing');
  const target = join(missing, 'deeper');
  assert.not.ok(existsSync(missing));
  ok(run('run', '--rm', '--dry-run', '-v', `${target}:/data`, 'busybox', 'true'), 'dry run');
  assert.not.ok(existsSync(missing), '--dry-run created nothing');
  const out = ok(run('run', '--rm', '-v', `${target}:/data`, 'busybox', 'sh', '-c', 'echo from-box > /data/f && cat /data/f'), 'run');
  assert.is(out, 'from-box\n');
  assert.ok(statSync(target).isDirectory(), 'the host directory was created');
  assert.is(statSync(target).mode & 0o777, 0o755);
  assert.is(readFileSync(join(target, 'f'), 'utf8'), 'from-box\n', 'the box wrote into the created host directory');
  // Only what this test owns is checked (other suites make boxes meanwhile): no mount, no container dir left.
  assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(BASE)), [], 'nothing mounted under the test dir');
  assert.equal(existsSync(join(STORE, 'containers')) ? readdirSync(join(STORE, 'containers')) : [], [], '--rm left no container');
  rmSync(missing, { recursive: true });
  // --mount type=bind keeps Docker's rule: a missing source is an error, and nothing is created.
  const r = run('run', '--rm', '--mount', `type=bind,source=${target},target=/data`, 'busybox', 'true');
  assert.is(r.code, 125, r.stderr);
  assert.match(r.stderr, /invalid --mount ".*": .* does not exist on the host/);
  assert.not.ok(existsSync(missing), '--mount type=bind created nothing');
});

test('named volumes: shared by two boxes at once, survive rm, volume rm refused while a box uses one', async () => {
  ok(run('volume', 'create', 'shared'), 'volume create');
  const data = join(STORE, 'volumes', 'shared', '_data');
  assert.ok(statSync(data).isDirectory(), 'ROOT/volumes/NAME/_data');
  // A writer box (detached) and a reader box (--mount, read-only) use the volume at the same time.
  ok(run('run', '-d', '--name', 'vw', '-v', 'shared:/data', 'busybox', 'sh', '-c', 'echo hello > /data/msg; sleep 300'), 'writer');
  for (let i = 0; i < 100 && !existsSync(join(data, 'msg')); i++) await sleep(50);
  ok(run('run', '-d', '--name', 'vr', '--mount', 'type=volume,source=shared,target=/in,readonly', 'busybox', 'sleep', '300'), 'reader');
  assert.is(ok(run('exec', 'vr', 'cat', '/in/msg'), 'reader sees the writer\'s file'), 'hello\n');
  const roWrite = run('exec', 'vr', 'sh', '-c', 'echo x > /in/other');
  assert.is.not(roWrite.code, 0, 'readonly mount refuses writes');
  assert.match(roWrite.stderr, /Read-only file system/);
  ok(run('exec', 'vw', 'sh', '-c', 'echo again >> /data/msg'), 'writer appends');
  assert.is(ok(run('exec', 'vr', 'cat', '/in/msg'), 'reader'), 'hello\nagain\n', 'one directory, seen by both');

  const inspect = JSON.parse(ok(run('volume', 'inspect', 'shared'), 'inspect')) as { Name: string; Mountpoint: string; UsedBy: string[] }[];
  assert.is(inspect[0]!.Mountpoint, data);
  assert.is(inspect[0]!.UsedBy.length, 2, `both boxes use it: ${JSON.stringify(inspect)}`);
  const refused = run('volume', 'rm', 'shared');
  assert.is(refused.code, 125);
  assert.match(refused.stderr, /cannot remove volume shared: in use by container [0-9a-f]{12}, [0-9a-f]{12}/);
  ok(run('rm', '-f', 'vr'), 'rm reader');
  ok(run('stop', 'vw'), 'stop writer');
  assert.match(run('volume', 'rm', 'shared').stderr, /in use by container/, 'a stopped box still holds its volumes (as Docker)');
  ok(run('rm', 'vw'), 'rm writer');
  assert.is(readFileSync(join(data, 'msg'), 'utf8'), 'hello\nagain\n', 'the volume survives rm of both boxes');
  assert.match(ok(run('volume', 'ls'), 'ls'), /^local\s+shared$/m);
  // A new box finds the data; -v NAME of a volume that does not exist creates it.
  assert.is(ok(run('run', '--rm', '-v', 'shared:/d', 'busybox', 'cat', '/d/msg'), 'new box'), 'hello\nagain\n');
  ok(run('run', '--rm', '-v', 'fresh:/d', 'busybox', 'sh', '-c', 'echo f > /d/f'), 'auto-created volume');
  assert.is(readFileSync(join(STORE, 'volumes', 'fresh', '_data', 'f'), 'utf8'), 'f\n');
  ok(run('volume', 'rm', 'shared', 'fresh'), 'volume rm');
  assert.not.ok(existsSync(join(STORE, 'volumes', 'shared')), 'removed with its data');
  assert.match(run('volume', 'inspect', 'shared').stderr, /no such volume: shared/);
});

test('--mount tmpfs and bind in Docker\'s syntax; bad --mount and -v values are one line', () => {
  const host = join(BASE, 'bind-src');
  ok(run('volume', 'ls'), 'ls');
  writeFileSync(join(BASE, 'marker'), 'm\n');
  const out = ok(run('run', '--rm', '--mount', `type=bind,src=${BASE},dst=/b,ro`, '--mount=type=tmpfs,target=/t,tmpfs-size=1m', 'busybox', 'sh', '-c', 'cat /b/marker; grep " /t " /proc/mounts; touch /b/x 2>&1 || true'), 'run');
  assert.match(out, /^m\n/);
  assert.match(out, /tmpfs \/t tmpfs [^ ]*size=1024k/);
  assert.match(out, /Read-only file system/);
  assert.not.ok(existsSync(join(BASE, 'x')));
  for (const [args, pattern] of [
    [['--mount', 'type=bind,target=/x'], /type=bind needs source=ABSOLUTE-HOST-PATH/],
    [['--mount', 'type=volume,target=/x'], /anonymous volumes are not supported/],
    [['--mount', 'type=nfs,source=a,target=/x'], /type must be bind, volume or tmpfs/],
    [['--mount', 'type=volume,source=a,target=/x,colour=red'], /unknown field "colour"/],
    [['--mount', 'type=volume,source=a'], /target= is required/],
    [['-v', 'bad name:/x'], /a volume name/],
    [['-v', `${host}:/proc`], /nsbox mounts \/proc itself/],
  ] as const) {
    const r = run('run', '--rm', ...args, 'busybox', 'true');
    assert.is(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.is(r.stderr.trim().split('\n').filter((l) => !l.includes('hint:')).length, 1, r.stderr);
  }
  assert.not.ok(existsSync(join(STORE, 'volumes', 'a')), 'no volume was created by a refused run');
  // A bare --mount is still the mount namespace flag of a host box.
  ok(run('run', '--mount', '--', 'true'), 'bare --mount');
});

test.run();
