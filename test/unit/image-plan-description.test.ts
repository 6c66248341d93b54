// Image boxes as data: flag validation (volumes, tmpfs, capabilities), the description's defaults from the image config,
// and a golden --explain script of the plan (fixtures/plans/image-*.sh; UPDATE_GOLDEN=1 rewrites it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { NsboxError } from '../../src/errors.js';
import { parseTmpfs, parseVolume, checkMountOverlap } from '../../src/rootfs/mount-flags.js';
import { capabilityMask, resolveCapabilities, DEFAULT_CAPABILITIES } from '../../src/rootfs/capabilities.js';
import { buildImageBoxDescription } from '../../src/spec/image-box-description.js';
import { buildImagePlan, type ImagePlanFacts } from '../../src/plan/build-image-plan.js';
import { describeContainerDir } from '../../src/rootfs/container-dir.js';
import { renderShell } from '../../src/plan/render-shell.js';
import { renderResolvConf } from '../../src/rootfs/etc-files.js';
import { escapeField } from '../../src/rootfs/fstab.js';
import { kernelHasOverlayVolatile } from '../../src/rootfs/overlay-volatile.js';

const ID = '0123456789abcdef'.repeat(4);
const REF = { kind: 'image' as const, ref: { name: 'busybox', tag: 'latest' } };
const spec = (args: Record<string, unknown>, command: string[] = [], config = { Cmd: ['sh'] }) => {
  const s = buildImageBoxDescription(args, { source: REF, storeRoot: '/var/lib/nsbox', config, command, interactive: false, hostEnv: {}, devicesCgroup: false });
  return { ...s, box: { ...s.box, id: ID, hostname: s.box.hostname === s.box.id.slice(0, 12) ? ID.slice(0, 12) : s.box.hostname, process: { ...s.box.process, env: { ...s.box.process.env, HOSTNAME: ID.slice(0, 12) } } } };
};
const throwsFlag = (fn: () => unknown, flag: string) => {
  try {
    fn();
  } catch (error) {
    assert.instance(error, NsboxError);
    assert.is((error as NsboxError).exitCode, 125);
    assert.match((error as Error).message, flag);
    assert.not.match((error as Error).message, /\n/);
    return;
  }
  assert.unreachable(`expected an error naming ${flag}`);
};

test('volumes: HOST:CTR[:ro|rw]; bad input names --volume', () => {
  assert.equal(parseVolume('/srv/a:/data:ro'), { kind: 'volume', host: '/srv/a', target: ['data'], readOnly: true, createMissing: true, flag: '-v /srv/a:/data:ro' });
  assert.is(parseVolume('/srv/a:/x/y').readOnly, false);
  for (const bad of ['rel/x:/data', '/a:data', '/a:/data:rx', '/a', '/a:/', '/a:/x/../y', '/a:/proc/x', '/a:/dev', '/a:/sys/k', '/a:/b:ro:extra']) throwsFlag(() => parseVolume(bad), '--volume');
});

test('tmpfs: PATH[:SIZE|OPTIONS] with Docker\'s defaults; bad input names --tmpfs', () => {
  assert.equal(parseTmpfs('/run'), { kind: 'tmpfs', target: ['run'], options: 'nosuid,nodev,noexec,mode=1777' });
  assert.is(parseTmpfs('/run:64m').options, 'nosuid,nodev,noexec,mode=1777,size=64m');
  assert.is(parseTmpfs('/run:exec,mode=0755').options, 'nosuid,nodev,exec,mode=0755');
  for (const bad of ['run', '/run:size=lots', '/run:bogus', '/', '/proc']) throwsFlag(() => parseTmpfs(bad), '--tmpfs');
  throwsFlag(() => checkMountOverlap([parseVolume('/a:/data'), parseTmpfs('/data/tmp')]), '--tmpfs');
});

