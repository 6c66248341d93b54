// Integration (root): `nsbox commit` and `nsbox export` of a busybox box's changes (a new file, a deleted image
// file, a replaced directory), commit refused while the box runs, block devices refused inside an image box, and
// nothing left behind: mounts, processes, cgroups (boxes go under NSBOX_CGROUP_PARENT=./imgcommit-<pid>).

import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ok, NSBOX, exitOf, isRoot, nsbox, startNsbox, waitForOutput, type Result } from '../helpers/nsbox.js';
import { snapshot, type Snapshot } from '../helpers/leaks.js';
import { detectCgroupHost, findProcCgroupPath } from '../../src/cgroup/detect.js';
import { dirOf } from '../../src/cgroup/layout.js';
import { canUseDevicesCgroup } from '../../src/rootfs/block-devices.js';
import { gatedTest, skipPart } from '../helpers/suite.js';

const skip = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skip);
const base = mkdtempSync(join(tmpdir(), 'nsbox-image-commit-'));
const root = join(base, 'store');
const containers = join(root, 'containers');
const PARENT = `imgcommit-${process.pid}`;
const ENV = { ...process.env, NSBOX_CGROUP_PARENT: `./${PARENT}`, NSBOX_STATE: join(base, 'state') };
/** The leak audit's scope: this file's own state dir (its boxes' processes, supervisors included) and cgroup parent. */
const OWN = { stateDirs: [ENV.NSBOX_STATE!], cgroupParents: [`./${PARENT}`] };
const host = detectCgroupHost();
const devicesCgroup = canUseDevicesCgroup(host);

const cli = (args: string[], input = ''): Result => nsbox(args, { env: ENV, input, timeoutMs: 60_000 });
const listContainers = (): string[] => (existsSync(containers) ? readdirSync(containers).sort() : []);
const inspect = (name: string): { layers: string[]; id: string; lowerDirs: string[]; config: unknown } =>
  JSON.parse(ok(cli(['image', 'inspect', '--root', root, name]), `inspect ${name}`));

