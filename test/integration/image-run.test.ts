// Integration (root): `nsbox run IMAGE` end to end against a temp store: busybox and a multi-layer OCI image with
// whiteouts, copy-on-write, --rm, hardening seen from inside, volumes, tmpfs, --read-only, image config, hostile
// images (symlinked mount destinations, with a victim on the host), bad flags, and no leaked mounts.

import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ok, NSBOX, isRoot, nsbox, type Result } from '../helpers/nsbox.js';
import { snapshot as fullSnapshot, type Snapshot } from '../helpers/leaks.js';
import { hashTree, packTar, treeEntries, writeDockerSave, writeOciLayout, type FixtureEntry } from './image-fixtures.js';
import { gatedTest } from '../helpers/suite.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-image-run-'));
const root = join(base, 'store');
const containers = join(root, 'containers');
// Every image box is recorded: its record goes to a state dir of this test's own, never the host's /run/nsbox.
process.env.NSBOX_STATE = join(base, 'state');
const run = (args: string[], input = ''): Result => nsbox(['run', '--root', root, ...args], { input, timeoutMs: 60_000 });
const leftContainers = (): string[] => (existsSync(containers) ? readdirSync(containers) : []);
const victim = join(base, 'victim');

/**
 * The leak audit of test/helpers/leaks.ts, limited to what an image box can leave (mounts and processes; these
 * tests ask for no cgroup and no network): other suites running at the same time add and remove cgroups and links.
 */
