// Integration (root): podman 4.3 + conmon drive bin/nsbox-runtime (`podman --runtime`), in a private store with a
// busybox image built here, cgroups below this test's own cgroup. Exit codes (0, 3, 127, 137), run -d + exec + stop +
// rm, the process tree conmon relies on (checked from the host), --memory OOM, --read-only, --tmpfs, -v, pause,
// podman's seccomp profile, and that nothing of the container (state, cgroups, processes) is left afterwards.

import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { isRoot } from '../helpers/nsbox.js';
import { gatedTest, skipPart } from '../helpers/suite.js';
import { snapshot, assertNoLeaks, type Snapshot } from '../helpers/leaks.js';
import { PODMAN_ULIMITS, RUNTIME, buildBusyboxTar, has, makeCgroupParent, privatePodman } from '../helpers/oci-clients.js';

const cgroup = isRoot ? makeCgroupParent(`nsbox-rt-podman-${process.pid}`) : undefined;
const skipReason = !isRoot ? 'needs root' : !has('podman') || !has('conmon') ? 'needs podman and conmon (apt-get install podman)'
  : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : !cgroup ? 'this process\'s cgroups have no common path podman can use as --cgroup-parent' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-oci-podman-'));
const podman = privatePodman(base);
/** nsbox-runtime's state dir (every call of podman's gets --root, see runtimeWithRoot). */
const runtimeRoot = join(base, 'runtime');
const RUN = () => ['--network', 'none', '--cgroup-parent', cgroup!.path, ...PODMAN_ULIMITS];
let before: Snapshot;

test.before(() => {
  before = snapshot();
  const imported = podman('import', buildBusyboxTar(base), 'localhost/nsbox-bb:latest');
  assert.equal(imported.code, 0, `podman import: ${imported.stderr}`);
});

test.after(async () => {
  podman('rm', '-af', '-t', '0');
  cgroup?.remove();
  // podman's own mounts (shm, vfs layers) below the store go with it.
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
    const target = line.split(' ')[4];
    if (target?.startsWith(`${base}/`)) spawnSync('umount', ['-l', target]);
  }
  rmSync(base, { recursive: true, force: true });
  if (before) await assertNoLeaks(before, 'oci-podman');
});

test('run --rm: the exit status of the process (0, 3), 127 for a missing command, the output, the hostname', () => {
  const ok = podman('run', '--rm', ...RUN(), '--hostname', 'inbox', 'localhost/nsbox-bb', 'sh', '-c', 'echo out; echo err >&2; hostname');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'out\ninbox\n');
  assert.match(ok.stderr, /^err$/m);
  const three = podman('run', '--rm', ...RUN(), 'localhost/nsbox-bb', 'sh', '-c', 'exit 3');
  assert.equal(three.code, 3, three.stderr);
  const missing = podman('run', '--rm', ...RUN(), 'localhost/nsbox-bb', 'no-such-command');
  assert.equal(missing.code, 127, missing.stderr);
  assert.match(missing.stderr, /executable file not found/);
  assert.equal(cgroup!.containerDirs(), [], 'no container cgroup is left after run --rm');
});

test('run --rm killed by SIGKILL (podman kill) exits 137', async () => {
  const child = spawn('podman', [...podman.base, 'run', '--rm', '--name', 'k137', ...RUN(), 'localhost/nsbox-bb', 'sleep', '60'], { stdio: 'ignore', env: { ...process.env, TMPDIR: base } });
  const code = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  for (let i = 0; i < 100 && podman('inspect', '-f', '{{.State.Status}}', 'k137').stdout.trim() !== 'running'; i++) await new Promise((r) => setTimeout(r, 100));
  const killed = podman('kill', '-s', 'KILL', 'k137');
  assert.equal(killed.code, 0, killed.stderr);
  assert.equal(await code, 137);
});