test('capabilities: Docker\'s default 14 = a80425fb; add, drop, ALL, privileged; bad names', () => {
  assert.is(capabilityMask(DEFAULT_CAPABILITIES), '00000000a80425fb');
  assert.is(capabilityMask(resolveCapabilities([], [], false)), '00000000a80425fb');
  assert.ok(resolveCapabilities(['NET_ADMIN'], ['CAP_MKNOD'], false).includes('net_admin'));
  assert.not.ok(resolveCapabilities(['NET_ADMIN'], ['CAP_MKNOD'], false).includes('mknod'));
  assert.equal(resolveCapabilities(['chown'], ['ALL'], false), ['chown']);
  assert.is(resolveCapabilities(['ALL'], [], false).length, 41);
  assert.is(resolveCapabilities([], [], true).length, 41);
  throwsFlag(() => resolveCapabilities(['BOGUS'], [], false), '--cap-add');
  throwsFlag(() => resolveCapabilities([], ['x'], false), '--cap-drop');
});

test('spec: Docker\'s namespaces, hostname from the id, Cmd/Entrypoint/Env/WorkingDir/User from the config', () => {
  const s = spec({}, [], { Cmd: ['sh'] });
  assert.equal(s.box.namespaces, ['mount', 'uts', 'ipc', 'net', 'pid', 'cgroup']);
  assert.is(s.box.hostname, ID.slice(0, 12));
  assert.equal(s.box.process.argv, ['sh']);
  const c = spec({ env: ['B=2'], workdir: '/w' }, ['x', 'y'], { Entrypoint: ['/e'], Cmd: ['c'], Env: ['A=1', 'B=1'], WorkingDir: '/app', User: 'nobody' } as never);
  assert.equal(c.box.process.argv, ['/e', 'x', 'y']);
  assert.is((c.box.process.env as Record<string, string>).A, '1');
  assert.is((c.box.process.env as Record<string, string>).B, '2');
  assert.is(c.box.process.workdir, '/w');
  assert.is(c.user, 'nobody');
  assert.throws(() => spec({}, [], {} as never), /missing command/);
  throwsFlag(() => spec({ 'uid-map': ['0:1:1'] }, ['sh']), '--uid-map');
});

