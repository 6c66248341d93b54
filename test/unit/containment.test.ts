// Unit: the pieces of containment that are data (SECURITY.md): the final exec's order, --rootfs trust, the
// device allow-list.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildFinalExecArgv, checkCommandName } from '../../src/rootfs/final-exec.js';
import { untrustedRootfsReason } from '../../src/rootfs/rootfs-trust.js';
import { chooseBlockDeviceGuard, DEVICES_ALLOW, DEVICES_DENY } from '../../src/rootfs/block-devices.js';
import { processExecArgv } from '../../src/runtime/init-script.js';
import type { OciProcess } from '../../src/oci/container.js';

const TOOLBOX = { loader: 'ld.so', files: [] };

test('final exec: setpriv drops first, env applies the box\'s variables and -w last, then the command', () => {
  const argv = buildFinalExecArgv({ toolbox: TOOLBOX, uid: 0, gid: 0, groups: [], capabilities: ['chown'], noNewPrivs: true, env: { LD_PRELOAD: '/x.so', A: 'a b' }, workdir: '/w' });
  const setpriv = argv.indexOf('/dev/.nsbox/setpriv');
  const env = argv.indexOf('/dev/.nsbox/env');
  assert.ok(setpriv > 0 && env > setpriv, argv.join(' '));
  assert.ok(argv.indexOf('--no-new-privs') < env);
  assert.equal(argv.slice(env), ['/dev/.nsbox/env', '-i', '--chdir=/w', '--', 'LD_PRELOAD=/x.so', 'A=a b']);
  assert.is(checkCommandName(['A=b', 'x']), 'cannot run "A=b": a command name cannot contain "="');
  assert.is(checkCommandName(['/bin/sh']), undefined);
});

test('final exec: no user or group reaches the privileged setpriv (setpriv resolves them through the box\'s NSS modules); a second one changes them after the filter', () => {
  const argv = buildFinalExecArgv({
    toolbox: TOOLBOX, uid: 1000, gid: 100, groups: [10, 20], capabilities: ['chown'], noNewPrivs: true, env: {}, pdeathsig: true, ambient: ['net_raw'],
    seccomp: { loader: 'perl', file: '/dev/.nsbox/seccomp.bpf', arch: 'SCMP_ARCH_X86_64' },
  });
  const setprivs = argv.flatMap((w, i) => (w === '/dev/.nsbox/setpriv' ? [i] : []));
  assert.is(setprivs.length, 2, argv.join(' '));
  const [first, second] = setprivs as [number, number];
  const firstArgs = argv.slice(first + 1, argv.indexOf('--', first));
  assert.equal(firstArgs.filter((w) => /^--(re|r|e)[ug]id|^--groups|^--init-groups|^--clear-groups/.test(w)), [], `privileged setpriv: ${firstArgs.join(' ')}`);
  assert.equal(firstArgs[0], '--bounding-set=-all,+chown,+setuid,+setgid,+setpcap', 'only what the switch needs is kept past the first drop');
  const perl = argv.indexOf('/dev/.nsbox/perl');
  assert.ok(first < perl && perl < second, 'the filter is loaded between the two');
  assert.equal(argv.slice(second + 1, argv.indexOf('--', second)), ['--bounding-set=-all,+chown', '--reuid=1000', '--regid=100', '--groups=10,20', '--ambient-caps=-all,+net_raw', '--pdeathsig=KILL']);
  assert.ok(second < argv.indexOf('/dev/.nsbox/env'));
});