test('run -d: pid file holds the real host pid; the init is conmon\'s child in its own namespaces, with conmon\'s pipes and none of its environment', () => {
  const started = podman('run', '-d', '--name', 'd1', ...RUN(), 'localhost/nsbox-bb', 'sleep', '1000');
  assert.equal(started.code, 0, started.stderr);
  const id = started.stdout.trim();
  const pid = Number(podman('inspect', '-f', '{{.State.Pid}}', 'd1').stdout.trim());
  assert.ok(pid > 1, `podman knows the pid: ${pid}`);
  assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'sleep');
  const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  assert.equal(readFileSync(`/proc/${ppid}/comm`, 'utf8').trim(), 'conmon', 'the init was reparented to conmon');
  for (const ns of ['pid', 'mnt', 'uts', 'ipc', 'net']) assert.not.equal(readlinkSync(`/proc/${pid}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`), `own ${ns} namespace`);
  assert.equal(/^NSpid:\s+\d+\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1], '1', 'PID 1 inside');
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  assert.ok(!environ.some((e) => e.startsWith('_OCI_') || e.startsWith('XDG_')), `conmon's environment stays out: ${environ.join(' ')}`);
  assert.ok(environ.includes('container=podman'), 'process.env is applied');
  const fds = readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
  assert.equal(fds, [0, 1, 2], 'only stdio reaches the process');
  const held = readdirSync(`/proc/${ppid}/fd`).map((fd) => { try { return readlinkSync(`/proc/${ppid}/fd/${fd}`); } catch { return ''; } });
  for (const fd of [1, 2]) {
    const pipe = readlinkSync(`/proc/${pid}/fd/${fd}`);
    assert.match(pipe, /^pipe:/, `fd ${fd} is conmon's pipe`);
    assert.ok(held.includes(pipe), `conmon holds the other end of fd ${fd}`);
  }
  // The runtime's state: created by conmon's create, explained as a runnable script.
  const state = spawnSync(RUNTIME, ['--root', runtimeRoot, 'state', id], { encoding: 'utf8' });
  assert.equal(state.status, 0, state.stderr);
  const json = JSON.parse(state.stdout) as { status: string; pid: number; id: string };
  assert.equal([json.status, json.pid, json.id], ['running', pid, id]);
  const explain = spawnSync(RUNTIME, ['--root', runtimeRoot, 'explain', id], { encoding: 'utf8' });
  assert.match(explain.stdout, /^#!\/bin\/sh/);
  assert.match(explain.stdout, /pivot_root \. \./);
  const sh = spawnSync('sh', ['-n'], { input: explain.stdout, encoding: 'utf8' });
  assert.equal(sh.status, 0, `plan.sh parses as sh: ${sh.stderr}`);
});

test('exec: its exit status reaches podman (7), it runs in the container\'s pid namespace; stop and rm leave nothing', () => {
  const exec = podman('exec', 'd1', 'sh', '-c', 'echo pid $$; ls /proc | grep -c "^[0-9]"; exit 7');
  assert.equal(exec.code, 7, exec.stderr);
  assert.match(exec.stdout, /^pid \d+\n/);
  assert.ok(Number(exec.stdout.split('\n')[1]) <= 4, `only the container's processes: ${exec.stdout}`);
  const stop = podman('stop', '-t', '1', 'd1');
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(podman('inspect', '-f', '{{.State.Status}}', 'd1').stdout.trim(), 'exited');
  const id = podman('inspect', '-f', '{{.Id}}', 'd1').stdout.trim();
  const rm = podman('rm', 'd1');
  assert.equal(rm.code, 0, rm.stderr);
  assert.ok(!existsSync(join(runtimeRoot, id)), 'the runtime state is gone');
  assert.equal(cgroup!.containerDirs(), [], 'the container cgroups are gone');
});

test('pause / unpause: the freezer holds the container, podman sees Paused; update --memory reaches the cgroup', () => {
  assert.equal(podman('run', '-d', '--name', 'p1', ...RUN(), 'localhost/nsbox-bb', 'sleep', '1000').code, 0);
  const id = podman('inspect', '-f', '{{.Id}}', 'p1').stdout.trim();
  assert.equal(podman('pause', 'p1').code, 0);
  assert.equal(podman('inspect', '-f', '{{.State.Status}}', 'p1').stdout.trim(), 'paused');
  const freezer = readdirSync('/sys/fs/cgroup').includes('freezer') ? join('/sys/fs/cgroup/freezer', cgroup!.path, `libpod-${id}`, 'freezer.state') : '';
  if (freezer) {
    assert.ok(existsSync(freezer), `the container's freezer cgroup ${freezer}`);
    assert.equal(readFileSync(freezer, 'utf8').trim(), 'FROZEN');
  }
  assert.equal(podman('unpause', 'p1').code, 0);
  assert.equal(podman('inspect', '-f', '{{.State.Status}}', 'p1').stdout.trim(), 'running');
  // podman update: `update --resources FILE`, the new limit in the container's memory cgroup (raised, then lowered).
  const limit = join('/sys/fs/cgroup/memory', cgroup!.path, `libpod-${id}`, 'memory.limit_in_bytes');
  for (const [flag, bytes] of [['96m', 96 << 20], ['32m', 32 << 20]] as const) {
    const update = podman('update', '--memory', flag, 'p1');
    assert.equal(update.code, 0, update.stderr);
    if (!existsSync('/sys/fs/cgroup/memory')) continue; // cgroup v2: memory.max, checked by the v2 unit tests
    assert.ok(existsSync(limit), `the container's memory cgroup ${limit}`);
    assert.equal(Number(readFileSync(limit, 'utf8')), bytes);
  }
  assert.equal(podman('rm', '-f', '-t', '0', 'p1').code, 0);
});

