// Integration (root): nsbox-runtime's --preserve-fds (run, create + start, exec, podman run --preserve-fds) and the
// process limits it sets from the host (process.rlimits, process.oomScoreAdj), checked from the host: the container
// process's /proc/PID/fd (exactly 0-4: the preserved fds are the caller's open files, at their numbers, and an fd the
// caller did not preserve never arrives), the file offset the container moved, what it wrote; /proc/PID/limits and
// /proc/PID/oom_score_adj in a user namespace. Bad counts are one-line errors that leave nothing behind.

import * as assert from 'uvu/assert';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { isRoot } from '../helpers/nsbox.js';
import { gatedTest } from '../helpers/suite.js';
import { snapshot, assertNoLeaks, type Snapshot } from '../helpers/leaks.js';
import { PODMAN_ULIMITS, RUNTIME, buildBusyboxTar, has, makeCgroupParent, privatePodman, runtimeWithFiles } from '../helpers/oci-clients.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : !has('perl') ? 'needs perl (perl-base)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-oci-fds-'));
// The user namespace's root opens its gate in the state dir: the runtime's root must be searchable (as /run/nsbox-runtime).
chmodSync(base, 0o711);
const root = join(base, 'state');
const parent = `nsbox-rt-fds-${process.pid}`;
const HOST_ROOT = 100000;
let before: Snapshot;
const rt = runtimeWithFiles(base, root);

/** nsbox-runtime with `fds` as its fds 3, 4, ... (stdout and stderr in files, as a caller's pipes would stay open). */
function rtWith(fds: readonly number[], ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const out = join(base, 'fd.out');
  const err = join(base, 'fd.err');
  const files = [openSync(out, 'w'), openSync(err, 'w')];
  const r = spawnSync(RUNTIME, ['--root', root, ...args], { stdio: ['ignore', files[0]!, files[1]!, ...fds], timeout: 60_000 });
  for (const fd of files) closeSync(fd);
  return { code: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(check(), `timed out waiting for ${what}`);
}

/** fd number -> link target, of a host process. */
function fdsOf(pid: number): Record<string, string> {
  return Object.fromEntries(readdirSync(`/proc/${pid}/fd`).map((fd) => [fd, readlinkSync(`/proc/${pid}/fd/${fd}`)]));
}

const posOf = (fd: number) => Number(/^pos:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]);

function bundle(name: string, args: readonly string[], extra: { process?: object; linux?: object; userns?: boolean } = {}): string {
  const b = join(base, name);
  mkdirSync(b);
  spawnSync('cp', ['-a', join(base, 'bb-rootfs'), join(b, 'rootfs')]);
  if (extra.userns) assert.is(spawnSync('chown', ['-R', `${HOST_ROOT}:${HOST_ROOT}`, join(b, 'rootfs')]).status, 0);
  const caps = ['CAP_KILL'];
  const config = {
    ociVersion: '1.0.2',
    process: { args, env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, capabilities: { bounding: caps, effective: caps, permitted: caps }, noNewPrivileges: true, ...extra.process },
    root: { path: 'rootfs' },
    hostname: name,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }, ...(extra.userns ? [{ type: 'user' }] : [])],
      ...(extra.userns ? { uidMappings: [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }], gidMappings: [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }] } : {}),
      cgroupsPath: `${parent}/${name}`,
      ...extra.linux,
    },
  };
  writeFileSync(join(b, 'config.json'), JSON.stringify(config));
  return b;
}

test.before(() => {
  before = snapshot();
  buildBusyboxTar(base);
});

test.after(async () => {
  for (const id of existsSync(root) ? readdirSync(root) : []) if (existsSync(join(root, id, 'state.json'))) rt('delete', '--force', id);
  rmSync(base, { recursive: true, force: true });
  if (before) await assertNoLeaks(before, 'oci-runtime-fds');
});

