// Integration (root): nsbox-runtime's light calls in sh (start, state, kill, delete: src/runtime/light-calls.sh) on
// real containers. Each light call runs with a PATH that has no node (only rm, rmdir and sleep, what the file uses),
// so an answer proves sh gave it; Node, forced by NSBOX_RUNTIME_LIGHT=0, must print the same bytes at every status.
// From the host: the gate opened (the process runs), the signal arrived (the process's own record of it), the
// process gone, every cgroup directory create made removed, the state directory gone. A container whose name
// breaks /proc/PID/stat over two lines is answered by Node (sh cannot answer it, and says nothing wrong).

import * as assert from 'uvu/assert';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { isRoot } from '../helpers/nsbox.js';
import { eventually, gatedTest } from '../helpers/suite.js';
import { snapshot, assertNoLeaks, type Snapshot } from '../helpers/leaks.js';
import { RUNTIME, buildBusyboxTar } from '../helpers/oci-clients.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-oci-light-'));
chmodSync(base, 0o711);
const root = join(base, 'state');
const parent = `nsbox-rt-light-${process.pid}`;
/** A PATH without node: only the tools light-calls.sh runs. */
const noNode = join(base, 'no-node');
let before: Snapshot;

type Result = { code: number | null; stdout: string; stderr: string };

/** nsbox-runtime with output in files (a created container keeps its stdio); `light`: PATH has no node. */
function rt(mode: 'light' | 'node' | 'any', ...args: string[]): Result {
  const out = join(base, 'rt.out');
  const err = join(base, 'rt.err');
  const fds = [openSync(out, 'w'), openSync(err, 'w')];
  const env = mode === 'light' ? { PATH: noNode } : mode === 'node' ? { ...process.env, NSBOX_RUNTIME_LIGHT: '0' } : process.env;
  const r = spawnSync(RUNTIME, ['--root', root, ...args], { stdio: ['ignore', fds[0]!, fds[1]!], timeout: 60_000, env });
  for (const fd of fds) closeSync(fd);
  return { code: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
}

function bundle(name: string, args: readonly string[]): string {
  const b = join(base, name);
  mkdirSync(b);
  spawnSync('cp', ['-a', join(base, 'bb-rootfs'), join(b, 'rootfs')]);
  const caps = ['CAP_KILL'];
  const config = {
    ociVersion: '1.0.2',
    process: { args, env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, capabilities: { bounding: caps, effective: caps, permitted: caps }, noNewPrivileges: true },
    root: { path: 'rootfs' },
    hostname: name,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }], cgroupsPath: `${parent}/${name}` },
  };
  writeFileSync(join(b, 'config.json'), JSON.stringify(config));
  return b;
}

function stateOf(mode: 'light' | 'node', id: string): string {
  const r = rt(mode, 'state', id);
  assert.is(r.code, 0, `${mode} state: ${r.stderr}`);
  return r.stdout;
}

/** Both answers, byte for byte the same; the status. */
function status(id: string): string {
  const light = stateOf('light', id);
  assert.is(light, stateOf('node', id), 'sh and Node print the same state');
  return JSON.parse(light).status;
}

test.before(() => {
  before = snapshot();
  buildBusyboxTar(base);
  mkdirSync(noNode);
  for (const tool of ['rm', 'rmdir', 'sleep']) symlinkSync(spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), join(noNode, tool));
});

test.after(async () => {
  for (const id of existsSync(root) ? readdirSync(root) : []) if (existsSync(join(root, id, 'state.json'))) rt('node', 'delete', '--force', id);
  rmSync(base, { recursive: true, force: true });
  if (before) await assertNoLeaks(before, 'oci-runtime-light');
});

