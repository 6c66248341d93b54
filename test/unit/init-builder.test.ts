// The one init builder (src/init): both front-ends translate into the same mount list; the masks, read-only paths
// and the sealed toolbox are the same entries for an image box and an OCI container; an OCI mount renders as the
// steps runc takes (bind then remount for flags, tmpcopyup, propagation); the in-container hooks sit where
// runtime-spec puts them in the init script.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelPathMounts, toolboxMounts } from '../../src/init/mounts.js';
import { cgroupViewBinds, MKDIRS_FUNCTION, mountStepLines, mountsStepLines, plainMountRuns, plainRunEntries } from '../../src/init/mount-steps.js';
import { linkLines } from '../../src/runtime/init-script.js';
import { ociInitMounts } from '../../src/runtime/oci-mounts.js';
import { buildLateMounts } from '../../src/rootfs/box-mounts.js';
import { createContainerLines, startContainerLines, type InitHooks } from '../../src/runtime/init-hooks.js';
import type { OciMount } from '../../src/oci/container.js';
import type { Toolbox } from '../../src/rootfs/toolbox.js';

const TOOLBOX: Toolbox = { loader: undefined, files: [{ name: 'setpriv', source: '/usr/bin/setpriv' }, { name: 'env', source: '/usr/bin/env' }] };
const mount = (m: Partial<OciMount>): OciMount => ({ destination: '/x', type: 'tmpfs', source: 'tmpfs', bind: 'none', flags: [], readonly: false, propagation: undefined, data: '', tmpcopyup: false, ...m }) as OciMount;

test('masks, read-only paths and the toolbox: the image box\'s late mounts hold exactly the shared entries', () => {
  const masked = [{ path: '/proc/kcore', kind: 'file' as const }, { path: '/sys/firmware', kind: 'directory' as const }];
  const readonly = [{ path: '/proc/sys', kind: 'directory' as const }];
  const shared = [...kernelPathMounts('/R', masked, readonly), ...toolboxMounts('/R', TOOLBOX)];
  const container = { dir: '/C', hostname: '/C/hostname', hosts: '/C/hosts', resolvConf: '/C/resolv.conf', preload: '/C/preload' } as never;
  const spec = { mounts: [], privileged: false } as never;
  const late = buildLateMounts(spec, { container, volumeSources: [], masked, readonly, toolbox: TOOLBOX, console: false }, '/R');
  for (const entry of shared) assert.ok(late.some((e) => JSON.stringify(e) === JSON.stringify(entry)), `image box has ${entry.target} ${entry.options}`);
  assert.equal(late.at(-1), toolboxMounts('/R', TOOLBOX).at(-1), 'the sealed toolbox directory comes last');
  assert.equal(toolboxMounts('/R', TOOLBOX).at(-1)!.options, 'rbind,ro');
  assert.equal(kernelPathMounts('/R', [], readonly)[0]!.options, 'bind,ro,nosuid,nodev,noexec', 'not recursive');
});

test('an image box whose toolbox is one directory (linkToolboxSet): one read-only bind of it, last', () => {
  const masked = [{ path: '/proc/kcore', kind: 'file' as const }];
  const container = { dir: '/C', hostname: '/C/hostname', hosts: '/C/hosts', resolvConf: '/C/resolv.conf', preload: '/C/preload' } as never;
  const spec = { mounts: [], privileged: false } as never;
  const toolbox = { ...TOOLBOX, dir: '/S/toolbox-sets/x' };
  const late = buildLateMounts(spec, { container, volumeSources: [], masked, readonly: [], toolbox, console: false }, '/R');
  assert.equal(late.filter((e) => e.target.startsWith('/R/dev/.nsbox')), [late.at(-1)], 'the one toolbox entry comes last');
  assert.equal([late.at(-1)!.source, late.at(-1)!.target, late.at(-1)!.options], ['/S/toolbox-sets/x', '/R/dev/.nsbox', 'bind,ro,nosuid,nodev,X-mount.mkdir'], 'mount makes its mount point');
  for (const dir of ['/R/dev/pts', '/R/dev/shm', '/R/dev/mqueue']) assert.match(late.find((e) => e.target === dir)!.options, /,X-mount\.mkdir$/, dir);
  assert.not.ok(late.some((e) => e.target === '/R/dev/null' && e.options.includes('X-mount')), 'not for a file');
});

