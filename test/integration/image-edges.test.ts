// Integration (root): image boxes at the edges a hostile image or an odd host path reaches, each checked against a
// victim on the host: a store path with "," ":" "=" (overlay options), /proc in the image as a file or a relative
// symlink aimed at the victim, writes to /sys and /sys/fs/cgroup, a read-only volume whose source has a submount,
// and sensitive volume sources (the host's root, /proc, a runtime socket).

import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';
import { hashTree } from './image-fixtures.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-edges-'));
const victim = join(base, 'victim');
const state = join(base, 'state');
const env = { ...process.env, NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none' };
const inStore = (store: string, args: string[], input = ''): Result => nsbox([...args.slice(0, 1), '--root', store, ...args.slice(1)], { env, input, timeoutMs: 60_000 });
const containersOf = (store: string): string[] => (existsSync(join(store, 'containers')) ? readdirSync(join(store, 'containers')) : []);
const victimState = async () => `${await hashTree(victim, { exact: true })}\nbeside: ${readdirSync(base).sort().join(' ')}`;
const store = join(base, 'store');

test.before(() => {
  mkdirSync(state); // made before any victim snapshot: every image box is recorded there
  mkdirSync(join(victim, 'dir'), { recursive: true });
  writeFileSync(join(victim, 'file'), 'victim\n');
  writeFileSync(join(victim, 'dir', 'precious'), 'do not touch\n');
  const r = inStore(store, ['image', 'import', '--from-host-busybox', 'busybox']);
  assert.is(r.code, 0, r.stderr);
});

test.after(() => {
  rmSync(base, { recursive: true, force: true });
});

test('a store path with "," ":" and "=" runs (overlay options escaped); one that spells "upperdir=VICTIM" writes only to its own upper layer', async () => {
  for (const name of ['st,o:r=e', `x,upperdir=${join(victim, 'dir')},workdir=${victim}`]) {
    const odd = join(base, 'odd', name);
    mkdirSync(odd, { recursive: true });
    const imported = inStore(odd, ['image', 'import', '--from-host-busybox', 'busybox']);
    assert.is(imported.code, 0, imported.stderr);
    const before = snapshot({ stateDirs: [state] });
    const victimBefore = await victimState();
    const r = inStore(odd, ['run', 'busybox', 'sh', '-c', 'echo pwned > /precious; echo pwned > /new; cat /bin/busybox >/dev/null && echo ok']);
    assert.is(r.code, 0, `${name}: ${r.stderr}`);
    assert.is(r.stdout, 'ok\n');
    const [id] = containersOf(odd);
    assert.ok(id, `${name}: the container is kept (no --rm)`);
    assert.is(readFileSync(join(odd, 'containers', id!, 'upper', 'new'), 'utf8'), 'pwned\n', `${name}: the write is in the container's own upper layer`);
    assert.fixture(await victimState(), victimBefore, `${name}: the victim is unchanged`);
    // nsbox rm, not a removal by hand: the box's record in the state dir goes too (the leak audit counts it).
    const removed = nsbox(['rm', id!], { env: { ...env, NSBOX_ROOT: odd }, timeoutMs: 60_000 });
    assert.is(removed.code, 0, removed.stderr);
    assert.equal(containersOf(odd), [], `${name}: rm removed the container dir`);
    await assertNoLeaks(before, name);
  }
});

test('/proc in the image as a regular file, or as a relative symlink aimed at the victim: refused, nothing mounted or left', async () => {
  const busyboxFs = (JSON.parse(inStore(store, ['image', 'inspect', 'busybox']).stdout) as { lowerDirs: string[] }).lowerDirs[0]!;
  // From <store>/containers/<id>/rootfs, "../../../../victim" is <base>/victim: where a mount that followed the
  // link on the host side would land.
  const cases: [string, (fs: string) => void, RegExp][] = [
    ['a regular file', (fs) => writeFileSync(join(fs, 'proc'), 'not a directory\n'), /\/proc is a file in the image/],
    ['a relative symlink', (fs) => symlinkSync('../../../../victim/dir', join(fs, 'proc')), /\/proc is a symlink in the image/],
    ['a relative symlink in /sys', (fs) => symlinkSync('../../../../victim', join(fs, 'sys')), /\/sys is a symlink in the image/],
  ];
  for (const [what, plant, pattern] of cases) {
    const tree = join(base, 'tree');
    rmSync(tree, { recursive: true, force: true });
    cpSync(busyboxFs, tree, { recursive: true, verbatimSymlinks: true });
    rmSync(join(tree, what.includes('/sys') ? 'sys' : 'proc'), { recursive: true, force: true });
    plant(tree);
    const imported = inStore(store, ['image', 'import', tree, 'hostile']);
    assert.is(imported.code, 0, `${what}: ${imported.stderr}`);
    const before = snapshot({ stateDirs: [state] });
    const victimBefore = await victimState();
    const r = inStore(store, ['run', '--rm', 'hostile', 'sh', '-c', '(echo pwned > /proc/precious); cat /proc/self/status']);
    assert.is(r.code, 125, `${what}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, pattern, what);
    assert.fixture(await victimState(), victimBefore, `${what}: the victim is unchanged`);
    assert.equal(containersOf(store), [], `${what}: no container left`);
    await assertNoLeaks(before, what);
    assert.is(inStore(store, ['image', 'rm', 'hostile']).code, 0);
  }
});

test('writes to /sys and /sys/fs/cgroup from a box fail; no cgroup appears on the host', async () => {
  const selfCgroups = readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean);
  const pidsLine = selfCgroups.find((l) => l.split(':')[1] === 'pids') ?? selfCgroups.find((l) => l.split(':')[1] === '');
  assert.ok(pidsLine, 'this process has a pids (or v2) cgroup');
  const hostPids = existsSync('/sys/fs/cgroup/pids') ? '/sys/fs/cgroup/pids' : '/sys/fs/cgroup';
  const escape = join(hostPids, 'nsbox-edges-escape');
  const before = snapshot({ stateDirs: [state], watch: [escape, join(hostPids, 'cgroup.procs')] });
  const script = [
    // Each write puts back the value already there, and each cgroup file is opened for writing with nothing
    // written: if one ever succeeds, the host is still unchanged. (Subshells: a failed redirection ends only them.)
    '(v=$(cat /sys/kernel/mm/ksm/run) && echo "$v" > /sys/kernel/mm/ksm/run) 2>/dev/null && echo ksm-writable',
    '(: >> /sys/kernel/uevent_helper) 2>/dev/null && echo sys-writable',
    'for d in /sys/fs/cgroup /sys/fs/cgroup/pids /sys/fs/cgroup/unified; do mkdir $d/nsbox-edges-escape 2>/dev/null && echo mkdir-$d; done',
    'for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/cgroup.subtree_control; do (: >> $f) 2>/dev/null && echo wrote-$f; done',
    'mount -t cgroup2 none /mnt 2>/dev/null && echo cgroup2-mounted',
    'mount -t cgroup -o pids none /mnt 2>/dev/null && echo cgroup1-mounted',
    'mount -o remount,rw /sys 2>/dev/null && echo sys-remounted',
    'echo done',
  ].join('\n');
  const r = inStore(store, ['run', '--rm', 'busybox', 'sh', '-c', script]);
  const escaped = existsSync(escape);
  if (escaped) execFileSync('rmdir', [escape]); // a broken build made it: take it away again
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'done\n', `every write failed: ${r.stdout}`);
  assert.not.ok(escaped, 'no cgroup was made on the host');
  await assertNoLeaks(before, '/sys writes');
});

test('a read-only volume whose source has a submount: neither the volume nor the submount can be written', async () => {
  const src = join(base, 'vol');
  const sub = join(src, 'sub');
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, 'under'), 'under the mount\n');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'nsbox-edges', sub]);
  try {
    writeFileSync(join(sub, 'on-tmpfs'), 'on the submount\n');
    const srcBefore = execFileSync('sh', ['-c', `ls -la --time-style=full-iso ${src} ${sub}; cat ${sub}/on-tmpfs`], { encoding: 'utf8' });
    const before = snapshot({ stateDirs: [state] });
    const script = [
      '(echo x > /data/new) 2>/dev/null && echo volume-writable',
      '(echo x > /data/sub/new) 2>/dev/null && echo submount-writable',
      '(echo x > /data/sub/on-tmpfs) 2>/dev/null && echo submount-file-writable',
      'mount -o remount,rw /data 2>/dev/null && echo remounted',
      'echo done',
    ].join('\n');
    const r = inStore(store, ['run', '--rm', '-v', `${src}:/data:ro`, 'busybox', 'sh', '-c', script]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, 'done\n', `every write failed: ${r.stdout}`);
    const srcAfter = execFileSync('sh', ['-c', `ls -la --time-style=full-iso ${src} ${sub}; cat ${sub}/on-tmpfs`], { encoding: 'utf8' });
    assert.fixture(srcAfter, srcBefore, 'the source and its submount are unchanged');
    await assertNoLeaks(before, 'ro volume with a submount');
  } finally {
    execFileSync('umount', [sub]);
  }
});

test('sensitive volume sources (the host\'s root, /proc, /sys, a runtime socket) warn, naming the risk; --privileged does not', () => {
  const socketDir = join(base, 'run');
  mkdirSync(socketDir, { recursive: true });
  const cases: [string, RegExp][] = [
    ['/:/host:ro', /the host's root/],
    ['/proc:/hostproc:ro', /\/proc/],
    ['/sys:/hostsys:ro', /\/sys/],
    [`${base}/lnk:/host:ro`, /the host's root/], // a symlink to / is the root too
  ];
  symlinkSync('/', join(base, 'lnk'));
  // A runtime socket: a unix socket named like Docker's (a real one is not there, and must not be touched).
  execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', join(socketDir, 'docker.sock')]);
  cases.push([`${socketDir}/docker.sock:/var/run/docker.sock`, /container runtime's socket \(docker\.sock\)/]);
  for (const [volume, pattern] of cases) {
    const r = inStore(store, ['run', '--rm', '-v', volume, 'busybox', 'true']);
    assert.is(r.code, 0, `${volume}: ${r.stderr}`);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('nsbox: warning:'));
    assert.is(warnings.length, 1, `${volume}: one warning: ${r.stderr}`);
    assert.match(warnings[0]!, pattern, volume);
    const quiet = inStore(store, ['run', '--rm', '--privileged', '-v', volume, 'busybox', 'true']);
    assert.is(quiet.code, 0, quiet.stderr);
    assert.not.match(quiet.stderr, /warning/, `${volume} with --privileged`);
  }
  const plain = inStore(store, ['run', '--rm', '-v', `${socketDir}:/run/x:ro`, 'busybox', 'true']);
  assert.is(plain.code, 0, plain.stderr);
  assert.not.match(plain.stderr, /warning/, 'an ordinary directory does not warn');
  assert.equal(containersOf(store), []);
});

test.run();