test('run --preserve-fds 2: the container reads fd 3 and writes fd 4 (the caller\'s open files); fd 5, not preserved, never arrives', () => {
  const input = join(base, 'run-in');
  const output = join(base, 'run-out');
  const other = join(base, 'run-other');
  writeFileSync(input, 'from the host\n');
  writeFileSync(other, 'not preserved\n');
  const b = bundle('run1', ['sh', '-c', 'cat <&3; echo "written inside" >&4; for fd in 5 6 7 8 9 10 11 12; do [ -e /proc/self/fd/$fd ] && echo "extra fd $fd"; done; cat <&5 2>/dev/null; true']);
  const fds = [openSync(input, 'r'), openSync(output, 'w'), openSync(other, 'r')];
  const r = rtWith(fds, 'run', '--bundle', b, '--preserve-fds', '2', 'run1');
  for (const fd of fds) closeSync(fd);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'from the host\n', 'fd 3 read, and no other fd open in the process');
  assert.equal(readFileSync(output, 'utf8'), 'written inside\n');
  assert.not.ok(existsSync(join(root, 'run1')), 'run deletes the container');
});

test('socket activation of the runtime itself (LISTEN_FDS, LISTEN_PID its pid): those fds first, then --preserve-fds; the process is told LISTEN_FDS=1 LISTEN_PID=1', () => {
  const listen = join(base, 'listen-in');
  const kept = join(base, 'kept-in');
  writeFileSync(listen, 'listening\n');
  writeFileSync(kept, 'preserved\n');
  const b = bundle('listen1', ['sh', '-c', 'cat <&3; cat <&4; echo "LISTEN_FDS=$LISTEN_FDS LISTEN_PID=$LISTEN_PID"; [ -e /proc/self/fd/5 ] && echo "extra fd 5"; true']);
  // sh's pid is the runtime's: it execs bin/nsbox-runtime, which execs node. Fresh open files each time (the
  // container reads the caller's own: its offset moves).
  const activated = (pid: string) => {
    const fds = [openSync(listen, 'r'), openSync(kept, 'r')];
    const r = spawnSync('sh', ['-c', `LISTEN_FDS=1 LISTEN_PID=${pid} exec "$0" "$@"`, RUNTIME, '--root', root, 'run', '--bundle', b, '--preserve-fds', '1', 'listen1'], { stdio: ['ignore', 'pipe', 'pipe', ...fds], encoding: 'utf8', timeout: 60_000 });
    for (const fd of fds) closeSync(fd);
    return r;
  };
  const r = activated('$$');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'listening\npreserved\nLISTEN_FDS=1 LISTEN_PID=1\n');
  // Another process's LISTEN_PID: nothing of it passes (fd 3 is then the preserved one).
  const other = activated('1');
  assert.equal(other.status, 0, other.stderr);
  assert.equal(other.stdout, 'listening\nLISTEN_FDS= LISTEN_PID=\n', 'fd 3 alone, as --preserve-fds 1 asks; no LISTEN_ variables reach the process');
  assert.match(other.stderr, /4: Bad file descriptor/, 'no fd 4');
});