test('final exec: a root box started as root gets one setpriv (no user or group named, groups cleared); any other identity keeps the second', () => {
  const base = { toolbox: TOOLBOX, uid: 0, gid: 0, groups: [] as number[], capabilities: ['chown', 'setuid', 'setgid', 'setpcap'], noNewPrivs: true, env: {}, pdeathsig: true, startsAsRoot: true, seccomp: { loader: 'perl' as const, file: '/dev/.nsbox/seccomp.bpf', arch: 'SCMP_ARCH_X86_64' as const } };
  const setprivs = (argv: string[]) => argv.flatMap((w, i) => (w === '/dev/.nsbox/setpriv' ? [i] : []));
  const argv = buildFinalExecArgv(base);
  assert.equal(setprivs(argv).length, 1, argv.join(' '));
  const args = argv.slice(setprivs(argv)[0]! + 1, argv.indexOf('--', setprivs(argv)[0]));
  assert.equal(args, ['--bounding-set=-all,+chown,+setuid,+setgid,+setpcap', '--inh-caps=-all', '--no-new-privs', '--clear-groups', '--pdeathsig=KILL']);
  assert.ok(argv.indexOf('/dev/.nsbox/perl') > setprivs(argv)[0]! && argv.indexOf('/dev/.nsbox/perl') < argv.indexOf('/dev/.nsbox/env'), 'the filter still loads after the drop, before env');
  for (const other of [{ startsAsRoot: false }, { uid: 1000 }, { gid: 100 }, { groups: [10] }, { capabilities: ['chown', 'setuid', 'setgid'] }, { ambient: ['chown'] }]) {
    assert.equal(setprivs(buildFinalExecArgv({ ...base, ...other })).length, 2, JSON.stringify(other));
  }
});

test('final exec: with one setpriv and the perl loader, that perl sets the environment (no env process); env stays for --init, -w, setpriv\'s own filter', () => {
  const base = { toolbox: TOOLBOX, uid: 0, gid: 0, groups: [] as number[], capabilities: ['chown', 'setuid', 'setgid', 'setpcap'], noNewPrivs: true, env: { LD_PRELOAD: '/x.so', A: 'a=b c' }, pdeathsig: true, startsAsRoot: true, loaderMayApplyEnv: true, seccomp: { loader: 'perl' as const, file: '/dev/.nsbox/seccomp.bpf', arch: 'SCMP_ARCH_X86_64' as const } };
  const argv = buildFinalExecArgv(base);
  assert.not.ok(argv.includes('/dev/.nsbox/env'), argv.join(' '));
  const perl = argv.indexOf('/dev/.nsbox/perl');
  assert.ok(argv.indexOf('/dev/.nsbox/setpriv') < perl, 'the drop comes first');
  assert.match(argv[perl + 2]!, /seccomp\(SECCOMP_SET_MODE_FILTER\)[^]*%ENV = \(\);[^]*exec \{ \$ARGV\[0\] \} @ARGV/, 'the filter first, then the environment, then the exec');
  assert.equal(argv.slice(perl + 3), ['/dev/.nsbox/seccomp.bpf', '--', 'LD_PRELOAD=/x.so', 'A=a=b c', '--']);
  for (const other of [{ loaderMayApplyEnv: false }, { workdir: '/w' }, { uid: 1000 }, { seccomp: { ...base.seccomp, loader: 'setpriv' as const } }]) {
    assert.ok(buildFinalExecArgv({ ...base, ...other }).includes('/dev/.nsbox/env'), JSON.stringify(other));
  }
});