test('a container\'s whole life in sh: state at every status as Node prints it, start, kill, delete (cgroups and state gone)', async () => {
  // The process counts the signals it gets in its own root, which the host reads.
  const b = bundle('life', ['sh', '-c', 'trap "echo usr1 >> /tmp/got" USR1; trap "echo hup >> /tmp/got" HUP; echo up > /tmp/up; while :; do sleep 0.05; done']);
  const pidFile = join(base, 'life.pid');
  const created = rt('any', 'create', '--bundle', b, '--pid-file', pidFile, 'life');
  assert.is(created.code, 0, created.stderr);
  assert.ok(existsSync(join(root, 'life', 'light.env')), 'create wrote light.env');
  const pid = Number(readFileSync(pidFile, 'utf8'));
  const cgroupDirs: string[] = JSON.parse(readFileSync(join(root, 'life', 'state.json'), 'utf8')).cgroup.created;
  assert.ok(cgroupDirs.length > 0 && cgroupDirs.every((d) => existsSync(d)), 'create made its cgroups');
  assert.is(status('life'), 'created');
  assert.not.ok(existsSync(join(b, 'rootfs/tmp/up')), 'nothing ran before start');

  const started = rt('light', 'start', 'life');
  assert.is(started.code, 0, started.stderr);
  await eventually(() => existsSync(join(b, 'rootfs/tmp/up')), 'the process to run');
  assert.is(status('life'), 'running');

  assert.is(rt('any', 'pause', 'life').code, 0);
  assert.is(status('life'), 'paused');
  assert.is(rt('any', 'resume', 'life').code, 0);
  assert.is(status('life'), 'running');

  // One at a time: a second USR1 sent while the first is pending would merge with it.
  const got = () => (existsSync(join(b, 'rootfs/tmp/got')) ? readFileSync(join(b, 'rootfs/tmp/got'), 'utf8') : '');
  for (const [signal, seen] of [['USR1', 'usr1\n'], ['SIGHUP', 'usr1\nhup\n'], ['10', 'usr1\nhup\nusr1\n']] as const) {
    const r = rt('light', 'kill', 'life', signal);
    assert.is(r.code, 0, `${signal}: ${r.stderr}`);
    await eventually(() => got() === seen, `${signal} to arrive`);
  }
  assert.is(rt('light', 'delete', 'life').code, 127, 'running, no --force: sh leaves it to Node (not on this PATH)');
  assert.ok(existsSync(`/proc/${pid}`), 'and nothing was done');

  assert.is(rt('light', 'kill', 'life', 'KILL').code, 0);
  // One answer per poll while it dies (sh and Node asked a moment apart could see it either side of its end).
  await eventually(() => JSON.parse(stateOf('light', 'life')).status === 'stopped', 'the init to die');
  assert.is(status('life'), 'stopped');
  assert.is(JSON.parse(stateOf('light', 'life')).pid, 0);
  const deleted = rt('light', 'delete', 'life');
  assert.is(deleted.code, 0, deleted.stderr);
  assert.not.ok(existsSync(join(root, 'life')), 'the state directory is gone');
  assert.equal(cgroupDirs.filter((d) => existsSync(d)), [], 'every cgroup create made is gone');
  assert.is(rt('light', 'delete', '--force', 'life').code, 0, 'delete --force of a gone container succeeds');
  assert.match(rt('any', 'state', 'life').stderr, /does not exist/);
});

test('delete --force of a running container in sh: every process of its cgroups killed, then the cgroups and state removed', async () => {
  const b = bundle('busy', ['sh', '-c', 'sleep 1000 & sleep 1000 & echo up > /tmp/up; wait']);
  assert.is(rt('any', 'create', '--bundle', b, '--pid-file', join(base, 'busy.pid'), 'busy').code, 0);
  assert.is(rt('light', 'start', 'busy').code, 0);
  await eventually(() => existsSync(join(b, 'rootfs/tmp/up')), 'the process to run');
  const state = JSON.parse(readFileSync(join(root, 'busy', 'state.json'), 'utf8'));
  const procs = readFileSync(join(state.cgroup.dirs[0].dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
  assert.is(procs.length, 3, `sh and two sleeps in ${state.cgroup.dirs[0].dir}: ${JSON.stringify(state.cgroup.dirs.map((d: { dir: string }) => [d.dir, readFileSync(join(d.dir, 'cgroup.procs'), 'utf8')]))}`);
  const r = rt('light', 'delete', '--force', 'busy');
  assert.is(r.code, 0, r.stderr);
  for (const p of procs) assert.not.ok(existsSync(`/proc/${p}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${p}/stat`, 'utf8')), `process ${p} is gone`);
  assert.equal((state.cgroup.created as string[]).filter((d) => existsSync(d)), []);
  assert.not.ok(existsSync(join(root, 'busy')));
});

test('an init named with a newline (/proc/PID/stat over two lines): sh declines, Node answers "running"', async () => {
  const b = bundle('nl', ['/bin/x\nS) R 1 2 3 4']);
  writeFileSync(join(b, 'rootfs/bin/x\nS) R 1 2 3 4'), '#!/bin/sh\necho up > /tmp/up\nwhile :; do sleep 1; done\n', { mode: 0o755 });
  assert.is(rt('any', 'create', '--bundle', b, '--pid-file', join(base, 'nl.pid'), 'nl').code, 0);
  assert.is(rt('light', 'start', 'nl').code, 0);
  await eventually(() => existsSync(join(b, 'rootfs/tmp/up')), 'the process to run');
  const pid = Number(readFileSync(join(base, 'nl.pid'), 'utf8'));
  assert.match(readFileSync(`/proc/${pid}/stat`, 'utf8'), /^\d+ \(x\n/);
  assert.is(rt('light', 'state', 'nl').code, 127, 'sh gave no answer of its own');
  assert.is(JSON.parse(rt('any', 'state', 'nl').stdout).status, 'running');
  assert.is(rt('any', 'delete', '--force', 'nl').code, 0);
  assert.not.ok(existsSync(join(root, 'nl')));
});

test.run();
