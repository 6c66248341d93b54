// Integration (root): containerd 1.6 and its runc shim (containerd-shim-runc-v2) drive bin/nsbox-runtime through
// `ctr --runc-binary`, the same BinaryName a CRI runtime handler sets. A private containerd (own root, state, socket
// under a temp dir), a busybox root given with --rootfs, cgroups below this test's own: run --rm (exit status),
// run -d + task exec (exit status) + task ps + task kill, and nothing left (state, cgroups, processes, shims).

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot } from '../helpers/nsbox.js';
import { gatedTest } from '../helpers/suite.js';
import { snapshot, assertNoLeaks, type Snapshot } from '../helpers/leaks.js';
import { RUNTIME, buildBusyboxTar, has, startContainerd, type Containerd } from '../helpers/oci-clients.js';
import { execFileSync, spawnSync } from 'node:child_process';

const skipReason = !isRoot ? 'needs root' : !has('containerd') || !has('ctr') || !has('containerd-shim-runc-v2') ? 'needs containerd and ctr (apt-get install containerd)'
  : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-oci-ctr-'));
const rootfs = join(base, 'bb-rootfs');
const runtimeRoot = join(base, 'runtime');
/** Relative: below the runtime's own cgroup on every hierarchy (the shim runs in this test's). */
const parent = `nsbox-rt-ctr-${process.pid}`;
let containerd: Containerd | undefined;
let before: Snapshot;
const RUN = (name: string) => ['--runc-binary', RUNTIME, '--runc-root', runtimeRoot, '--cgroup', `${parent}/${name}`, '--rootfs', rootfs, name];

/** The container cgroups nsbox-runtime made below this process's own cgroups. */
function containerCgroups(): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean)) {
    const [, controllers, path] = line.split(':');
    if (!controllers || controllers.startsWith('name=')) continue;
    const dir = join('/sys/fs/cgroup', controllers, path!, parent);
    if (existsSync(dir)) out.push(dir, ...readdirSync(dir).filter((e) => !e.includes('.')).map((e) => join(dir, e)));
  }
  return out;
}

test.before(async () => {
  before = snapshot();
  buildBusyboxTar(base); // leaves the root it packed in bb-rootfs
  containerd = await startContainerd(join(base, 'containerd'));
});

test.after(async () => {
  if (containerd) {
    for (const id of containerd.ctr('containers', 'ls', '-q').stdout.split('\n').filter(Boolean)) {
      containerd.ctr('task', 'kill', '-s', 'SIGKILL', id);
      containerd.ctr('task', 'delete', '-f', id);
      containerd.ctr('containers', 'rm', id);
    }
    await containerd.stop();
  }
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
    const target = line.split(' ')[4];
    if (target?.startsWith(`${base}/`)) execFileSync('umount', ['-l', target]);
  }
  rmSync(base, { recursive: true, force: true });
  if (before) await assertNoLeaks(before, 'oci-containerd');
});

test('ctr run --rm: output and exit status through the shim; state and cgroups gone after', () => {
  const r = containerd!.ctr('run', '--rm', ...RUN('c1'), 'sh', '-c', 'echo hello; exit 4');
  assert.equal(r.code, 4, r.stderr);
  assert.equal(r.stdout, 'hello\n');
  assert.equal(readdirSync(runtimeRoot).filter((e) => e === 'c1'), [], 'no state left');
  assert.equal(containerCgroups(), [], 'no cgroup left');
});

test('ctr run -d, task exec (exit status), task ps (host pids), task kill: the shim sees every exit', async () => {
  const c = containerd!;
  const started = c.ctr('run', '-d', ...RUN('c2'), 'sleep', '1000');
  assert.equal(started.code, 0, started.stderr);
  const exec = c.ctr('task', 'exec', '--exec-id', 'e1', 'c2', 'sh', '-c', 'echo in-exec; exit 5');
  assert.equal([exec.code, exec.stdout], [5, 'in-exec\n'], exec.stderr);
  const ps = c.ctr('task', 'ps', 'c2');
  assert.equal(ps.code, 0, ps.stderr);
  const pid = Number(ps.stdout.split('\n')[1]!.trim().split(/\s+/)[0]);
  assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'sleep', 'task ps lists the host pid of the init');
  const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  assert.match(readFileSync(`/proc/${ppid}/cmdline`, 'utf8'), /containerd-shim-runc-v2/, 'the init is the shim\'s child');
  const kill = c.ctr('task', 'kill', '-s', 'SIGKILL', 'c2');
  assert.equal(kill.code, 0, kill.stderr);
  let status = '';
  for (let i = 0; i < 50 && status !== 'STOPPED'; i++) {
    status = c.ctr('task', 'ls').stdout.split('\n').find((l) => l.startsWith('c2 '))?.trim().split(/\s+/)[2] ?? '';
    if (status !== 'STOPPED') await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status, 'STOPPED');
  assert.equal(c.ctr('task', 'delete', 'c2').code, 0);
  assert.equal(c.ctr('containers', 'rm', 'c2').code, 0);
  assert.ok(!existsSync(join(runtimeRoot, 'nsbox-rt', 'c2')) && !existsSync(join(runtimeRoot, 'c2')), 'no state left');
  assert.equal(containerCgroups(), [], 'no cgroup left');
});

test('ctr run --rm -t: the shim gets the pty master over its console socket; the process has a real terminal', () => {
  const ctr = ['ctr', '--address', join(base, 'containerd', 'containerd.sock'), '--namespace', 'nsbox-rt', 'run', '--rm', '-t', ...RUN('c3'), 'sh', '-c', 'tty; [ -t 0 ] && echo terminal; exit 3'];
  const r = spawnSync('script', ['-qec', ctr.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' '), '/dev/null'], { encoding: 'utf8', timeout: 60_000, cwd: base });
  assert.equal(r.status, 3, r.stdout);
  // (ctr's terminal echoes a NUL it writes to the pty as "^@" first, under runc too.)
  assert.match(r.stdout.replace(/\r/g, ''), /^(\^@)?\/dev\/pts\/0\nterminal\n/);
  assert.equal(containerCgroups(), [], 'no cgroup left');
});

test.run();
