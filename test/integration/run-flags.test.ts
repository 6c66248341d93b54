// Integration (root): docker run's process flags on real boxes, checked from the host. --sysctl: the value in the
// box's own /proc/sys, the host's unchanged, host-wide keys refused. --group-add: the command's
// Groups in /proc/PID/status, names from the image's /etc/group, bad values refused before anything is made. --ulimit: the limits in
// /proc/<pid of the box's command>/limits (an image box and a host-root box, detached and in the foreground, with
// and without a user namespace) and `ulimit` inside; bad values: one line, exit 125, nothing made; a limit the kernel
// refuses (nofile above fs.nr_open) rolls the box back; exec's processes get the box's limits, inspect shows them. Every test ends with the leak audit.

import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { nsbox, isRoot, ok, type Result } from '../helpers/nsbox.js';
import { assertNoLeaks, removeCgroupParents, snapshot, type Snapshot } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';

const test = gatedTest(!isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined);
const BASE = mkdtempSync(join(tmpdir(), 'nsbox-runflags-'));
const PARENT = `./runflags-${process.pid}`;
const STORE = join(BASE, 'store');
const STATE = join(BASE, 'state');
const env = { ...process.env, NSBOX_ROOT: STORE, NSBOX_STATE: STATE, NSBOX_CGROUP_PARENT: PARENT, NSBOX_IMAGE_NETWORK: 'none' };
const run = (args: readonly string[]): Result => nsbox(args, { env, timeoutMs: 60_000 });
const list = (...parts: string[]): string[] => (existsSync(join(...parts)) ? readdirSync(join(...parts)).sort() : []);

let before: Snapshot;
test.before(() => {
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox');
});
test.before.each(() => {
  before = snapshot({ stateDirs: [STATE], cgroupParents: [PARENT] });
});
test.after.each(async () => {
  for (const id of run(['ps', '-aq']).stdout.split('\n').filter(Boolean)) run(['rm', '-f', id]);
  assert.equal([list(STATE, 'boxes'), list(STORE, 'containers')], [[], []], 'no state or container directory left');
  await assertNoLeaks(before, 'run flags');
});
test.after(() => {
  removeCgroupParents([PARENT]);
  rmSync(BASE, { recursive: true, force: true });
});

/** One row of /proc/PID/limits, read from the host: [soft, hard] as the kernel prints them. */
function limitOf(pid: number, row: string): [string, string] {
  const text = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const m = new RegExp(`^${row}\\s+(\\S+)\\s+(\\S+)`, 'm').exec(text);
  assert.ok(m, `no "${row}" row in /proc/${pid}/limits:\n${text}`);
  return [m![1]!, m![2]!];
}

/** The detached box's command, from the host: its pid (State.Pid) after checking that it is that command. */
function commandPid(name: string, program: string): number {
  const pid = Number(run(['inspect', '-f', '{{.State.Pid}}', name]).stdout.trim());
  assert.ok(pid > 0, `${name}: State.Pid`);
  assert.is(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0], program, `${name}: State.Pid is the box's command`);
  return pid;
}