/** Our parent cgroup on each v1 hierarchy / the v2 one (below this test's own cgroup). */
function parentDirs(): string[] {
  const dirs = new Set<string>();
  for (const h of host.hierarchies) {
    if (h.version === 1 && h.controllers.some((c) => c.startsWith('name='))) continue;
    dirs.add(dirOf({ mount: h.mount, path: `${(findProcCgroupPath(host.self, h) ?? '/').replace(/\/$/, '')}/${PARENT}` }));
  }
  return [...dirs];
}
/** Leftovers this file could have made: mounts and processes (all), cgroups (ours). */
async function assertClean(before: Snapshot, what: string): Promise<void> {
  let diff = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    const after = snapshot(OWN);
    const ours = (list: readonly string[]) => list.filter((c) => c.includes(PARENT));
    diff = [
      ['mounts', before.mounts, after.mounts],
      ['processes', before.processes, after.processes],
      ['cgroups', ours(before.cgroups), ours(after.cgroups).filter((c) => !parentDirs().includes(c))],
    ]
      .map(([k, b, a]) => [k, (a as string[]).filter((x) => !(b as string[]).includes(x)), (b as string[]).filter((x) => !(a as string[]).includes(x))] as const)
      .filter(([, added, removed]) => added.length + removed.length > 0)
      .map(([k, added, removed]) => `${k}: +[${added.join(', ')}] -[${removed.join(', ')}]`)
      .join('; ');
    if (!diff) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} leaked: ${diff}`);
}

let changed = ''; // the container with the changes
const CHANGES = 'echo hello > /hello.txt && rm /bin/ls && rm -rf /usr/sbin && mkdir /usr/sbin && echo x > /usr/sbin/only';

test.before(() => {
  if (skip) return;
  ok(cli(['image', 'import', '--root', root, '--from-host-busybox', 'busybox']), 'import busybox');
});

test.after(() => {
  rmSync(base, { recursive: true, force: true });
  for (const dir of parentDirs()) if (existsSync(dir)) rmdirSync(dir);
});

test('commit: a new file, a whiteout and an opaque dir land in one new layer on top of the shared base', async () => {
  const before = snapshot(OWN);
  const had = listContainers();
  ok(cli(['run', '--root', root, 'busybox', 'sh', '-c', CHANGES]), 'make changes');
  const made = listContainers().filter((c) => !had.includes(c));
  assert.is(made.length, 1, 'the run (without --rm) kept its container');
  changed = made[0]!;
  await assertClean(before, 'a run without --rm');

  const out = ok(cli(['commit', '--root', root, changed.slice(0, 10), 'busybox:changed']), 'commit');
  assert.match(out, /^committed busybox:changed [0-9a-f]{12} \(2 layers\)\n$/);
  const baseImage = inspect('busybox');
  const image = inspect('busybox:changed');
  assert.equal(image.layers.slice(0, 1), baseImage.layers, 'the base layer is the same digest');
  assert.is(image.layers.length, 2);
  assert.equal(image.config, baseImage.config, 'the config is the base image\'s');
  assert.is(readdirSync(join(root, 'layers')).length, 2, 'the base layer is stored once');

  // The new layer on disk: overlay whiteout for /bin/ls, opaque /usr/sbin, the new file.
  const layerFs = image.lowerDirs[0]!;
  const ls = lstatSync(join(layerFs, 'bin/ls'));
  assert.ok(ls.isCharacterDevice() && ls.rdev === 0, '/bin/ls is a whiteout in the new layer');
  assert.is(readFileSync(join(layerFs, 'hello.txt'), 'utf8'), 'hello\n');
  const opaque = execFileSync('getfattr', ['-h', '--only-values', '-n', 'trusted.overlay.opaque', join(layerFs, 'usr/sbin')], { encoding: 'utf8' });
  assert.is(opaque, 'y');
  assert.not.ok(existsSync(join(layerFs, 'etc/hostname')), 'the runtime\'s mount points are not in the layer');

  // Run the new image: both changes show; the base image is untouched.
  const seen = ok(cli(['run', '--rm', '--root', root, 'busybox:changed', 'sh', '-c', 'cat /hello.txt; [ -e /bin/ls ] && echo ls-there; ls /usr/sbin; [ -e /bin/cat ] && echo cat-there']), 'run committed');
  assert.is(seen, 'hello\nonly\ncat-there\n');
  const plain = ok(cli(['run', '--rm', '--root', root, 'busybox', 'sh', '-c', '[ -e /hello.txt ] && echo leaked; [ -e /bin/ls ] && echo ls-there']), 'run base');
  assert.is(plain, 'ls-there\n');

  // Committing the same container again: the same layer digests, stored once, the same image id.
  ok(cli(['commit', '--root', root, changed, 'busybox:again']), 'commit again');
  assert.is(inspect('busybox:again').id, image.id);
  assert.is(readdirSync(join(root, 'layers')).length, 2);
  assert.equal(readdirSync(join(root, 'tmp')), [], 'no work dir is left');
  await assertClean(before, 'commit');
});

test('export: the merged view as a tar (new file in, deleted file out), nothing mounted afterwards', async () => {
  assert.ok(changed, 'the commit test made a container');
  const before = snapshot(OWN);
  const file = join(base, 'export.tar');
  ok(cli(['export', '--root', root, changed.slice(0, 12), '-o', file]), 'export -o');
  const names = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n');
  for (const wanted of ['./hello.txt', './bin/cat', './usr/sbin/only', './etc/passwd', './proc/']) assert.ok(names.includes(wanted), `${wanted} in the export`);
  for (const gone of ['./bin/ls', './usr/sbin/chroot']) assert.not.ok(names.includes(gone), `${gone} not in the export`);
  assert.not.ok(names.some((n) => n.includes('.wh.')), 'no whiteout member in a merged export');
  const hello = execFileSync('tar', ['-xOf', file, './hello.txt'], { encoding: 'utf8' });
  assert.is(hello, 'hello\n');
  // To stdout: the same members.
  const piped = spawnSync('sh', ['-c', '"$0" export --root "$1" "$2" | tar -t', NSBOX, root, changed], { encoding: 'utf8', env: ENV });
  assert.is(piped.status, 0, piped.stderr);
  assert.equal(piped.stdout.split('\n').sort(), names.slice().sort());
  assert.equal(readdirSync(base).filter((n) => n.includes('.nsbox-')), [], 'no temp file beside the output');
  // A reader that stops early (head): quiet, 128+SIGPIPE as a shell reports it, nothing mounted (checked below).
  const early = spawnSync('bash', ['-c', '"$0" export --root "$1" "$2" | head -c 10 >/dev/null; echo "status=${PIPESTATUS[0]}"', NSBOX, root, changed], { encoding: 'utf8', env: ENV });
  assert.equal([early.stdout, early.stderr], ['status=141\n', ''], 'export | head ends quietly');
  // Bad input: unknown container, nothing written.
  const bad = cli(['export', '--root', root, 'nosuchbox', '-o', join(base, 'bad.tar')]);
  assert.is(bad.code, 125);
  assert.match(bad.stderr, /^nsbox: no such container: nosuchbox$/m);
  assert.not.ok(existsSync(join(base, 'bad.tar')));
  await assertClean(before, 'export');
});

test('commit refuses a running box (exit 125, one line), then works once it has stopped', async () => {
  const before = snapshot(OWN);
  const had = listContainers();
  const child = startNsbox(['run', '--root', root, 'busybox', 'sh', '-c', 'trap "exit 0" TERM; echo data > /running.txt; echo ready; while :; do sleep 0.1; done'], ENV);
  try {
    await waitForOutput(child, (o) => o.includes('ready'), 20_000);
    const id = listContainers().filter((c) => !had.includes(c))[0]!;
    const r = cli(['commit', '--root', root, id, 'busybox:running']);
    assert.is(r.code, 125, r.stderr);
    assert.match(r.stderr, /^nsbox: cannot commit container [0-9a-f]{12}: it is running/);
    assert.is(r.stderr.split('\n').filter((l) => l && !l.startsWith('nsbox: hint:')).length, 1, 'one line');
    assert.not.ok(existsSync(join(root, 'images', 'busybox%3Arunning.json')), 'no image was made');
    child.kill('SIGTERM');
    await exitOf(child);
    const out = ok(cli(['commit', '--root', root, id, 'busybox:stopped']), 'commit after stop');
    assert.match(out, /committed busybox:stopped/);
    assert.is(ok(cli(['run', '--rm', '--root', root, 'busybox:stopped', 'cat', '/running.txt']), 'run'), 'data\n');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exitOf(child);
  }
  await assertClean(before, 'running commit');
});

test('block devices: mknod of one fails inside an image box (a char device still works); --explain says why', async () => {
  const before = snapshot(OWN);
  const out = ok(cli(['run', '--rm', '--root', root, 'busybox', 'sh', '-c', 'mknod /tmp/blk b 8 0 2>/dev/null && echo block-made || echo block-refused; grep CapBnd /proc/self/status']), 'mknod');
  assert.match(out, /^block-refused\n/);
  const capBnd = BigInt(`0x${/CapBnd:\s+([0-9a-f]+)/.exec(out)![1]}`);
  const hasMknod = (capBnd & (1n << 27n)) !== 0n;
  assert.not.ok(hasMknod, 'by default CAP_MKNOD is out of the bounding set');
  assert.match(ok(cli(['run', '--rm', '--root', root, '--dry-run', 'busybox', 'true']), 'dry-run'), /CAP_MKNOD is left out/);
  if (devicesCgroup) {
    // --cap-add MKNOD: character devices work (as in Docker), block devices are denied by the v1 devices cgroup
    const explain = ok(cli(['run', '--rm', '--root', root, '--cap-add', 'MKNOD', '--dry-run', 'busybox', 'true']), 'dry-run');
    assert.match(explain, /devices\.deny/);
    assert.match(explain, /c 1:3 rwm/);
    const both = ok(cli(['run', '--rm', '--root', root, '--cap-add', 'MKNOD', 'busybox', 'sh', '-c', 'mknod /tmp/c c 1 3 && echo char-made; mknod /tmp/blk b 8 0 2>/dev/null && echo block-made || echo block-refused']), 'cap-add');
    assert.is(both, 'char-made\nblock-refused\n');
  } else skipPart('--cap-add MKNOD with the devices cgroup', 'no cgroup v1 devices hierarchy here');
  const privileged = ok(cli(['run', '--rm', '--root', root, '--privileged', 'busybox', 'sh', '-c', 'mknod /tmp/blk b 8 0 && echo block-made']), 'privileged');
  assert.is(privileged, 'block-made\n');
  await assertClean(before, 'mknod');
});

test('commit: bad input is one line, exit 125, nothing created', () => {
  const images = readdirSync(join(root, 'images')).sort();
  for (const [args, message] of [
    [['nosuch', 'x:y'], /^nsbox: no such container: nosuch$/m],
    [[changed, 'Bad:Name'], /^nsbox: invalid image name "Bad:Name"/m],
    [['', 'x'], /^nsbox: invalid container ""/m],
  ] as const) {
    const r = cli(['commit', '--root', root, ...args]);
    assert.is(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.equal(readdirSync(join(root, 'images')).sort(), images);
});

test.run();