test('create + start --preserve-fds 2: from the host the process has exactly fds 0-4, 3 and 4 the same open files (the offset it moved)', async () => {
  const input = join(base, 'cs-in');
  const output = join(base, 'cs-out');
  const other = join(base, 'cs-other');
  writeFileSync(input, '12345rest\n');
  writeFileSync(other, 'x');
  const b = bundle('cs1', ['sh', '-c', 'dd bs=1 count=5 <&3 2>/dev/null >/dev/null; echo "from start" >&4; exec sleep 100']);
  const fds = [openSync(input, 'r'), openSync(output, 'w'), openSync(other, 'r')];
  const pidFile = join(base, 'cs1.pid');
  const created = rtWith(fds, 'create', '--bundle', b, '--pid-file', pidFile, '--preserve-fds', '2', 'cs1');
  assert.equal(created.code, 0, created.stderr);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.equal(posOf(fds[0]!), 0, 'nothing ran before start');
  assert.equal(readFileSync(output, 'utf8'), '');
  const explained = rt('explain', 'cs1').stdout;
  assert.match(explained, /--preserve-fds 2: nsbox-runtime's fds 3\.\.4 go with it as fds 10\.\.11/);
  assert.equal(spawnSync('sh', ['-n', '-c', explained]).status, 0, 'the explained plan parses as sh');
  const started = rt('start', 'cs1');
  assert.equal(started.code, 0, started.stderr);
  await until('the process to be sleep', () => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep');
  const open = fdsOf(pid);
  assert.equal(Object.keys(open).sort(), ['0', '1', '2', '3', '4'], `exactly stdio and the preserved fds: ${JSON.stringify(open)}`);
  assert.equal(open['3'], input);
  assert.equal(open['4'], output);
  assert.equal(statSync(`/proc/${pid}/fd/3`).ino, statSync(input).ino);
  assert.equal(posOf(fds[0]!), 5, 'the container read 5 bytes of the caller\'s own open file (one description, not a reopen)');
  assert.equal(readFileSync(output, 'utf8'), 'from start\n');
  for (const fd of fds) closeSync(fd);

  // exec --preserve-fds 1: its own fd 3; without the flag, none.
  const execIn = join(base, 'exec-in');
  writeFileSync(execIn, 'exec input\n');
  const e = openSync(execIn, 'r');
  const extra = openSync(other, 'r');
  const execd = rtWith([e, extra], 'exec', '--preserve-fds', '1', 'cs1', 'sh', '-c', 'cat <&3; for fd in 4 5 6 7 8 9 10 11; do [ -e /proc/self/fd/$fd ] && echo "extra fd $fd"; done; true');
  assert.equal(execd.code, 0, execd.stderr);
  assert.equal(execd.stdout, 'exec input\n');
  const plain = rtWith([e, extra], 'exec', 'cs1', 'sh', '-c', 'for fd in 3 4 5 6 7 8 9 10 11; do [ -e /proc/self/fd/$fd ] && echo "extra fd $fd"; done; true');
  closeSync(e);
  closeSync(extra);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout, '', 'exec without --preserve-fds: no fd beyond stdio');
  // Six: more than the shells leave room for; this toolbox's perl moves them from 10.. to 3..8.
  const six = Array.from({ length: 6 }, () => openSync(execIn, 'r'));
  const moved = rtWith(six, 'exec', '--preserve-fds', '6', 'cs1', 'sh', '-c', 'cat <&8; ls /proc/self/fd | tr "\\n" " "');
  for (const fd of six) closeSync(fd);
  assert.equal(moved.code, 0, moved.stderr);
  assert.match(moved.stdout, /^exec input\n0 1 2 3 4 5 6 7 8 9 $/, 'fd 8 read; 3..8 and the ls\'s own directory fd, nothing from 10..');
  assert.equal(rt('delete', '--force', 'cs1').code, 0);
});

test('without --preserve-fds the caller\'s fds 3 and 4 stay out of the container (checked on its /proc/PID/fd); exec --preserve-fds into it needs no perl up to 5 fds', async () => {
  const b = bundle('plain1', ['sleep', '100']);
  const fds = [openSync(join(base, 'run-in'), 'r'), openSync(join(base, 'plain-out'), 'w')];
  const pidFile = join(base, 'plain1.pid');
  const created = rtWith(fds, 'create', '--bundle', b, '--pid-file', pidFile, 'plain1');
  for (const fd of fds) closeSync(fd);
  assert.equal(created.code, 0, created.stderr);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.equal(rt('start', 'plain1').code, 0);
  await until('the process to be sleep', () => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep');
  assert.equal(Object.keys(fdsOf(pid)).sort(), ['0', '1', '2'], JSON.stringify(fdsOf(pid)));
  const exec = rtWith([], 'exec', '--preserve-fds', '1', 'plain1', 'true');
  assert.not.equal(exec.code, 0);
  assert.match(exec.stderr, /^nsbox-runtime: cannot honour --preserve-fds 1: fd 3 is not open$/m);

  // exec --preserve-fds into this container, whose toolbox has no perl: up to 5 fds go straight to their numbers.
  assert.not.ok(existsSync(`/proc/${pid}/root/dev/.nsbox/perl`), 'the condition: no perl in the container\'s toolbox');
  const input = join(base, 'noperl-in');
  const output = join(base, 'noperl-out');
  writeFileSync(input, 'no perl needed\n');
  const passed = [openSync(input, 'r'), openSync(output, 'w'), openSync(join(base, 'run-in'), 'r')];
  const read = rtWith(passed.slice(0, 2), 'exec', '--preserve-fds', '2', 'plain1', 'sh', '-c', 'cat <&3; echo "to fd 4" >&4; for fd in 5 6 7 8 9 10 11; do [ -e /proc/self/fd/$fd ] && echo "extra fd $fd"; done; true');
  assert.equal(read.code, 0, read.stderr);
  assert.equal(read.stdout, 'no perl needed\n', 'fd 3 read; no fd but 0-4');
  assert.equal(readFileSync(output, 'utf8'), 'to fd 4\n');
  const execPidFile = join(base, 'noperl.pid');
  const detached = rtWith(passed, 'exec', '--detach', '--pid-file', execPidFile, '--preserve-fds', '3', 'plain1', 'sleep', '100');
  assert.equal(detached.code, 0, detached.stderr);
  const execPid = Number(readFileSync(execPidFile, 'utf8'));
  await until('the exec to be sleep', () => readFileSync(`/proc/${execPid}/comm`, 'utf8').trim() === 'sleep');
  const open = fdsOf(execPid);
  assert.equal(Object.keys(open).sort(), ['0', '1', '2', '3', '4', '5'], `exactly stdio and the preserved fds: ${JSON.stringify(open)}`);
  assert.equal([open['3'], open['4'], open['5']], [input, output, join(base, 'run-in')]);
  for (const fd of passed) closeSync(fd);
  // More than 5 would need the mover: refused with the reason, nothing run.
  const six = Array.from({ length: 6 }, () => openSync(input, 'r'));
  const many = rtWith(six, 'exec', '--preserve-fds', '6', 'plain1', 'touch', '/six-ran');
  for (const fd of six) closeSync(fd);
  assert.equal(many.code, 1);
  assert.equal(many.stderr, 'nsbox-runtime: cannot honour --preserve-fds 6: more than 5 fds need perl in the container\'s toolbox to move them (it is there when the container was created with --preserve-fds or a seccomp filter loaded by perl)\n');
  assert.not.ok(existsSync(join(base, 'plain1', 'rootfs', 'six-ran')), 'nothing ran');
  assert.equal(rt('delete', '--force', 'plain1').code, 0);
});

test('--preserve-fds more than the caller gave, or not a number: one line, non-zero, nothing made', () => {
  const b = bundle('bad1', ['true']);
  const fds = [openSync(join(base, 'run-in'), 'r'), openSync(join(base, 'bad-out'), 'w')];
  const more = rtWith(fds, 'create', '--bundle', b, '--preserve-fds', '3', 'bad1');
  const word = rtWith(fds, 'create', '--bundle', b, '--preserve-fds', 'two', 'bad1');
  for (const fd of fds) closeSync(fd);
  assert.equal(more.code, 1);
  assert.equal(more.stderr, 'nsbox-runtime: cannot honour --preserve-fds 3: fd 5 is not open\n', 'fd 5 holds one of node\'s own by then: refused, never passed');
  assert.equal(word.code, 1);
  assert.match(word.stderr, /^nsbox-runtime: invalid --preserve-fds "two"/);
  assert.not.ok(existsSync(join(root, 'bad1')), 'no state left');
});

/** The host lets its root lower an OOM score and raise a hard limit (CAP_SYS_RESOURCE; not in every sandbox). */
const sysResource = (BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`) >> 24n) & 1n;

test('user namespace: rlimits and oomScoreAdj as asked, read from the host; lowering the score and raising a hard limit where the host allows it', async () => {
  const hard = Number(/^Max open files\s+\d+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]);
  // Within what any root may do: a higher OOM score, lower limits.
  const b = bundle('lim1', ['sleep', '100'], { userns: true, process: { oomScoreAdj: 500, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1000, hard: 2000 }, { type: 'RLIMIT_NPROC', soft: 500, hard: 600 }] } });
  const pidFile = join(base, 'lim1.pid');
  const created = rt('create', '--bundle', b, '--pid-file', pidFile, 'lim1');
  assert.equal(created.code, 0, created.stderr);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.not.equal(readlinkSync(`/proc/${pid}/ns/user`), readlinkSync('/proc/self/ns/user'), 'a user namespace of its own');
  assert.equal(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim(), '500');
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  assert.match(limits, /^Max open files\s+1000\s+2000\s/m);
  assert.match(limits, /^Max processes\s+500\s+600\s/m);
  const explained = rt('explain', 'lim1').stdout;
  assert.match(explained, /printf '%s\\n' 500 > "\/proc\/\$\{box\}\/oom_score_adj"/, 'the OOM score is a host step on the waiting init');
  assert.equal(spawnSync('sh', ['-n', '-c', explained]).status, 0);
  assert.equal(rt('start', 'lim1').code, 0);
  await until('the process to be sleep', () => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep');
  assert.equal(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim(), '500', 'the process keeps them');
  assert.match(readFileSync(`/proc/${pid}/limits`, 'utf8'), /^Max open files\s+1000\s+2000\s/m);
  assert.equal(rt('delete', '--force', 'lim1').code, 0);

  // Below the score's floor and above the hard limit: only with CAP_SYS_RESOURCE, which the host side has and the
  // user namespace's root never has.
  const lower = bundle('lim2', ['sleep', '100'], { userns: true, process: { oomScoreAdj: -500 } });
  const raise = bundle('lim3', ['sleep', '100'], { userns: true, process: { rlimits: [{ type: 'RLIMIT_NOFILE', soft: hard + 1000, hard: hard + 2000 }] } });
  const pids = [join(base, 'lim2.pid'), join(base, 'lim3.pid')];
  const lowered = rt('create', '--bundle', lower, '--pid-file', pids[0]!, 'lim2');
  const raised = rt('create', '--bundle', raise, '--pid-file', pids[1]!, 'lim3');
  if (sysResource) {
    assert.equal(lowered.code, 0, lowered.stderr);
    assert.equal(raised.code, 0, raised.stderr);
    const [p2, p3] = pids.map((f) => Number(readFileSync(f, 'utf8')));
    assert.equal(readFileSync(`/proc/${p2}/oom_score_adj`, 'utf8').trim(), '-500');
    assert.match(readFileSync(`/proc/${p3}/limits`, 'utf8'), new RegExp(`^Max open files\\s+${hard + 1000}\\s+${hard + 2000}\\s`, 'm'));
    assert.match(rt('explain', 'lim3').stdout, new RegExp(`prlimit --pid "\\$\\{box\\}" --nofile=${hard + 1000}:${hard + 2000}`), 'set from the host on the waiting init');
    // Newest first: lim2 made the common parent cgroup, which its delete removes once lim3's is gone.
    for (const id of ['lim3', 'lim2']) assert.equal(rt('delete', '--force', id).code, 0);
  } else {
    // The condition: this host's root cannot raise its own hard limit either (as runc here: "error setting rlimit").
    assert.not.equal(spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:${hard + 1}`]).status, 0, 'without CAP_SYS_RESOURCE no raise is possible');
    assert.equal(lowered.code, 1);
    assert.match(lowered.stderr, /^nsbox-runtime: cannot write \/proc\/\d+\/oom_score_adj: EACCES/m);
    assert.equal(raised.code, 1);
    assert.match(raised.stderr, /^nsbox-runtime: cannot create the container: .*prlimit.*NOFILE.*not permitted/im);
    assert.equal(lowered.stderr.split('\n').filter(Boolean).length, 1, lowered.stderr);
    for (const id of ['lim2', 'lim3']) assert.not.ok(existsSync(join(root, id)), `${id}: nothing left`);
  }
});