/** CAP_SYS_RESOURCE (bit 24) in this process's effective set: needed to raise a hard limit. */
const hasSysResource = (BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`) >> 24n) & 1n ? true : false;
const ownLimits = (): [string, string] => limitOf(process.pid, 'Max open files');

test('--ulimit on an image box: /proc/PID/limits of its command from the host, ulimit inside; the host keeps its own', () => {
  const mine = ownLimits();
  assert.not.equal(mine, ['123', '456'], 'the test\'s own limit differs from the one asked for');
  ok(run(['run', '-d', '--name', 'lim', '--ulimit', 'nofile=123:456', '--ulimit', 'core=-1', '--ulimit', 'nproc=300:400', 'busybox', 'sleep', '1000']), 'run -d --ulimit');
  const pid = commandPid('lim', 'sleep');
  assert.equal(limitOf(pid, 'Max open files'), ['123', '456']);
  assert.equal(limitOf(pid, 'Max core file size'), ['unlimited', 'unlimited']);
  assert.equal(limitOf(pid, 'Max processes'), ['300', '400']);
  assert.equal(ownLimits(), mine, 'nsbox\'s caller keeps its limits');
  // exec's processes get the box's limits too (Docker's exec does); inspect shows them in Docker's spelling.
  assert.is(ok(run(['exec', 'lim', 'sh', '-c', 'ulimit -n; ulimit -Hn']), 'exec'), '123\n456\n');
  assert.equal(JSON.parse(ok(run(['inspect', '-f', '{{json .HostConfig.Ulimits}}', 'lim']), 'inspect')), [
    { Name: 'nofile', Soft: 123, Hard: 456 }, { Name: 'core', Soft: -1, Hard: -1 }, { Name: 'nproc', Soft: 300, Hard: 400 },
  ]);
  ok(run(['rm', '-f', 'lim']), 'rm');
  const inside = ok(run(['run', '--rm', '--ulimit', 'nofile=77:88', '--ulimit', 'stack=16777216', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -s; grep "open files" /proc/self/limits']), 'run --rm --ulimit');
  assert.match(inside, /^77\n88\n16384\nMax open files\s+77\s+88\s+files/, `ulimit inside: ${inside}`);
  // Without the flag the box keeps the limits it inherits (no step, no change).
  const plain = ok(run(['run', '--rm', 'busybox', 'sh', '-c', 'ulimit -n']), 'run without --ulimit').trim();
  assert.is(plain, mine[0]);
});

test('--ulimit on host-root boxes: foreground with and without a pid and user namespace, detached, exec; raising a hard limit', () => {
  for (const ns of [[], ['--pid', '--mount-proc'], ['--user', '--pid']]) {
    const out = ok(run(['run', ...ns, '--ulimit', 'nofile=50:60', '--ulimit', 'fsize=2048', '--', 'sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -f']), `run ${ns.join(' ')} --ulimit`);
    assert.is(out, '50\n60\n4\n', `${ns.join(' ') || 'no namespace'}: ulimit inside`);
  }
  // Detached, in a user namespace: set from the host on the box's first process, exec's processes get them too.
  const mine = ownLimits();
  const lower = String(Number(mine[1]) - 10);
  ok(run(['run', '-d', '--name', 'hostlim', '--user', '--pid', '--ulimit', `nofile=70:${lower}`, '--', 'sleep', '1000']), 'run -d host box');
  const pid = commandPid('hostlim', 'sleep');
  assert.equal(limitOf(pid, 'Max open files'), ['70', lower]);
  assert.equal(ownLimits(), mine);
  assert.is(ok(run(['exec', 'hostlim', 'sh', '-c', 'ulimit -n; ulimit -Hn']), 'exec'), `70\n${lower}\n`);
  // A hard limit above nsbox's own: the host's root raises it with CAP_SYS_RESOURCE (a user namespace's root never
  // could); without that capability (some sandboxes drop it) the kernel refuses, and nsbox says so and makes nothing.
  const higher = String(Number(mine[1]) + 1000);
  const raised = run(['run', '--user', '--pid', '--ulimit', `nofile=70:${higher}`, '--', 'sh', '-c', 'ulimit -Hn']);
  if (hasSysResource) {
    assert.is(raised.code, 0, raised.stderr);
    assert.is(raised.stdout, `${higher}\n`, 'the hard limit raised inside a user namespace');
  } else {
    assert.is(raised.code, 125, `without CAP_SYS_RESOURCE: ${raised.stderr}`);
    assert.match(raised.stderr, /^nsbox: prlimit --pid \d+ --nofile=70:\d+: prlimit: failed to set the NOFILE resource limit: Operation not permitted$/m);
  }
  ok(run(['rm', '-f', 'hostlim']), 'rm');
});

test('--ulimit bad values: one line, exit 125, nothing made; a limit the kernel refuses rolls the box back', () => {
  const cases: [string[], RegExp][] = [
    [['run', '--ulimit', 'nofiles=10', 'busybox', 'true'], /^nsbox: invalid --ulimit "nofiles=10": unknown limit "nofiles"/],
    [['run', '--ulimit', 'nofile=20:10', 'busybox', 'true'], /^nsbox: invalid --ulimit "nofile=20:10": the soft limit is above the hard limit/],
    [['run', '-d', '--ulimit', 'nofile=many', 'busybox', 'true'], /^nsbox: invalid --ulimit "nofile=many": not a limit: "many"/],
    [['run', '--ulimit', 'nofile=1:x', '--', 'true'], /^nsbox: invalid --ulimit "nofile=1:x": not a limit: "x"/],
    [['create', '--ulimit', 'core', 'busybox'], /^nsbox: invalid --ulimit "core": expected NAME=SOFT\[:HARD\]/],
  ];
  for (const [args, pattern] of cases) {
    const r = run(args);
    assert.is(r.code, 125, `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.is(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line: ${r.stderr}`);
    assert.is(r.stdout, '', 'nothing on stdout');
    assert.equal([list(STATE, 'boxes'), list(STORE, 'containers')], [[], []], `${args.join(' ')}: nothing made`);
  }
  // RLIMIT_NOFILE may not exceed fs.nr_open: the kernel refuses prlimit, nsbox says so and undoes the box.
  for (const args of [['busybox', 'true'], ['--pid', '--', 'true']]) {
    const r = run(['run', '--ulimit', 'nofile=unlimited', ...args]);
    assert.is.not(r.code, 0, `nofile=unlimited ${args[0]}: refused by the kernel`);
    assert.match(r.stderr, /prlimit/, `nofile=unlimited: the failing tool is named: ${r.stderr}`);
    assert.equal([list(STATE, 'boxes'), list(STORE, 'containers')], [[], []], 'rolled back');
  }
});

/** A field of /proc/PID/status, read from the host. */
function statusField(pid: number, field: string): string {
  const m = new RegExp(`^${field}:[ \\t]*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `no ${field} in /proc/${pid}/status`);
  return m![1]!.trim();
}

