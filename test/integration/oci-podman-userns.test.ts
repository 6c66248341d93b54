// Integration (root): podman 4.3 + conmon drive bin/nsbox-runtime with a user namespace (`--uidmap 0:100000:65536`):
// the container is root inside and uid 100000 on the host (checked from the host through its pid), a file it writes
// to a -v volume belongs to 100000, exec runs in the same user namespace, and nothing is left afterwards. The store is
// below a shared mount of its own, as podman expects a host's mounts to be (makeSharedMount says why).

import * as assert from 'uvu/assert';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { isRoot } from '../helpers/nsbox.js';
import { gatedTest } from '../helpers/suite.js';
import { snapshot, assertNoLeaks, type Snapshot } from '../helpers/leaks.js';
import { PODMAN_ULIMITS, buildBusyboxTar, has, makeCgroupParent, makeSharedMount, privatePodman } from '../helpers/oci-clients.js';

const cgroup = isRoot ? makeCgroupParent(`nsbox-rt-podman-userns-${process.pid}`) : undefined;
const skipReason = !isRoot ? 'needs root' : !has('podman') || !has('conmon') ? 'needs podman and conmon (apt-get install podman)'
  : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : !cgroup ? 'this process\'s cgroups have no common path podman can use as --cgroup-parent' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-oci-podman-userns-'));
// nsbox-runtime's --root is below: the container's root (host uid 100000) opens its gate there.
chmodSync(base, 0o711);
const podman = privatePodman(base);
const MAP = ['--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536'];
const RUN = () => ['--network', 'none', '--cgroup-parent', cgroup!.path, ...PODMAN_ULIMITS, ...MAP];
let before: Snapshot;

test.before(() => {
  before = snapshot();
  // As on a systemd host: podman's exit-cleanup process unmounts in conmon's own mount namespace (makeSharedMount).
  makeSharedMount(base);
  const imported = podman('import', buildBusyboxTar(base), 'localhost/nsbox-bb:latest');
  assert.equal(imported.code, 0, `podman import: ${imported.stderr}`);
});

test.after(async () => {
  podman('rm', '-af', '-t', '0');
  cgroup?.remove();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
    const target = line.split(' ')[4];
    if (target === base || target?.startsWith(`${base}/`)) spawnSync('umount', ['-l', target]);
  }
  rmSync(base, { recursive: true, force: true });
  if (before) await assertNoLeaks(before, 'oci-podman-userns');
});

test('podman run --rm --uidmap 0:100000:65536: root inside, its exit status, a volume file owned by 100000 on the host', () => {
  const vol = join(base, 'vol');
  mkdirSync(vol);
  chownSync(vol, 100000, 100000);
  const r = podman('run', '--rm', ...RUN(), '-v', `${vol}:/vol`, 'localhost/nsbox-bb', 'sh', '-c', 'id; cat /proc/self/uid_map; touch /vol/made; exit 3');
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stdout, /^uid=0\b.*gid=0\b/m);
  assert.match(r.stdout, /^\s*0\s+100000\s+65536$/m);
  assert.equal(statSync(join(vol, 'made')).uid, 100000);
});

test('podman run -d + exec with --uidmap: host uid 100000, an own user namespace, exec joins it', async () => {
  const started = podman('run', '-d', '--name', 'u1', ...RUN(), 'localhost/nsbox-bb', 'sleep', '1000');
  assert.is(started.code, 0, `podman run -d: ${started.code}: ${started.stderr} ${started.stdout}`);
  const pid = Number(podman('inspect', '-f', '{{.State.Pid}}', 'u1').stdout.trim());
  assert.ok(pid > 0);
  assert.equal(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1], '100000');
  const userNs = readlinkSync(`/proc/${pid}/ns/user`);
  assert.not.equal(userNs, readlinkSync('/proc/self/ns/user'));
  const e = podman('exec', 'u1', 'sh', '-c', 'readlink /proc/self/ns/user; id -u; exit 7');
  assert.is(e.code, 7, e.stderr);
  assert.equal(e.stdout.split('\n').slice(0, 2), [userNs, '0']);
  const removed = podman('rm', '-f', '-t', '0', 'u1');
  assert.is(removed.code, 0, `podman rm -f: ${removed.stderr}`);
});

test('a --uidmap container that exits by itself: the cleanup conmon starts unmounts its shm on the host too, rm succeeds', () => {
  // The exit-cleanup process runs in conmon's mount namespace (podman's own, for a user namespace without the host's
  // root) and marks the storage unmounted there; a host-side shm left behind made `podman rm` fail EBUSY.
  const started = podman('run', '-d', '--name', 'e1', ...RUN(), 'localhost/nsbox-bb', 'true');
  assert.is(started.code, 0, started.stderr);
  const id = started.stdout.trim();
  const shmMounts = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(`/${id}/userdata/shm `));
  let status = '';
  for (let i = 0; i < 200 && status !== 'exited'; i++) {
    status = podman('inspect', '-f', '{{.State.Status}}', 'e1').stdout.trim();
    if (status !== 'exited') spawnSync('sleep', ['0.05']);
  }
  assert.is(status, 'exited', 'podman marks the container exited once conmon\'s cleanup process has run');
  for (let i = 0; i < 40 && shmMounts().length > 0; i++) spawnSync('sleep', ['0.05']);
  assert.equal(shmMounts(), [], 'the shm tmpfs is unmounted in the host\'s mount namespace');
  const rm = podman('rm', 'e1');
  assert.is(rm.code, 0, rm.stderr);
});

test('run -t and exec -t with --uidmap: a real pty inside (the console socket reached from the host side), exit status kept', () => {
  // script(1) gives podman a real terminal. conmon's console socket is out of the mapped root's reach (0755, root's):
  // nsbox-runtime connects to it as the host's root and the init sends the master over that connection.
  const onPty = (args: string[]) => spawnSync('script', ['-qec', ['podman', ...podman.base, ...args].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' '), '/dev/null'], { encoding: 'utf8', cwd: base, timeout: 60_000 });
  const run = onPty(['run', '--rm', '-t', ...RUN(), 'localhost/nsbox-bb', 'sh', '-c', 'tty; [ -t 0 ] && [ -t 1 ] && echo terminal; id -u; cut -d" " -f7 /proc/self/stat; ls /proc/self/fd | wc -l; exit 6']);
  assert.equal(run.status, 6, run.stdout);
  const lines = run.stdout.replace(/\r/g, '').split('\n');
  assert.equal(lines.slice(0, 3), ['/dev/pts/0', 'terminal', '0'], run.stdout);
  assert.not.equal(lines[3], '0', 'the pty is the controlling terminal (tty_nr)');
  assert.equal(lines[4], '4', `fds 0-2 and ls's own only (the console connection is closed): ${run.stdout}`);
  const detached = podman('run', '-d', '--name', 't1', ...RUN(), 'localhost/nsbox-bb', 'sleep', '1000');
  assert.equal(detached.code, 0, detached.stderr);
  const exec = onPty(['exec', '-t', 't1', 'sh', '-c', 'tty; id -u; exit 8']);
  assert.equal(exec.status, 8, exec.stdout);
  assert.match(exec.stdout.replace(/\r/g, ''), /^\/dev\/pts\/\d+\n0\n/);
  const removed = podman('rm', '-f', '-t', '0', 't1');
  assert.is(removed.code, 0, `podman rm -f: ${removed.stderr}`);
});

test.run();