test('OCI mounts as steps: the mount point, a bind then its flags by remount, tmpcopyup, propagation, resolved targets', () => {
  const mounts = [
    mount({ destination: '/etc/hosts', type: 'bind', source: '/h/hosts', bind: 'rbind', flags: ['rw', 'ro', 'nosuid'] }),
    mount({ destination: '/run', flags: ['nosuid'], data: 'mode=755', tmpcopyup: true }),
    mount({ destination: '/data', type: 'bind', source: '/h/d', bind: 'bind', propagation: 'rslave' }),
  ];
  const entries = ociInitMounts('/R', mounts, { targets: ['/etc/hosts', '/run', '/real/data'], fileSources: [true, false, false], cgroupDirs: [], cgroupVersion: 1, cgroupRoot: '/sys/fs/cgroup' });
  const lines = entries.flatMap((e) => mountStepLines(e, '/R'));
  assert.equal(lines.slice(0, 4), ['# /etc/hosts: rbind of /h/hosts (rw,ro,nosuid)', 'step mkfile "$R/etc/hosts"', 'step mount -n --rbind /h/hosts "$R/etc/hosts"', 'step mount -n -o remount,bind,ro,nosuid "$R/etc/hosts"']);
  assert.ok(lines.includes('step mount -n -t tmpfs -o nosuid,mode=755 tmpfs "$S/copyup"'), lines.join('\n'));
  assert.ok(lines.includes('step mount -n --move "$S/copyup" "$R/run"'));
  assert.ok(lines.includes('step mount -n --bind /h/d "$R/real/data"'), 'the resolved target, not the destination as written');
  assert.equal(lines.at(-1), 'step mount -n --make-rslave "$R/real/data"');
});