const snapshot = (): Snapshot => fullSnapshot();
async function assertNoLeaks(before: Snapshot, what: string): Promise<void> {
  let diff = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    const after = fullSnapshot();
    diff = (['mounts', 'processes'] as const)
      .map((k) => [k, after[k].filter((x) => !before[k].includes(x)), before[k].filter((x) => !after[k].includes(x))] as const)
      .filter(([, added, removed]) => added.length + removed.length > 0)
      .map(([k, added, removed]) => `${k}: +[${added.join(', ')}] -[${removed.join(', ')}]`)
      .join('; ');
    if (!diff && leftContainers().length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} leaked: ${diff || `containers ${leftContainers().join(', ')}`}`);
}

let busyboxFs = '';
const importTar = async (name: string, entries: FixtureEntry[]): Promise<void> => {
  const file = join(base, `${name}.tar`);
  writeFileSync(file, await packTar(entries));
  const r = nsbox(['image', 'import', '--root', root, file, name], { timeoutMs: 60_000 });
  assert.is(r.code, 0, r.stderr);
};

test.before(async () => {
  if (skipReason) return;
  const r = nsbox(['image', 'import', '--root', root, '--from-host-busybox', 'busybox'], { timeoutMs: 60_000 });
  assert.is(r.code, 0, r.stderr);
  const inspect = JSON.parse(nsbox(['image', 'inspect', '--root', root, 'busybox']).stdout) as { lowerDirs: string[] };
  busyboxFs = inspect.lowerDirs[0]!;
  mkdirSync(join(victim, 'dir'), { recursive: true });
  writeFileSync(join(victim, 'dir', 'precious'), 'do not touch\n');
  writeFileSync(join(victim, 'file'), 'victim file\n');
});

test.after(() => {
  rmSync(base, { recursive: true, force: true });
  rmSync('/tmp/nsbox-host-marker', { force: true });
});

test('busybox: CMD words replace the image\'s Cmd; without them its Cmd (sh) reads stdin', async () => {
  const before = snapshot();
  assert.is(ok(run(['--rm', 'busybox', 'echo', 'hi there']), 'echo'), 'hi there\n');
  assert.is(ok(run(['--rm', 'busybox'], 'echo from-sh; hostname | wc -c\n'), 'sh'), 'from-sh\n13\n');
  assert.is(run(['--rm', 'busybox', 'sh', '-c', 'exit 42']).code, 42);
  assert.equal(leftContainers(), [], '--rm leaves no container');
  await assertNoLeaks(before, 'busybox runs');
});

// The plan's words may hold {box}, {holder} and {script:NAME}, which the executor fills (a PID, a script's text):
// the command's words are data and must reach the box as they are. Before, `echo '{holder}'` was an internal error
// ("{holder} used before it was launched"), an image whose Cmd said {box} could not run, and {script:init} gave the
// command nsbox's init script.
test('command words that look like nsbox\'s placeholders reach the box as they are: run, run -d, --dry-run by sh, a host-root box', async () => {
  const before = snapshot();
  const words = ['{box}', 'a{holder}b', '{script:init}', 'X={script:reaper}'];
  const expected = `${words.join(' ')}\n`;
  assert.is(ok(run(['--rm', 'busybox', 'echo', ...words]), 'run --rm'), expected);
  const id = ok(run(['-d', 'busybox', 'echo', ...words]), 'run -d').trim();
  ok(nsbox(['wait', id]), 'wait');
  assert.is(ok(nsbox(['logs', id]), 'logs'), expected, 'a detached box (its supervisor\'s words)');
  ok(nsbox(['rm', id]), 'rm');
  const dry = ok(run(['--dry-run', '--rm', 'busybox', 'echo', ...words]), 'dry-run');
  const bySh = spawnSync('sh', [], { input: dry, encoding: 'utf8', env: { PATH: process.env.PATH } });
  assert.is(bySh.stdout, expected, `the --dry-run script, run by sh: ${bySh.stderr}`);
  assert.is(ok(nsbox(['run', '--rm', '--uts', '--', 'echo', ...words]), 'host-root run'), expected);
  assert.equal(leftContainers(), []);
  await assertNoLeaks(before, 'placeholder words');
});

// An image's WorkingDir becomes directories of the init layer (plan steps): before, a {box} in it was filled with a
// PID there, so the box's cd to the image's path failed and it could not start (125).
test('an image WorkingDir that looks like nsbox\'s placeholders is made and entered as it is: run, --dry-run by sh', async () => {
  const before = snapshot();
  const workdir = '/w{box}/a{holder}b';
  const file = join(base, 'workdir-words.tar');
  await writeDockerSave(file, { layers: [treeEntries(busyboxFs, '')], config: { WorkingDir: workdir, Cmd: ['pwd'] } });
  ok(nsbox(['image', 'import', '--root', root, file, 'workdir-words']), 'import');
  assert.is(ok(run(['--rm', 'workdir-words']), 'run --rm'), `${workdir}\n`);
  const dry = ok(run(['--dry-run', '--rm', 'workdir-words']), 'dry-run');
  const bySh = spawnSync('sh', [], { input: dry, encoding: 'utf8', env: { PATH: process.env.PATH } });
  assert.is(bySh.stdout, `${workdir}\n`, `the --dry-run script, run by sh: ${bySh.stderr}`);
  ok(nsbox(['image', 'rm', '--root', root, 'workdir-words']), 'image rm');
  assert.equal(leftContainers(), []);
  await assertNoLeaks(before, 'placeholder workdir');
});

test('copy-on-write: a write lands in the container\'s upper layer, not in the image, not in a second box', async () => {
  const before = snapshot();
  const image = await hashTree(busyboxFs);
  ok(run(['busybox', 'sh', '-c', 'echo data > /etc/new-file; rm /bin/ls']), 'write');
  const [id] = leftContainers();
  assert.ok(id, 'without --rm the container stays');
  assert.is(readFileSync(join(containers, id!, 'upper', 'etc', 'new-file'), 'utf8'), 'data\n');
  assert.is(readFileSync(join(containers, id!, 'image'), 'utf8').trim(), 'busybox:latest');
  assert.is(await hashTree(busyboxFs), image, 'the image layer is unchanged');
  assert.is(run(['--rm', 'busybox', 'sh', '-c', 'test -e /etc/new-file || test ! -e /bin/ls']).code, 1, 'a second box sees the image, not the first box\'s writes');
  const refused = nsbox(['image', 'rm', '--root', root, 'busybox']);
  assert.is(refused.code, 125, 'image rm refuses while the container exists');
  assert.match(refused.stderr, new RegExp(`in use by box ${id!.slice(0, 12)}`), 'and names the box');
  // The foreground box without --rm is recorded, as in Docker: ps -a lists it, rm removes it with its container.
  const listed = JSON.parse(nsbox(['ps', '-a', '--json']).stdout) as Array<{ id: string; status: string; exitCode: number }>;
  assert.equal(listed.map((b) => [b.id, b.status, b.exitCode]), [[id, 'exited', 0]]);
  assert.is(nsbox(['rm', id!.slice(0, 12)]).code, 0);
  assert.not.ok(existsSync(join(containers, id!)), 'rm removes the container directory');
  await assertNoLeaks(before, 'copy-on-write');
});

/** Which of these paths the host's kernel has (the box's fresh /proc and /sys show the same), file or directory. */
function existingKernelPaths(paths: readonly string[]): { path: string; kind: 'file' | 'directory' }[] {
  return paths.flatMap((path) => {
    try {
      const info = lstatSync(path);
      return info.isSymbolicLink() ? [] : [{ path, kind: info.isDirectory() ? 'directory' as const : 'file' as const }];
    } catch {
      return []; // absent on this kernel
    }
  });
}

test('hardened: host unreachable, Docker\'s caps, no_new_privs, masked and read-only /proc, no usable block device, fds 0-2', async () => {
  writeFileSync('/tmp/nsbox-host-marker', 'host\n');
  // Docker's lists (moby oci/defaults.go), written out here: nsbox's own constant would agree with itself.
  const masked = existingKernelPaths(['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap']);
  const readOnly = existingKernelPaths(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  const script = [
    'test -e /tmp/nsbox-host-marker && echo marker-visible',
    'echo root=$(readlink /proc/1/root)',
    'grep -E "^(CapBnd|CapEff|NoNewPrivs):" /proc/self/status | tr -d "\\t"',
    'echo x > /proc/sys/kernel/domainname 2>/dev/null && echo sys-writable',
    'echo h > /proc/sysrq-trigger 2>/dev/null && echo sysrq-writable',
    // Masked: a file is the null device (1:3) bind-mounted over it, a directory an empty tmpfs (a 0-byte read
    // proves nothing: without CAP_SYS_RAWIO /proc/kcore reads nothing anyway).
    ...masked.map(({ path, kind }) => kind === 'file'
      ? `echo "mask ${path} $(stat -c %t:%T ${path}) $(grep -c " ${path} " /proc/self/mountinfo)"`
      : `echo "mask ${path} $(ls -A ${path} | wc -l) $(grep " ${path} " /proc/self/mountinfo | grep -c " - tmpfs ")"`),
    // Read-only: the options of the top mount at the path (field 6 of mountinfo).
    ...readOnly.map(({ path }) => `echo "ro ${path} $(awk '$5 == "${path}" { o = $6 } END { print o }' /proc/self/mountinfo)"`),
    'mknod /tmp/blk b 8 0 2>/dev/null && echo block-made; head -c 1 /tmp/blk >/dev/null 2>&1 && echo block-readable',
    'echo fds=$(ls /proc/self/fd | tr "\\n" " ")',
    'echo dev=$(ls /dev | tr "\\n" " ")',
    'touch /dev/.nsbox/setpriv 2>/dev/null && echo toolbox-writable',
    'touch /dev/.nsbox/new 2>/dev/null && echo toolbox-addable',
    'mv /dev/.nsbox /dev/moved 2>/dev/null && echo toolbox-renamed',
    // The toolbox is one read-only mount of a directory holding the box's tools and its seccomp program.
    'echo "toolbox-mounts $(awk \'$5 ~ "^/dev/.nsbox" { n++; o = $6 } END { print n, o }\' /proc/self/mountinfo)"',
    'test -x /dev/.nsbox/setpriv && test -s /dev/.nsbox/seccomp.bpf && echo toolbox-complete',
    'echo pid=$$',
  ].join('\n');
  const before = snapshot();
  // An extra inherited fd (no close-on-exec) must not reach the box.
  const r = spawnSync('bash', ['-c', 'exec 7</etc/hostname 251</etc/hostname; exec "$0" "$@"', NSBOX, 'run', '--root', root, '--rm', 'busybox', 'sh', '-c', script], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const out = r.stdout;
  assert.not.match(out, /marker-visible|sys-writable|sysrq-writable|block-made|block-readable|toolbox-writable|toolbox-addable|toolbox-renamed/);
  assert.match(out, /^toolbox-mounts 1 ro,nosuid,nodev(,|$)/m, 'one read-only mount at /dev/.nsbox');
  assert.match(out, /^toolbox-complete$/m);
  assert.match(out, /^root=\/$/m);
  // Docker's default set (a80425fb) without CAP_MKNOD (bit 27): no device node can be made (src/rootfs/block-devices.ts)
  assert.match(out, /^CapBnd:00000000a00425fb$/m);
  assert.match(out, /^CapEff:00000000a00425fb$/m);
  assert.match(out, /^NoNewPrivs:1$/m);
  // Which ones exist depends on the kernel (this one has no /proc/kcore): each one that does is checked.
  assert.ok(masked.some((m) => m.kind === 'file') && masked.some((m) => m.kind === 'directory'), `this kernel has files and directories to mask: ${JSON.stringify(masked)}`);
  for (const { path, kind } of masked) {
    if (kind === 'file') assert.match(out, new RegExp(`^mask ${path} 1:3 [1-9]\\d*$`, 'm'), `${path} is /dev/null bind-mounted over it`);
    else assert.match(out, new RegExp(`^mask ${path} 0 [1-9]\\d*$`, 'm'), `${path} is an empty tmpfs`);
  }
  assert.ok(readOnly.length >= 3, `this kernel has read-only paths to check: ${JSON.stringify(readOnly)}`);
  for (const { path } of readOnly) assert.match(out, new RegExp(`^ro ${path} ro(,|$)`, 'm'), `${path} is mounted read-only in the box`);
  assert.match(out, /^fds=0 1 2 3$/m, 'only 0, 1, 2 and ls\'s own directory fd');
  assert.match(out, /^dev=(console )?fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero$/m);
  assert.match(out, /^pid=1$/m);
  await assertNoLeaks(before, 'hardened run');
});

test('volumes (rw and ro), --tmpfs, --read-only, -e, -w and --user', async () => {
  const before = snapshot();
  const shared = join(base, 'shared');
  mkdirSync(shared, { recursive: true, mode: 0o777 });
  chmodSync(shared, 0o777);
  writeFileSync(join(shared, 'in'), 'from host\n');
  const out = ok(run(['--rm', '-v', `${shared}:/data`, '-v', `${shared}:/ro:ro`, '--tmpfs', '/scratch:8m', '-e', 'A=b c', '-w', '/data', '--user', '1000:1000', 'busybox', 'sh', '-c',
    'cat in; echo out > out; echo nope > /ro/x 2>/dev/null || echo ro-refused; echo $A; pwd; id -u; id -g; echo s > /scratch/s && grep " /scratch " /proc/mounts | cut -d" " -f3']), 'volumes');
  assert.is(out, 'from host\nro-refused\nb c\n/data\n1000\n1000\ntmpfs\n');
  assert.is(readFileSync(join(shared, 'out'), 'utf8'), 'out\n');
  assert.is(lstatSync(join(shared, 'out')).uid, 1000);
  const ro = run(['--rm', '--read-only', 'busybox', 'sh', '-c', 'touch /etc/x 2>/dev/null && echo writable; echo ok > /dev/shm/x && cat /dev/shm/x']);
  assert.is(ok(ro, 'read-only'), 'ok\n');
  await assertNoLeaks(before, 'volumes');
});

test('multi-layer OCI image: whiteouts and opaque dirs, Env, Cmd, Entrypoint, WorkingDir, User', async () => {
  const layout = join(base, 'oci');
  const L1: FixtureEntry[] = [
    { name: 'etc/', type: 'directory' }, { name: 'etc/keep', content: 'k\n' }, { name: 'etc/gone', content: 'g\n' },
    { name: 'data/', type: 'directory' }, { name: 'data/old1', content: 'o\n' }, { name: 'data/sub/', type: 'directory' }, { name: 'data/sub/old2', content: 'o2\n' },
  ];
  const L2: FixtureEntry[] = [
    { name: 'etc/', type: 'directory' }, { name: 'etc/.wh.gone' }, { name: 'data/', type: 'directory' }, { name: 'data/.wh..wh..opq' }, { name: 'data/new', content: 'n\n' },
  ];
  await writeOciLayout(layout, {
    layers: [treeEntries(busyboxFs), L1, L2],
    config: { Env: ['PATH=/bin:/usr/bin', 'GREETING=hello'], Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo $GREETING; pwd; ls; cat /etc/keep; ls /etc/gone 2>&1 | wc -l; id -u'], WorkingDir: '/data', User: 'nobody' },
  });
  assert.is(nsbox(['image', 'import', '--root', root, layout, 'layered']).code, 0);
  const before = snapshot();
  assert.is(ok(run(['--rm', 'layered']), 'layered'), 'hello\n/data\nnew\nk\n1\n65534\n');
  assert.is(ok(run(['--rm', '-e', 'GREETING=bye', '-w', '/', '--user', '0', 'layered', 'echo $GREETING; pwd; id -u']), 'override'), 'bye\n/\n0\n');
  await assertNoLeaks(before, 'layered');
});

const HOSTILE: readonly [string, string, FixtureEntry][] = [
  ['/proc symlinked to a host directory', 'proc', { name: 'proc', type: 'symlink', linkname: '' }],
  ['/dev symlinked to a host directory', 'dev', { name: 'dev', type: 'symlink', linkname: '' }],
  ['/etc/hosts symlinked to a host file', 'etc/hosts', { name: 'etc/hosts', type: 'symlink', linkname: '' }],
  ['/etc/resolv.conf symlinked to a host file', 'etc/resolv.conf', { name: 'etc/resolv.conf', type: 'symlink', linkname: '' }],
  ['/etc/hostname symlinked to a host file', 'etc/hostname', { name: 'etc/hostname', type: 'symlink', linkname: '' }],
];

test('hostile images: a symlinked mount destination is refused; the victim stays byte-for-byte unchanged', async () => {
  const victimBefore = await hashTree(victim);
  for (const [i, [what, path, entry]] of HOSTILE.entries()) {
    const target = path.startsWith('etc/') ? join(victim, 'file') : join(victim, 'dir');
    await importTar(`hostile${i}`, [...treeEntries(busyboxFs, '', [path]), { ...entry, linkname: target }]);
    const before = snapshot();
    const r = run(['--rm', `hostile${i}`, 'true']);
    assert.is(r.code, 125, `${what}: ${r.stderr}`);
    assert.match(r.stderr, /symlink/, what);
    assert.is(r.stderr.trim().split('\n').length <= 2, true, `${what}: one-line error: ${r.stderr}`);
    assert.equal(leftContainers(), [], `${what}: no container left`);
    assert.is(await hashTree(victim), victimBefore, `${what}: victim unchanged`);
    await assertNoLeaks(before, what);
  }
  // A volume whose destination is a symlink in the image (two hops: /data -> /link -> the victim).
  await importTar('hostile-volume', [...treeEntries(busyboxFs), { name: 'link', type: 'symlink', linkname: join(victim, 'dir') }, { name: 'data', type: 'symlink', linkname: '/link' }]);
  const src = join(base, 'volsrc');
  mkdirSync(src, { recursive: true });
  const before = snapshot();
  const r = run(['--rm', '-v', `${src}:/data/sub`, 'hostile-volume', 'true']);
  assert.is(r.code, 125, r.stderr);
  assert.match(r.stderr, /\/data is a symlink/);
  assert.is(await hashTree(victim), victimBefore, 'victim unchanged by the volume');
  await assertNoLeaks(before, 'hostile volume');
});

test('bad flags: one-line error naming the flag, exit 125, nothing created', async () => {
  const cases: [string[], RegExp][] = [
    [['-v', 'rel/ative:/data'], /--volume/],
    [['-v', '/tmp:data'], /--volume/],
    [['-v', '/tmp:/data:rx'], /--volume/],
    [['--mount', 'type=bind,source=/does/not/exist,target=/data'], /--mount/],
    [['-v', '/tmp:/proc/x'], /--volume/],
    [['--tmpfs', '/t:size=lots'], /--tmpfs/],
    [['--tmpfs', 'rel'], /--tmpfs/],
    [['--cap-add', 'BOGUS'], /--cap-add/],
    [['--cap-drop', 'nope'], /--cap-drop/],
  ];
  const before = snapshot();
  for (const [flags, pattern] of cases) {
    const r = run([...flags, 'busybox', 'true']);
    assert.is(r.code, 125, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.is(r.stderr.trim().split('\n').filter((l) => !l.includes('hint:')).length, 1, r.stderr);
  }
  assert.is(run(['no-such-image', 'true']).code, 125);
  assert.equal(leftContainers(), []);
  await assertNoLeaks(before, 'bad flags');
});

test('a command the box lacks: 127 "not found in the box"; not executable: 126; one line each, nothing left', async () => {
  const before = snapshot();
  const cases: [string[], number, RegExp][] = [
    [['nosuchcmd'], 127, /^nsbox: nosuchcmd: not found in the box\n$/],
    [['/bin/nosuchcmd'], 127, /^nsbox: \/bin\/nosuchcmd: not found in the box\n$/],
    [['/etc/passwd'], 126, /^nsbox: \/etc\/passwd: not executable in the box \(permission denied\)\n$/],
    [['/etc'], 126, /^nsbox: \/etc: not executable in the box \(is a directory\)\n$/],
    // the box's PATH decides, not the host's: ls is in busybox's /bin, not in /nowhere
    [['-e', 'PATH=/nowhere', 'busybox', 'ls'], 127, /^nsbox: ls: not found in the box\n$/],
  ];
  for (const [words, code, pattern] of cases) {
    const argv = words.includes('busybox') ? ['--rm', ...words] : ['--rm', 'busybox', ...words];
    const r = run(argv);
    assert.is(r.code, code, `${words.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
  // a program that exists in the box runs relative to -w, as execvp would find it
  assert.is(ok(run(['--rm', '-w', '/bin', 'busybox', './echo', 'relative']), './echo'), 'relative\n');
  assert.equal(leftContainers(), []);
  await assertNoLeaks(before, 'commands the box lacks');
});

test('a failed set-up step names the step and the tool\'s real error, not mount\'s dmesg advice', async () => {
  const before = snapshot();
  // a tmpfs uid that is no uid: mount(8) passes it on, the kernel refuses it: the set-up fails inside the box
  const r = run(['--rm', '--tmpfs', '/t:uid=4294967295', 'busybox', 'true']);
  assert.is(r.code, 125, r.stderr);
  assert.match(r.stderr, /^nsbox: cannot set up the box: mount -n --all --fstab \S+mounts-2\.fstab: mount: \S+\/rootfs\/t: /);
  assert.not.match(r.stderr, /dmesg/);
  assert.equal(leftContainers(), []);
  await assertNoLeaks(before, 'failed set-up');
});

test('--rootfs DIR: the directory is a lower layer, never modified', async () => {
  const before = snapshot();
  const tree = await hashTree(busyboxFs);
  assert.is(ok(run(['--rm', '--rootfs', busyboxFs, '--', 'sh', '-c', 'echo x > /etc/y; cat /etc/y']), 'rootfs'), 'x\n');
  assert.is(await hashTree(busyboxFs), tree);
  await assertNoLeaks(before, 'rootfs');
});

test.run();