test('no user namespace: the init sets rlimits itself with ulimit (no prlimit process); one it could not set stays with the host\'s prlimit and its words', () => {
  const hard = Number(/^Max open files\s+\d+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]);
  const b = bundle('lim5', ['sleep', '100'], { process: { rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1000, hard: 2000 }, { type: 'RLIMIT_NPROC', soft: 500, hard: 600 }] } });
  const pidFile = join(base, 'lim5.pid');
  const created = rt('create', '--bundle', b, '--pid-file', pidFile, 'lim5');
  assert.equal(created.code, 0, created.stderr);
  const limits = readFileSync(`/proc/${Number(readFileSync(pidFile, 'utf8'))}/limits`, 'utf8');
  assert.match(limits, /^Max open files\s+1000\s+2000\s/m);
  assert.match(limits, /^Max processes\s+500\s+600\s/m);
  const explained = rt('explain', 'lim5').stdout;
  assert.match(explained, /\nstep ulimit -S -n 1000\nstep ulimit -H -n 2000\nstep ulimit -S -p 500\nstep ulimit -H -p 600\n/, 'in the init');
  assert.not.match(explained, /prlimit --pid/, 'no prlimit, on the host or in the init');
  assert.equal(rt('delete', '--force', 'lim5').code, 0);
  // Above nr_open (or, without CAP_SYS_RESOURCE, above nsbox-runtime's own hard limit): refused as before, by prlimit.
  const nrOpen = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
  const over = sysResource ? nrOpen + 1 : hard + 1;
  const refused = rt('create', '--bundle', bundle('lim6', ['sleep', '100'], { process: { rlimits: [{ type: 'RLIMIT_NOFILE', soft: over, hard: over }] } }), 'lim6');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`^nsbox-runtime: prlimit --pid \\d+ --nofile=${over}:${over}: prlimit: failed to set the NOFILE resource limit: Operation not permitted\n$`));
  assert.not.ok(existsSync(join(root, 'lim6')), 'nothing left');
});

