// Integration (root), threat classes "devices" and "--rootfs trust" (SECURITY.md).
// Devices: with --cap-add MKNOD a box may make device nodes, but open only Docker's default list. The victim is the
// host's first virtual console: the host writes a marker on it, and a box that makes /dev/vcs1's node (7:1) on a
// tmpfs mounted with `dev` could read the screen back. The box's devices cgroup is read from the host side too.
// --rootfs: a directory that another user could change (group/other-writable or foreign-owned, itself or above)
// is refused with one line, exit 125, nothing created, the victim unchanged.

import * as assert from 'uvu/assert';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { detectCgroupHost } from '../../src/cgroup/detect.js';
import { canUseDevicesCgroup, DEVICES_ALLOW } from '../../src/rootfs/block-devices.js';
import { assertVictimIntact, fingerprint, makeVictim, type Victim } from './containment-fixtures.js';
import { gatedTest, skipPart } from '../helpers/suite.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);
const devicesCgroup = isRoot && canUseDevicesCgroup(detectCgroupHost());

const base = mkdtempSync(join(tmpdir(), 'nsbox-contain-dev-'));
const root = join(base, 'store');
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: root, NSBOX_STATE: join(base, 'state'), NSBOX_IMAGE_NETWORK: 'none' };
const cli = (args: string[]): Result => nsbox(args, { env: ENV, timeoutMs: 60_000 });
const containers = (): string[] => (existsSync(join(root, 'containers')) ? readdirSync(join(root, 'containers')) : []);
let victim: Victim;
let busyboxFs = '';

test.before(() => {
  if (skipReason) return;
  victim = makeVictim(base);
  const r = cli(['image', 'import', '--from-host-busybox', 'busybox']);
  assert.is(r.code, 0, r.stderr);
  busyboxFs = (JSON.parse(cli(['image', 'inspect', 'busybox']).stdout) as { lowerDirs: string[] }).lowerDirs[0]!;
});

test.after(() => {
  if (!skipReason) cli(['rm', '-f', 'devbox']);
  rmSync(base, { recursive: true, force: true });
});

test('--cap-add MKNOD: a box makes device nodes but opens only Docker\'s default devices (the host\'s console screen stays unread)', async () => {
  if (!devicesCgroup) return skipPart('the devices cgroup check', 'no cgroup v1 devices hierarchy here (the refusal is unit-tested)');
  if (!existsSync('/dev/tty1') || !existsSync('/dev/vcs1')) return skipPart('the tty1/vcs1 victim check', 'this host has no /dev/tty1 and /dev/vcs1 (the victim)');
  const marker = `nsbox-vcs-${randomBytes(6).toString('hex')}`;
  writeFileSync('/dev/tty1', `${marker}\n`);
  assert.ok(readFileSync('/dev/vcs1').toString('latin1').includes(marker), 'the host can read its marker back from /dev/vcs1');
  const before = fingerprint(victim);
  const script = [
    'mknod /mnt/vcs c 7 1 && echo made-vcs',
    'head -c 65536 /mnt/vcs 2>/dev/null | tr -s " "',
    'mknod /mnt/null c 1 3 && echo hi > /mnt/null && echo own-null-opens',
    'mknod /mnt/disk b 8 0 2>/dev/null && echo made-block || echo block-refused',
    'echo hi > /dev/null && echo dev-null-opens',
  ].join('; ');
  const r = cli(['run', '--rm', '--cap-add', 'MKNOD', '--tmpfs', '/mnt:dev', 'busybox', 'sh', '-c', script]);
  const out = r.stdout + r.stderr;
  assert.is(r.code, 0, out);
  assert.match(r.stdout, /made-vcs/, 'CAP_MKNOD works: the node is made');
  assert.not.ok(out.includes(marker), `the box read the host's console: ${out}`);
  assert.match(r.stdout, /own-null-opens/, 'a node of an allowed device opens');
  assert.match(r.stdout, /block-refused/);
  assert.match(r.stdout, /dev-null-opens/);
  await assertVictimIntact(victim, before, out, [join(root, 'containers')], 'mknod');
});