test('fewer processes: a mount point is made only when missing; a v1 cgroup view is one mkdir and one mount --all', () => {
  const [proc] = ociInitMounts('/R', [mount({ destination: '/proc', type: 'proc', source: 'proc' })], { targets: ['/proc'], fileSources: [false], cgroupDirs: [], cgroupVersion: 1, cgroupRoot: '/sys/fs/cgroup' });
  assert.equal(mountStepLines(proc!, '/R')[1], '[ -d "$R/proc" ] || step mkdir -p "$R/proc"');
  const dirs = ['/sys/fs/cgroup/pids/p/c', '/sys/fs/cgroup/cpu,cpuacct/p/c'];
  const [view] = ociInitMounts('/R', [mount({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', flags: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] })], { targets: ['/sys/fs/cgroup'], fileSources: [false], cgroupDirs: dirs, cgroupVersion: 1, cgroupRoot: '/sys/fs/cgroup' });
  assert.equal(cgroupViewBinds(view!).map((e) => [e.source, e.target, e.type, e.options]), [
    ['/sys/fs/cgroup/pids/p/c', '/R/sys/fs/cgroup/pids', 'none', 'bind,nosuid,noexec,nodev,ro'],
    ['/sys/fs/cgroup/cpu,cpuacct/p/c', '/R/sys/fs/cgroup/cpu,cpuacct', 'none', 'bind,nosuid,noexec,nodev,ro'],
    ['none', '/R/sys/fs/cgroup', 'none', 'remount,bind,ro,nosuid,nodev,noexec'],
  ], 'each bind read-only with the mount\'s flags (libmount remounts it itself), then the view itself sealed');
  const lines = mountStepLines(view!, '/R', '/S/cgroup.fstab').filter((l) => !l.startsWith('#'));
  assert.equal(lines, [
    '[ -d "$R/sys/fs/cgroup" ] || step mkdir -p "$R/sys/fs/cgroup"',
    'step mount -n -t tmpfs -o nosuid,nodev,noexec,mode=755,size=64k tmpfs "$R/sys/fs/cgroup"',
    'step mkdir "$R/sys/fs/cgroup/pids" "$R/sys/fs/cgroup/cpu,cpuacct"',
    'step ln -s cpu,cpuacct "$R/sys/fs/cgroup/cpu"',
    'step ln -s cpu,cpuacct "$R/sys/fs/cgroup/cpuacct"',
    'step mount -n --all --fstab /S/cgroup.fstab',
  ], 'the links before the fstab, whose last line seals the view');
  assert.equal(cgroupViewBinds(proc!), [], 'no binds for any other mount');
  // No co-mounted controllers (no links to make in the tmpfs): the tmpfs, the binds and the seal are one mount(8).
  const [single] = ociInitMounts('/R', [mount({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', flags: ['nosuid', 'ro'] })], { targets: ['/sys/fs/cgroup'], fileSources: [false], cgroupDirs: ['/sys/fs/cgroup/pids/c', '/sys/fs/cgroup/memory/c'], cgroupVersion: 1, cgroupRoot: '/sys/fs/cgroup' });
  assert.equal(cgroupViewBinds(single!).map((e) => [e.source, e.target, e.type, e.options]), [
    ['tmpfs', '/R/sys/fs/cgroup', 'tmpfs', 'nosuid,nodev,noexec,mode=755,size=64k'],
    ['/sys/fs/cgroup/pids/c', '/R/sys/fs/cgroup/pids', 'none', 'bind,nosuid,ro,X-mount.mkdir'],
    ['/sys/fs/cgroup/memory/c', '/R/sys/fs/cgroup/memory', 'none', 'bind,nosuid,ro,X-mount.mkdir'],
    ['none', '/R/sys/fs/cgroup', 'none', 'remount,bind,ro,nosuid,nodev,noexec'],
  ]);
  assert.equal(mountStepLines(single!, '/R', '/S/cgroup.fstab').filter((l) => !l.startsWith('#')), ['[ -d "$R/sys/fs/cgroup" ] || step mkdir -p "$R/sys/fs/cgroup"', 'step mount -n --all --fstab /S/cgroup.fstab']);
});

test('runs of plain mounts: one mount --all each (X-mount.mkdir on every line); a file bind, copy-up or propagation breaks a run', () => {
  const m = [
    mount({ destination: '/proc', type: 'proc', source: 'proc' }),
    mount({ destination: '/dev', flags: ['nosuid'], data: 'mode=755' }),
    mount({ destination: '/dev/shm', type: 'bind', source: '/h/shm', bind: 'bind', flags: ['ro'] }),
    mount({ destination: '/etc/hosts', type: 'bind', source: '/h/hosts', bind: 'bind' }),
    mount({ destination: '/run', tmpcopyup: true }),
    mount({ destination: '/a' }),
    mount({ destination: '/a/b' }),
    mount({ destination: '/dev/x' }),
    mount({ destination: '/c', propagation: 'rslave' }),
    mount({ destination: '/a/b/c' }),
  ];
  const dests = m.map((x) => x.destination);
  const entries = ociInitMounts('/R', m, { targets: dests, fileSources: dests.map((d) => d === '/etc/hosts'), cgroupDirs: [], cgroupVersion: 1, cgroupRoot: '/sys/fs/cgroup' });
  assert.equal(plainMountRuns(entries), [{ start: 0, end: 3 }, { start: 5, end: 8 }]);
  assert.equal(plainRunEntries(entries.slice(0, 3)).map((e) => `${e.source} ${e.target} ${e.type} ${e.options}`), [
    'proc /R/proc proc X-mount.mkdir',
    'tmpfs /R/dev tmpfs nosuid,mode=755,X-mount.mkdir',
    '/h/shm /R/dev/shm none bind,ro,X-mount.mkdir',
  ], 'a bind keeps its flags: libmount remounts it itself');
  const lines = mountsStepLines(entries, '/R', undefined, ['/S/m1.fstab', '/S/m2.fstab']).filter((l) => !l.startsWith('#'));
  assert.equal(lines, [
    'step mkdirs "$R/run" "$R/c"',
    'step mount -n --all --fstab /S/m1.fstab',
    'step mkfile "$R/etc/hosts"',
    'step mount -n --bind /h/hosts "$R/etc/hosts"',
    '[ -d "$S/copyup" ] || step mkdir -p "$S/copyup"',
    'step mount -n -t tmpfs -o defaults tmpfs "$S/copyup"',
    'step cp -a "$R/run"/. "$S/copyup/"',
    'step mount -n --move "$S/copyup" "$R/run"',
    'step mount -n --all --fstab /S/m2.fstab',
    'step mkdirs "$R/a/b/c"',
    'step mount -n -t tmpfs tmpfs "$R/c"',
    'step mount -n --make-rslave "$R/c"',
    'step mount -n -t tmpfs tmpfs "$R/a/b/c"',
  ], 'the mount points of mounts outside a run still come right after what they land in');
  assert.equal(mountsStepLines(entries, '/R').filter((l) => l.includes('--all')), [], 'no fstabs given: a mount(8) each');
});

test('mount points in groups: each made right after the last mount at or above it, one mkdir -p for the missing ones', () => {
  const dests = ['/proc', '/dev', '/dev/pts', '/dev/shm', '/sys', '/dev/pts/x'];
  const entries = ociInitMounts('/R', dests.map((destination) => mount({ destination })), { targets: dests, fileSources: dests.map(() => false), cgroupDirs: [], cgroupVersion: 1, cgroupRoot: '/sys/fs/cgroup' });
  const lines = mountsStepLines(entries, '/R').filter((l) => !l.startsWith('#'));
  assert.equal(lines, [
    'step mkdirs "$R/proc" "$R/dev" "$R/sys"',
    'step mount -n -t tmpfs tmpfs "$R/proc"',
    'step mount -n -t tmpfs tmpfs "$R/dev"',
    'step mkdirs "$R/dev/pts" "$R/dev/shm"',
    'step mount -n -t tmpfs tmpfs "$R/dev/pts"',
    'step mkdirs "$R/dev/pts/x"',
    'step mount -n -t tmpfs tmpfs "$R/dev/shm"',
    'step mount -n -t tmpfs tmpfs "$R/sys"',
    'step mount -n -t tmpfs tmpfs "$R/dev/pts/x"',
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'nsbox-mkdirs-'));
  try {
    mkdirSync(join(dir, 'there'));
    const r = spawnSync('sh', ['-c', `${MKDIRS_FUNCTION}\nmkdirs "$1/there" "$1/a b/c" "$1/d"; echo "$# $1"`, 'sh', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `1 ${dir}\n`, 'the script\'s own arguments are untouched');
    for (const d of ['there', 'a b/c', 'd']) assert.ok(lstatSync(join(dir, d)).isDirectory(), d);
    writeFileSync(join(dir, 'f'), '');
    assert.not.equal(spawnSync('sh', ['-c', `${MKDIRS_FUNCTION}\nmkdirs "$1/f/x"`, 'sh', dir]).status, 0, 'a failure fails the step');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('/dev links: one perl for all, only where nothing is (an existing file, link or dangling link stays)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsbox-links-'));
  try {
    mkdirSync(join(dir, 'dev'));
    writeFileSync(join(dir, 'dev/stdin'), 'mine');
    symlinkSync('/nowhere', join(dir, 'dev/core'));
    const lines = linkLines([['/proc/self/fd', '"$R/dev/fd"'], ['/proc/self/fd/0', '"$R/dev/stdin"'], ['/proc/kcore', '"$R/dev/core"'], ['pts/ptmx', '"$R/dev/ptmx"']]);
    assert.equal(lines.length, 1, 'one process');
    const r = spawnSync('sh', ['-c', `step() { "$@"; }\nR=${dir}\n${lines[0]}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readlinkSync(join(dir, 'dev/fd')), '/proc/self/fd');
    assert.equal(readlinkSync(join(dir, 'dev/ptmx')), 'pts/ptmx');
    assert.ok(lstatSync(join(dir, 'dev/stdin')).isFile(), 'an existing file stays');
    assert.equal(readlinkSync(join(dir, 'dev/core')), '/nowhere', 'a dangling link stays');
    rmSync(join(dir, 'dev'), { recursive: true });
    const failed = spawnSync('sh', ['-c', `step() { "$@"; }\nR=${dir}\n${lines[0]}`], { encoding: 'utf8' });
    assert.not.equal(failed.status, 0, 'a link that cannot be made fails the step');
    assert.match(failed.stderr, /ln -s \/proc\/self\/fd .*\/dev\/fd: No such file or directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hooks in the init: createContainer gets the state with the host pid and fails create; startContainer reports on fd 6', () => {
  const hooks: InitHooks = {
    createContainer: [{ path: '/usr/bin/hook', args: ['hook', 'a b'], env: ['X=1'], timeout: 5 }],
    createState: ['{"id":"c","pid":', ',"status":"creating"}'],
    startContainer: [{ path: '/bin/ldconfig', args: ['ldconfig'], env: [], timeout: undefined }],
    verdict: '/run/x/start-hooks.fifo',
  };
  const create = createContainerLines(hooks).join('\n');
  assert.match(create, /read -r hostpid _ < \/proc\/self\/stat/);
  assert.match(create, /state='\{"id":"c","pid":'"\$hostpid"',"status":"creating"\}'/);
  assert.match(create, /env -i -- X=1 perl -e .* 5 \/usr\/bin\/hook hook 'a b' 2>&3 5<&- 6>&- \|\| \{ echo 'failed: createContainer hook #0 \(\/usr\/bin\/hook\)' >&3; exit 125; \}/);
  // startContainer's program is the image's: it runs behind the process's drop (asProcess), given the hook's env.
  const asProcess = (env: readonly string[]) => ['/dev/.nsbox/setpriv', '--bounding-set=-all', '--', '/dev/.nsbox/env', '-i', '--', ...env];
  const start = startContainerLines({ ...hooks, startContainer: [{ ...hooks.startContainer[0]!, env: ['Y=2'] }] }, asProcess, ['/dev/.nsbox/perl']).join('\n');
  assert.match(start, /\/dev\/.nsbox\/setpriv --bounding-set=-all -- \/dev\/.nsbox\/env -i -- Y=2 \/dev\/.nsbox\/perl -e .* 0 \/bin\/ldconfig ldconfig 2>&6 6>&- \|\|/);
  assert.match(start, /exec 6>&-$/, 'the verdict is closed before the process: start stops waiting');
  assert.equal(spawnSync('sh', ['-n', '-c', `${create}\n${start}`]).status, 0, 'parses as sh');
  assert.equal(createContainerLines({ ...hooks, createContainer: [] }), []);
});

test.run();