test('exec applies its process\'s rlimits and oomScoreAdj (config.json\'s without --process, as runc), read from the host on the exec\'s pid, in a user namespace', async () => {
  const hard = Number(/^Max open files\s+\d+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]);
  const b = bundle('lim4', ['sleep', '100'], { userns: true, process: { oomScoreAdj: 300, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 900, hard: 1800 }] } });
  const pidFile = join(base, 'lim4.pid');
  const created = rt('create', '--bundle', b, '--pid-file', pidFile, 'lim4');
  assert.equal(created.code, 0, created.stderr);
  assert.equal(rt('start', 'lim4').code, 0);
  const execPid = async (name: string, ...args: string[]) => {
    const file = join(base, `${name}.pid`);
    const r = rt('exec', '--detach', '--pid-file', file, ...args);
    assert.equal(r.code, 0, r.stderr);
    const pid = Number(readFileSync(file, 'utf8'));
    await until(`${name} to be sleep`, () => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep');
    return pid;
  };
  // Without --process: config.json's process, args replaced.
  const inherited = await execPid('e-inherit', 'lim4', 'sleep', '101');
  assert.not.equal(readlinkSync(`/proc/${inherited}/ns/user`), readlinkSync('/proc/self/ns/user'), 'the exec is in the container\'s user namespace');
  assert.equal(readFileSync(`/proc/${inherited}/oom_score_adj`, 'utf8').trim(), '300');
  assert.match(readFileSync(`/proc/${inherited}/limits`, 'utf8'), /^Max open files\s+900\s+1800\s/m);
  // --process F: its own, here a lower score and a hard limit above the host's where the host allows it.
  const processFile = join(base, 'lim4-process.json');
  const raise = sysResource ? [{ type: 'RLIMIT_NOFILE', soft: hard + 100, hard: hard + 200 }] : [{ type: 'RLIMIT_NOFILE', soft: 50, hard: 60 }];
  writeFileSync(processFile, JSON.stringify({ args: ['sleep', '102'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, oomScoreAdj: sysResource ? -400 : 400, rlimits: [...raise, { type: 'RLIMIT_NPROC', soft: 70, hard: 80 }] }));
  const own = await execPid('e-own', '--process', processFile, 'lim4');
  assert.equal(readFileSync(`/proc/${own}/oom_score_adj`, 'utf8').trim(), sysResource ? '-400' : '400');
  const limits = readFileSync(`/proc/${own}/limits`, 'utf8');
  assert.match(limits, new RegExp(`^Max open files\\s+${raise[0]!.soft}\\s+${raise[0]!.hard}\\s`, 'm'));
  assert.match(limits, /^Max processes\s+70\s+80\s/m);
  // A limit no one may set (a hard NOFILE above fs.nr_open, podman's 1048576 on this host): a one-line error, nothing run.
  const nrOpen = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8'));
  const marker = join(b, 'rootfs', 'exec-ran');
  writeFileSync(processFile, JSON.stringify({ args: ['touch', '/exec-ran'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, rlimits: [{ type: 'RLIMIT_NOFILE', soft: nrOpen + 1, hard: nrOpen + 1 }] }));
  const refused = rt('exec', '--process', processFile, 'lim4');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^nsbox-runtime: cannot exec in the container: prlimit: .*NOFILE.*; failed: set process\.rlimits\n$/);
  assert.not.ok(existsSync(marker), 'the process never ran');
  assert.equal(rt('delete', '--force', 'lim4').code, 0);
});