test('--cap-add MKNOD: the box\'s devices cgroup, read from the host, is the allow-list', () => {
  if (!devicesCgroup) return skipPart('the devices cgroup check', 'no cgroup v1 devices hierarchy here');
  const started = cli(['run', '-d', '--name', 'devbox', '--cap-add', 'MKNOD', 'busybox', 'sleep', '600']);
  assert.is(started.code, 0, started.stderr);
  try {
    // The box's record (its state file) names its cgroups.
    const id = started.stdout.trim();
    const record = JSON.parse(readFileSync(join(base, 'state', 'boxes', id, 'state.json'), 'utf8')) as { cgroup?: { dirs?: string[] } };
    const dirs = record.cgroup?.dirs ?? [];
    const dir = dirs.find((d) => d.includes('/devices/'));
    assert.ok(dir, `the box has a devices cgroup: ${JSON.stringify(dirs)}`);
    const list = readFileSync(join(dir!, 'devices.list'), 'utf8').trim().split('\n').sort();
    // Docker's default devices, written out here (not nsbox's own constant): null, zero, full, random, urandom,
    // tty, console, ptmx, the pts, and mknod of any character device.
    const expected = ['c *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm'];
    assert.equal(list, expected.sort(), 'devices.list is exactly the allow-list (no "a *:* rwm")');
    assert.equal([...DEVICES_ALLOW].sort(), expected.sort(), 'the plan\'s list is the same');
  } finally {
    cli(['rm', '-f', 'devbox']);
  }
});

test('the host\'s device nodes in a box\'s /dev stay the host\'s: chmod, chown and touch refused, the host\'s inodes unchanged; the devices still work', () => {
  // The victims are the host's own nodes (the box's are bind mounts of them); the attempts keep mode and owner as
  // they are, so a failing run changes only their ctime and mtime.
  const nodes = ['null', 'zero', 'full', 'random', 'urandom'];
  const stamp = (): string[] => nodes.map((n) => { const st = statSync(`/dev/${n}`); return `${n} ${st.mode.toString(8)} ${st.uid}:${st.gid} c${st.ctimeMs} m${st.mtimeMs} ${st.rdev}`; });
  const before = stamp();
  const script = nodes.map((n) => {
    const mode = (statSync(`/dev/${n}`).mode & 0o7777).toString(8);
    return `chmod ${mode} /dev/${n} 2>/dev/null && echo chmod-${n}; chown 0:0 /dev/${n} 2>/dev/null && echo chown-${n}; touch /dev/${n} 2>/dev/null && echo touch-${n}`;
  }).concat(['echo data > /dev/null && echo null-writes', 'head -c 4 /dev/zero | od -An -tx1 | tr -d " \\n"; echo', 'head -c 8 /dev/urandom | wc -c']).join('; ');
  const r = cli(['run', '--rm', 'busybox', 'sh', '-c', script]);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stdout, /chmod-|chown-|touch-/, `the box changed a host device node: ${r.stdout}`);
  assert.equal(r.stdout.trim().split('\n'), ['null-writes', '00000000', '8'], 'the devices themselves work');
  assert.equal(stamp(), before, 'the host\'s device nodes are unchanged');
});

/** A copy of the busybox tree at dir, root-owned, mode 0755. */
function makeRootfs(dir: string): void {
  mkdirSync(dir, { recursive: true });
  cpSync(busyboxFs, dir, { recursive: true, verbatimSymlinks: true });
  chmodSync(dir, 0o755);
}

test('--rootfs: a directory another user could change is refused (one line, 125, nothing made); a root-only one runs', async () => {
  const before = fingerprint(victim);
  const shared = join(base, 'shared');
  makeRootfs(join(shared, 'rootfs'));
  chmodSync(shared, 0o777);
  const foreign = join(base, 'foreign');
  makeRootfs(join(foreign, 'rootfs'));
  chmodSync(foreign, 0o755);
  chownSync(foreign, 1000, 1000);
  const itself = join(base, 'itself');
  makeRootfs(itself);
  chmodSync(itself, 0o775);
  const cases: [string, RegExp][] = [
    [join(shared, 'rootfs'), new RegExp(`${shared} is writable by group and others \\(mode 0777\\)`)],
    [join(foreign, 'rootfs'), new RegExp(`${foreign} is owned by uid 1000, not root`)],
    [itself, new RegExp(`${itself} is writable by its group \\(mode 0775\\)`)],
  ];
  for (const [dir, reason] of cases) {
    const r = cli(['run', '--rm', '--rootfs', dir, '--', '/bin/sh', '-c', `cat ${victim.marker}; echo pwned > ${victim.dir}/pwned`]);
    assert.is(r.code, 125, `${dir}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, reason);
    assert.match(r.stderr, /a user other than root could change it/);
    assert.is(r.stderr.split('\n').filter((l) => l && !l.startsWith('nsbox: hint:')).length, 1, `one line: ${r.stderr}`);
    assert.equal(containers(), [], 'nothing created');
    await assertVictimIntact(victim, before, r.stdout + r.stderr, [], `--rootfs ${dir}`);
  }
  const good = join(base, 'good');
  makeRootfs(join(good, 'rootfs'));
  chmodSync(good, 0o700);
  const r = cli(['run', '--rm', '--rootfs', join(good, 'rootfs'), '--', '/bin/sh', '-c', 'echo ran']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'ran\n');
});

test.run();