test('etc files and fstab escaping', () => {
  assert.is(renderResolvConf('nameserver 127.0.0.53\nsearch x\n'), 'search x\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  assert.is(renderResolvConf('nameserver 10.0.0.1\n'), 'nameserver 10.0.0.1\n');
  assert.is(escapeField('/a b\\c'), '/a\\040b\\134c');
});

/** The store and host facts of the golden plans (no host read). */
function goldenFacts(): ImagePlanFacts {
  const container = describeContainerDir('/var/lib/nsbox/containers', ID);
  return {
    container,
    imageLabel: 'busybox:latest',
    record: { schemaVersion: 1, id: ID, created: '2024-01-01T00:00:00.000Z', image: 'busybox:latest', imageId: 'sha256:ff', lowerDirs: ['/var/lib/nsbox/layers/aa/fs'], layers: ['sha256:aa'], config: { Cmd: ['sh'] }, argv: ['sh'] },
    lowerDirs: ['/var/lib/nsbox/layers/aa/fs'],
    initEntries: [
      { path: 'etc', kind: 'directory', mode: 0o755, uid: 0, gid: 0 },
      { path: 'etc/hosts', kind: 'file', mode: 0o644, uid: 0, gid: 0 },
      { path: 'run', kind: 'directory', mode: 0o755, uid: 0, gid: 0 },
      { path: 'data', kind: 'directory', mode: 0o755, uid: 0, gid: 0 },
    ],
    user: { uid: 0, gid: 0, groups: [], home: '/root' },
    resolvConf: 'nameserver 10.0.0.1\n',
    volumeSources: ['/srv'],
    masked: [{ path: '/proc/keys', kind: 'file' }, { path: '/proc/acpi', kind: 'directory' }],
    readonly: [{ path: '/proc/sys', kind: 'directory' }, { path: '/proc/sysrq-trigger', kind: 'file' }],
    toolbox: {
      loader: 'ld-linux-x86-64.so.2',
      files: [
        { name: 'setpriv', source: '/usr/bin/setpriv' }, { name: 'umount', source: '/usr/bin/umount' }, { name: 'ld-linux-x86-64.so.2', source: '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
        { name: 'libc.so.6', source: '/usr/lib/x86_64-linux-gnu/libc.so.6' }, { name: 'perl', source: '/usr/bin/perl' }, { name: 'seccomp.bpf', source: '/var/lib/nsbox/seccomp/0123.bpf' },
      ],
      seccomp: { loader: 'perl', file: '/dev/.nsbox/seccomp.bpf', arch: 'SCMP_ARCH_X86_64' },
      dir: '/var/lib/nsbox/toolbox-sets/0123456789abcdef',
    },
    seccomp: { loader: 'perl', file: '/dev/.nsbox/seccomp.bpf', arch: 'SCMP_ARCH_X86_64', profile: "nsbox's default (Docker's coverage)", instructions: 480 },
    console: false,
  };
}

test('init on a root host with perl and known syscall numbers, toolbox one directory: one perl makes /dev\'s links, brings lo up and enters the root (mount makes the directories); one setpriv', () => {
  const facts = { ...goldenFacts(), startsAsRoot: true, arch: 'SCMP_ARCH_X86_64' as const };
  const plan = buildImagePlan(spec({ rm: true }, ['sh']), facts, 'nsbox run --rm busybox sh');
  const init = plan.scripts.find((x) => x.name === 'init')!.text;
  assert.not.match(init, /ip link set lo up\n|step ip /, 'no ip process');
  assert.is(init.split('step perl ').length - 1, 1, 'one perl before the final exec');
  assert.not.match(init, /step mkdir|mkdir \$dir/, 'no directory made by the init: mount makes them (X-mount.mkdir)');
  const perl = init.split('\n').find((l) => l.startsWith('step perl '))!;
  assert.match(perl, /symlink \$target, \$link[^\n]*ioctl\(\$s, 0x8914[^\n]*syscall\(155, \$d, \$d\) == 0 or die "pivot_root \. \.: \$!\\n"; syscall\(166, \$d, 2\) == 0/, 'links, lo up, then pivot_root and umount2');
  assert.match(perl, / \/proc\/self\/fd "\$R\/dev\/fd" [^\n]* pts\/ptmx "\$R\/dev\/ptmx"$/, 'the links as TARGET LINK pairs');
  assert.ok(init.indexOf('step perl ') > init.indexOf('mounts-2.fstab'), 'after the last mounts');
  const late = plan.steps.find((st) => st.kind === 'write-text' && st.path.endsWith('mounts-2.fstab'));
  assert.ok(late?.kind === 'write-text');
  for (const dir of ['dev/pts', 'dev/shm', 'dev/mqueue', 'dev/.nsbox']) assert.match(late.content, new RegExp(`/rootfs/${dir.replace('.', '\\.')} \\S+ \\S+,X-mount\\.mkdir 0 0$`, 'm'), `${dir}: made by mount`);
  // A box recorded before (its toolbox has no directory): section 4's perl makes the directories and links as before.
  const before = buildImagePlan(spec({ rm: true }, ['sh']), { ...facts, toolbox: { ...facts.toolbox, dir: undefined } }, 'nsbox run --rm busybox sh').scripts.find((x) => x.name === 'init')!.text;
  assert.is(before.split('step perl ').length - 1, 2);
  assert.match(before, /step perl -e 'umask 022; while[^\n]*mkdir \$dir[^\n]*ioctl\(\$s, 0x8914/);
  assert.match(before, /step perl -e 'my \$d = "\."; syscall\(155, \$d, \$d\) == 0 or die "pivot_root \. \.: \$!\\n"; syscall\(166, \$d, 2\) == 0/);
  assert.not.match(before, /X-mount/);
  assert.not.match(init, /pivot_root \. \.\n|\/umount -i/, 'no pivot_root or umount process');
  assert.is(init.split('/dev/.nsbox/setpriv ').length - 1, 1, 'one setpriv');
  assert.not.match(init, /\/dev\/\.nsbox\/env /, 'the filter\'s perl applies the environment: no env process');
  assert.match(init, /\/dev\/\.nsbox\/seccomp\.bpf -- PATH=[^\n]* HOME=\/root -- "\$@" 3>&-$/m);
  const reaper = plan.scripts.find((x) => x.name === 'reaper')!.text;
  assert.match(reaper, /^setpriv --pdeathsig KILL -- \/bin\/sh/m, 'PID 1 starts without an env process');
  const launch = plan.steps.find((st) => st.kind === 'launch');
  assert.ok(launch?.kind === 'launch' && launch.argv[0] === 'env' && launch.argv[1] === '-i' && launch.argv[2] === 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'the launch starts from PATH and the scripts only');
});

test('golden: the plan of `nsbox run --rm -v /srv:/data:ro --tmpfs /run busybox sh`', () => {
  const s = spec({ rm: true, volume: ['/srv:/data:ro'], tmpfs: ['/run'] }, ['sh']);
  const facts = goldenFacts();
  const plan = buildImagePlan(s, facts, 'nsbox run --rm -v /srv:/data:ro --tmpfs /run busybox sh');
  const launch = plan.steps.find((st) => st.kind === 'launch');
  assert.ok(launch?.kind === 'launch' && launch.argv.includes('--cgroup') && launch.argv[0] === 'env');
  // The box is launched first (it waits at its gate while nsbox makes its files); the container dir comes next.
  assert.equal(plan.steps[0]!.kind, 'launch');
  const mkdir = plan.steps[1]!;
  assert.ok(mkdir.kind === 'mkdir' && mkdir.undo?.kind === 'remove', '--rm removes the container dir');
  const init = plan.scripts.find((x) => x.name === 'init')!.text;
  assert.match(init, /step pivot_root \. \./);
  assert.match(init, /--bounding-set=-all,\+chown,\+dac_override,\+fowner,\+fsetid,\+kill,\+setgid,\+setuid,\+setpcap,\+net_bind_service,\+net_raw,\+sys_chroot,\+audit_write,\+setfcap/);
  assert.match(init, /CAP_MKNOD is left out of the bounding set/);
  assert.match(init, /--no-new-privs/);
  assert.match(init, /confined proc sys dev etc\/hostname etc\/hosts etc\/resolv.conf etc\/ld.so.preload data run/);
  const text = renderShell(plan);
  assert.match(text, /\/srv \/var\/lib\/nsbox\/containers\/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\/rootfs\/data none bind,nodev,ro 0 0/);
  const path = 'fixtures/plans/image-busybox-volume.sh';
  if (process.env.UPDATE_GOLDEN || !existsSync(path)) writeFileSync(path, text);
  assert.fixture(text, readFileSync(path, 'utf8'));
});

test('--rm in the foreground: the upper layer is volatile (no sync at unmount); never for -d, start, or without --rm', () => {
  const facts = { ...goldenFacts(), overlayVolatile: true };
  const overlay = (args: Record<string, unknown>, options: Parameters<typeof buildImagePlan>[3] = {}, f: ImagePlanFacts = facts) => {
    const init = buildImagePlan(spec(args, ['sh']), f, 'nsbox run busybox sh', options).scripts.find((x) => x.name === 'init')!.text;
    const line = init.split('\n').find((l) => l.startsWith('step mount -n -t overlay'));
    assert.ok(line, 'the init mounts the overlay');
    return line!;
  };
  assert.match(overlay({ rm: true }), /,nodev,volatile overlay/);
  // a recorded --rm box (run --rm --name X): removed with its record when this run ends
  assert.match(overlay({}, { removedWithRecord: true }), /,nodev,volatile overlay/);
  assert.not.match(overlay({}), /volatile/);
  assert.not.match(overlay({}, { removedWithRecord: true, detach: { log: '/l', exitFile: '/e' } }), /volatile/);
  assert.not.match(overlay({ rm: true }, { reuseContainer: true }), /volatile/);
  // a kernel before 5.10 refuses the option: the plain overlay
  assert.not.match(overlay({ rm: true }, {}, { ...facts, overlayVolatile: false }), /volatile/);
});

test('overlay volatile: Linux 5.10 and later', () => {
  assert.ok(kernelHasOverlayVolatile('6.1.0-18-amd64'));
  assert.ok(kernelHasOverlayVolatile('5.10.0'));
  assert.not.ok(kernelHasOverlayVolatile('5.4.0-150-generic'));
  assert.not.ok(kernelHasOverlayVolatile('4.19.0'));
  assert.not.ok(kernelHasOverlayVolatile('weird'));
});

test.run();