test('nsbox-runtime\'s final exec: started as root, a 0:0 process gets one setpriv and the filter\'s perl sets process.env; a user, groups, ambient caps, an fd mover or a hook keep the old chain', () => {
  const caps = ['chown', 'kill', 'setuid', 'setgid', 'setpcap'];
  const p: OciProcess = {
    args: ['sleep', '1'], env: ['PATH=/bin', 'LD_PRELOAD=/x.so', 'A=a=b c'], cwd: '/', uid: 0, gid: 0, umask: undefined, additionalGids: [],
    capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] }, rlimits: [], noNewPrivileges: true,
    oomScoreAdj: undefined, terminal: false, consoleSize: undefined, apparmorProfile: undefined, selinuxLabel: undefined,
  };
  const seccomp = { loader: 'perl' as const, file: '/dev/.nsbox/seccomp.bpf', arch: 'SCMP_ARCH_X86_64' as const, profile: 'config.json', instructions: 10 };
  const count = (argv: string[], tool: string) => argv.filter((w) => w === `/dev/.nsbox/${tool}`).length;
  const merged = processExecArgv(p, TOOLBOX, seccomp, false, { startsAsRoot: true, commandFollows: true });
  assert.is(count(merged, 'setpriv'), 1, merged.join(' '));
  assert.is(count(merged, 'env'), 0, merged.join(' '));
  assert.equal(merged.slice(merged.indexOf('/dev/.nsbox/seccomp.bpf')), ['/dev/.nsbox/seccomp.bpf', '--', 'PATH=/bin', 'LD_PRELOAD=/x.so', 'A=a=b c', '--']);
  assert.ok(merged.includes('--clear-groups') && merged.includes('--no-new-privs'));
  // No filter: one setpriv, and env(1) still sets process.env (setpriv cannot: the variables would reach it).
  const plain = processExecArgv(p, TOOLBOX, undefined, false, { startsAsRoot: true, commandFollows: true });
  assert.equal([count(plain, 'setpriv'), count(plain, 'env')], [1, 1], plain.join(' '));
  const old = (argv: string[]) => [count(argv, 'setpriv'), count(argv, 'env')];
  assert.equal(old(processExecArgv(p, TOOLBOX, seccomp, false, { commandFollows: true })), [2, 1], 'not started as root (a user namespace)');
  assert.equal(old(processExecArgv({ ...p, uid: 1000 }, TOOLBOX, seccomp, false, { startsAsRoot: true, commandFollows: true })), [2, 1]);
  assert.equal(old(processExecArgv({ ...p, additionalGids: [10] }, TOOLBOX, seccomp, false, { startsAsRoot: true, commandFollows: true })), [2, 1]);
  assert.equal(old(processExecArgv({ ...p, capabilities: { ...p.capabilities, ambient: ['kill'], inheritable: ['kill'] } }, TOOLBOX, seccomp, false, { startsAsRoot: true, commandFollows: true })), [2, 1]);
  assert.equal(old(processExecArgv(p, TOOLBOX, seccomp, false, { startsAsRoot: true, commandFollows: true, afterDrop: ['/dev/.nsbox/perl', '-e', 'mover'] })), [2, 1], '--preserve-fds');
  // A startContainer hook's perl follows: env(1) stays (one setpriv still).
  assert.equal(old(processExecArgv(p, TOOLBOX, seccomp, false, { startsAsRoot: true })), [1, 1]);
});

test('--rootfs: every component root\'s and not writable by group or others; a sticky root directory is fine', () => {
  const tree: Record<string, { uid: number; mode: number }> = {
    '/': { uid: 0, mode: 0o40755 },
    '/tmp': { uid: 0, mode: 0o41777 },
    '/tmp/ok': { uid: 0, mode: 0o40700 },
    '/tmp/ok/root': { uid: 0, mode: 0o40755 },
    '/tmp/bad': { uid: 1000, mode: 0o40755 },
    '/tmp/bad/root': { uid: 0, mode: 0o40755 },
    '/srv': { uid: 0, mode: 0o40775 },
    '/srv/root': { uid: 0, mode: 0o40755 },
    '/opt': { uid: 0, mode: 0o41777 },
  };
  const stat = (p: string) => tree[p]!;
  assert.is(untrustedRootfsReason('/tmp/ok/root', stat), undefined);
  assert.is(untrustedRootfsReason('/tmp/bad/root', stat), '/tmp/bad is owned by uid 1000, not root');
  assert.is(untrustedRootfsReason('/srv/root', stat), '/srv is writable by its group (mode 0775)');
  assert.is(untrustedRootfsReason('/opt', stat), '/opt is writable by group and others (mode 1777)', 'the directory itself must not be writable, sticky or not');
});

test('devices: --cap-add MKNOD gets an allow-list (deny all, then Docker\'s defaults); refused without a devices cgroup', () => {
  assert.equal([...DEVICES_DENY], ['a']);
  assert.ok(DEVICES_ALLOW.includes('c 1:3 rwm') && DEVICES_ALLOW.includes('c 136:* rwm'));
  assert.not.ok(DEVICES_ALLOW.some((r) => r.startsWith('b ')), 'no block device, not even mknod');
  assert.is(chooseBlockDeviceGuard(true, false, true), 'devices-cgroup');
  assert.throws(() => chooseBlockDeviceGuard(false, false, true), /cgroup v2 device control is an eBPF program/);
  assert.is(chooseBlockDeviceGuard(false, true, true), 'none', '--privileged is not a sandbox');
});

test.run();