test('--group-add: the command\'s supplementary groups from the host (/proc/PID/status), names from the image\'s /etc/group', () => {
  ok(run(['run', '-d', '--name', 'grp', '-u', 'nobody', '--group-add', 'tty', '--group-add', '1234', 'busybox', 'sleep', '1000']), 'run -d --group-add');
  const pid = commandPid('grp', 'sleep');
  assert.is(statusField(pid, 'Groups'), '5 1234', 'tty (5, the image\'s) and 1234');
  assert.match(statusField(pid, 'Uid'), /^65534\s/, 'still the user asked for');
  assert.match(statusField(pid, 'Gid'), /^65534\s/, 'and its own group');
  // exec's processes get the same groups (Docker's exec does); exec -u another user gets that user's own.
  assert.is(ok(run(['exec', 'grp', 'id', '-G']), 'exec id -G'), '65534 5 1234\n');
  assert.is(ok(run(['exec', '-u', 'root', 'grp', 'id', '-G']), 'exec -u root id -G'), '0\n');
  ok(run(['rm', '-f', 'grp']), 'rm');
  // Without the flag: none (nobody is listed in no group of the image).
  ok(run(['run', '-d', '--name', 'nogrp', '-u', 'nobody', 'busybox', 'sleep', '1000']), 'run -d');
  assert.is(statusField(commandPid('nogrp', 'sleep'), 'Groups'), '');
  ok(run(['rm', '-f', 'nogrp']), 'rm');
  assert.is(ok(run(['run', '--rm', '--group-add', 'nogroup', 'busybox', 'id', '-G']), 'id -G'), '0 65534\n', 'root keeps gid 0 and gets nogroup');
});