test('--memory: the kernel\'s OOM kill ends the container, podman sees 137 (and the same OOMKilled as with runc)', () => {
  const eat = ['sh', '-c', 'a=xxxxxxxxxxxxxxxx; while :; do a=$a$a; done'];
  rmSync(join(base, 'oom'), { force: true });
  const run = podman('run', '--name', 'oom', ...RUN(), '--memory', '24m', '--memory-swap', '24m', 'localhost/nsbox-bb', ...eat);
  assert.equal(run.code, 137, run.stderr);
  const oomKilled = podman('inspect', '-f', '{{.State.OOMKilled}}', 'oom').stdout.trim();
  // conmon saw the kernel's OOM event on the container's memory cgroup (it writes "oom" into its working directory).
  assert.ok(existsSync(join(base, 'oom')), 'conmon recorded the OOM kill');
  assert.equal(podman('rm', 'oom').code, 0);
  // conmon 2.1.6 on this cgroup v1 host reports OOMKilled false under runc too: nsbox-runtime must match runc.
  if (!has('runc')) return skipPart('the OOMKilled comparison with runc', 'needs runc (apt-get install runc)');
  const runc = privatePodman(base, 'runc');
  const peer = runc('run', '--name', 'oom-runc', ...RUN(), '--memory', '24m', '--memory-swap', '24m', 'localhost/nsbox-bb', ...eat);
  assert.equal(peer.code, 137, peer.stderr);
  assert.equal(oomKilled, runc('inspect', '-f', '{{.State.OOMKilled}}', 'oom-runc').stdout.trim(), 'OOMKilled as under runc');
  assert.equal(runc('rm', 'oom-runc').code, 0);
});

test('--read-only, --tmpfs, -v: the root cannot be written, the tmpfs and the volume can; podman\'s seccomp profile is on', () => {
  const vol = join(base, 'vol');
  mkdirSync(vol);
  writeFileSync(join(vol, 'in.txt'), 'from host\n');
  const run = podman('run', '--rm', ...RUN(), '--read-only', '--tmpfs', '/scratch', '-v', `${vol}:/data`, 'localhost/nsbox-bb', 'sh', '-c',
    // (/proc/sys/kernel/hostname is per uts namespace: a regression writes the container's own name only.)
    'touch /rootfile 2>/dev/null && echo root-writable; echo t > /scratch/t && echo tmpfs-ok; cat /data/in.txt; echo back > /data/out.txt; grep ^Seccomp: /proc/1/status; grep " /scratch " /proc/mounts | cut -d" " -f3; (echo x > /proc/sys/kernel/hostname) 2>&1 | grep -c Read-only; ls /sys/firmware | wc -l');
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'tmpfs-ok\nfrom host\nSeccomp:\t2\ntmpfs\n1\n0\n', 'readonlyPaths: /proc/sys read-only; maskedPaths: /sys/firmware empty');
  assert.equal(readFileSync(join(vol, 'out.txt'), 'utf8'), 'back\n');
  const unconfined = podman('run', '--rm', ...RUN(), '--security-opt', 'seccomp=unconfined', 'localhost/nsbox-bb', 'grep', '^Seccomp:', '/proc/1/status');
  assert.equal(unconfined.stdout, 'Seccomp:\t0\n', unconfined.stderr);
});

test('run -t and exec -t: a real pty inside (the container\'s own devpts, /dev/console, controlling terminal), exit status kept', () => {
  // script(1) gives podman a real terminal, as a user at a terminal has.
  const onPty = (args: string[]) => spawnSync('script', ['-qec', ['podman', ...podman.base, ...args].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' '), '/dev/null'], { encoding: 'utf8', cwd: base, timeout: 60_000 });
  const shell = 'tty; [ -t 0 ] && [ -t 1 ] && echo terminal; ls -l /dev/console | cut -c1; cat /proc/self/stat | cut -d" " -f7; exit 6';
  const run = onPty(['run', '--rm', '-t', ...RUN(), 'localhost/nsbox-bb', 'sh', '-c', shell]);
  assert.equal(run.status, 6, run.stdout);
  const lines = run.stdout.replace(/\r/g, '').split('\n');
  assert.equal(lines.slice(0, 3), ['/dev/pts/0', 'terminal', 'c'], run.stdout);
  assert.not.equal(lines[3], '0', 'the pty is the controlling terminal (tty_nr)');
  assert.equal(podman('run', '-d', '--name', 't1', ...RUN(), 'localhost/nsbox-bb', 'sleep', '1000').code, 0);
  const exec = onPty(['exec', '-t', 't1', 'sh', '-c', 'tty; [ -t 0 ] && echo terminal; exit 8']);
  assert.equal(exec.status, 8, exec.stdout);
  assert.match(exec.stdout.replace(/\r/g, ''), /^\/dev\/pts\/\d+\nterminal\n/);
  assert.equal(podman('rm', '-f', '-t', '0', 't1').code, 0);
});

test.run();