test('podman run --preserve-fds 1: the container reads podman\'s fd 3', () => {
  const cgroup = makeCgroupParent(`nsbox-rt-fds-podman-${process.pid}`);
  assert.ok(has('podman') && has('conmon'), 'needs podman and conmon (apt-get install podman)');
  assert.ok(cgroup, 'a cgroup parent podman can use');
  const dir = join(base, 'podman');
  mkdirSync(dir);
  const podman = privatePodman(dir);
  try {
    const imported = podman('import', buildBusyboxTar(dir), 'localhost/nsbox-bb:latest');
    assert.equal(imported.code, 0, imported.stderr);
    const input = join(base, 'podman-in');
    writeFileSync(input, 'through conmon\n');
    const fd = openSync(input, 'r');
    const r = spawnSync('podman', [...podman.base, 'run', '--rm', '--network', 'none', '--cgroup-parent', cgroup!.path, ...PODMAN_ULIMITS, '--preserve-fds', '1', 'localhost/nsbox-bb', 'sh', '-c', 'cat <&3; for fd in 4 5 6 7 8 9; do [ -e /proc/self/fd/$fd ] && echo "extra fd $fd"; done; true'], { stdio: ['ignore', 'pipe', 'pipe', fd], encoding: 'utf8', cwd: dir, env: { ...process.env, TMPDIR: dir }, timeout: 120_000 });
    closeSync(fd);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'through conmon\n');
  } finally {
    podman('rm', '-af', '-t', '0');
    cgroup?.remove();
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
      const target = line.split(' ')[4];
      if (target?.startsWith(`${dir}/`)) spawnSync('umount', ['-l', target]);
    }
  }
});

test.run();