test('--group-add bad values: one line, exit 125, nothing made (an unknown name, a bad word, a host-root box)', () => {
  const cases: [string[], RegExp][] = [
    [['run', '--group-add', 'wheel', 'busybox', 'true'], /^nsbox: invalid --group-add "wheel": no such group in the image's \/etc\/group$/m],
    [['run', '-d', '--group-add', 'a:b', 'busybox', 'true'], /^nsbox: invalid --group-add "a:b": expected a gid or a group name$/m],
    [['run', '--group-add', '4294967295', 'busybox', 'true'], /^nsbox: invalid --group-add "4294967295": gid out of range$/m],
    [['run', '--group-add', '10', '--', 'true'], /^nsbox: invalid --group-add "10": only image boxes take it/],
  ];
  for (const [args, pattern] of cases) {
    const r = run(args);
    assert.is(r.code, 125, `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, pattern, `${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line: ${r.stderr}`);
    assert.equal([list(STATE, 'boxes'), list(STORE, 'containers')], [[], []], `${args.join(' ')}: nothing made`);
  }
});

test('--group-add reads the box\'s own /etc/group, never through a symlink to the host\'s', () => {
  // A root whose etc/group is a symlink to the host's /etc/group, which has a group the box must not learn of.
  assert.match(readFileSync('/etc/group', 'utf8'), /^shadow:/m, 'the host has a shadow group (the victim)');
  const rootfs = join(BASE, 'linked-rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  mkdirSync(join(rootfs, 'etc'));
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  symlinkSync('busybox', join(rootfs, 'bin', 'sh'));
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  symlinkSync('/etc/group', join(rootfs, 'etc', 'group'));
  const r = run(['run', '--rm', '--rootfs', rootfs, '--group-add', 'shadow', '--', '/bin/busybox', 'id', '-G']);
  assert.is(r.code, 125, `exit ${r.code}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /^nsbox: invalid --group-add "shadow": no such group in the image's \/etc\/group$/m);
  assert.is(r.stdout, '', 'the command never ran');
  // A gid still works there (nothing to look up).
  assert.is(ok(run(['run', '--rm', '--rootfs', rootfs, '--group-add', '42', '--', '/bin/busybox', 'id', '-G']), 'gid on a linked root'), '0 42\n');
});

const hostSysctl = (key: string): string => readFileSync(`/proc/sys/${key.replace(/\./g, '/')}`, 'utf8').trim();

test('--sysctl: the value in the box\'s own /proc/sys (image box, host-root box), the host\'s unchanged', () => {
  const keys = ['net.core.somaxconn', 'net.ipv4.ip_forward', 'kernel.shmmni', 'fs.mqueue.msg_max'];
  const host = Object.fromEntries(keys.map((k) => [k, hostSysctl(k)]));
  const wanted: Record<string, string> = {
    'net.core.somaxconn': String(Number(host['net.core.somaxconn']) + 7),
    'net.ipv4.ip_forward': host['net.ipv4.ip_forward'] === '1' ? '0' : '1',
    'kernel.shmmni': String(Number(host['kernel.shmmni']) - 3),
    'fs.mqueue.msg_max': String(Number(host['fs.mqueue.msg_max']) + 5),
  };
  const flags = keys.flatMap((k) => ['--sysctl', `${k}=${wanted[k]}`]);
  const read = `for k in ${keys.map((k) => `/proc/sys/${k.replace(/\./g, '/')}`).join(' ')}; do cat $k; done`;
  const expected = `${keys.map((k) => wanted[k]).join('\n')}\n`;
  assert.is(ok(run(['run', '--rm', ...flags, 'busybox', 'sh', '-c', read]), 'image box --sysctl'), expected, 'image box');
  assert.is(ok(run(['run', '--net', '--ipc', ...flags, '--', 'sh', '-c', read]), 'host box --sysctl'), expected, 'host-root box with --net --ipc');
  // Detached: set before the gate, so the command sees it from its first instruction; checked from the host too.
  ok(run(['run', '-d', '--name', 'sys', '--sysctl', `net.core.somaxconn=${wanted['net.core.somaxconn']}`, 'busybox', 'sleep', '1000']), 'run -d --sysctl');
  const pid = commandPid('sys', 'sleep');
  // /proc/sys shows the namespaces of the reader: enter the command's network namespace from the host to read its own.
  const seen = spawnSync('nsenter', ['--target', String(pid), '--net', '--', 'cat', '/proc/sys/net/core/somaxconn'], { encoding: 'utf8' });
  assert.is(seen.status, 0, seen.stderr);
  assert.is(seen.stdout.trim(), wanted['net.core.somaxconn'], 'the command\'s network namespace has the value');
  ok(run(['rm', '-f', 'sys']), 'rm');
  assert.equal(Object.fromEntries(keys.map((k) => [k, hostSysctl(k)])), host, 'the host\'s values are unchanged');
});

test('--sysctl refused: host-wide keys, no namespace of its own (one line, 125, nothing made); a key the kernel lacks rolls back', () => {
  const forward = hostSysctl('net.ipv4.ip_forward');
  const cases: [string[], RegExp][] = [
    [['run', '--sysctl', 'kernel.pid_max=4096', 'busybox', 'true'], /^nsbox: invalid --sysctl "kernel.pid_max=4096": not a namespaced sysctl/],
    [['run', '--sysctl', 'net.ipv4.ip_forward=1', '--', 'true'], /^nsbox: invalid --sysctl "net.ipv4.ip_forward=1": needs a network namespace of the box's own/],
    [['run', '--net', '--sysctl', 'kernel.shmmax=1', '--', 'true'], /needs an ipc namespace of the box's own/],
    [['run', '-d', '--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1', 'busybox', 'true'], /needs a network namespace of the box's own/],
    [['run', '--sysctl', 'kernel.hostname=x', 'busybox', 'true'], /use --hostname/],
  ];
  for (const [args, pattern] of cases) {
    const r = run(args);
    assert.is(r.code, 125, `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, pattern, `${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line: ${r.stderr}`);
    assert.equal([list(STATE, 'boxes'), list(STORE, 'containers')], [[], []], `${args.join(' ')}: nothing made`);
  }
  for (const args of [['busybox', 'true'], ['--net', '--', 'true']]) {
    const r = run(['run', '--sysctl', 'net.ipv4.no_such_knob=1', ...args]);
    assert.is(r.code, 125, `no such knob: exit ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, /no_such_knob/, r.stderr);
    assert.equal([list(STATE, 'boxes'), list(STORE, 'containers')], [[], []], 'rolled back');
  }
  assert.is(hostSysctl('net.ipv4.ip_forward'), forward, 'the host\'s value is unchanged');
});

test.run();
