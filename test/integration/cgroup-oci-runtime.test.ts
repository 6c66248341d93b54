// Integration (root, real cgroups; v1 here, v2 in the VM: named cgroup-* so CI's cgroup v2 stage runs it too):
// nsbox-runtime's cgroups, seen from the host. create places the container at its relative cgroupsPath (below the
// runtime's own cgroup) with the memory, pids and CPU limits of config.json (v1: one directory per hierarchy; v2: one
// directory, the controllers enabled down to it in cgroup.subtree_control); pause freezes it (freezer.state /
// cgroup.freeze) and state says paused; update rewrites the limits; kill --all reaches every process of the cgroup;
// delete removes every directory create made. On v2 the runtime runs in a .scope, as on a systemd host, and a relative
// path starts beside it (as runc places it). v2 only (the VM's root cgroup is the test's own, so nothing lands outside
// it): the systemd form "slice:prefix:name" laid out as systemd would. Few runtime calls: each costs seconds under
// the VM's emulation.

import * as assert from 'uvu/assert';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { detectCgroupHost, findHierarchy, findProcCgroupPath } from '../../src/cgroup/detect.js';
import { isRoot } from '../helpers/nsbox.js';
import { gatedTest } from '../helpers/suite.js';
import { snapshot, assertNoLeaks, type Snapshot } from '../helpers/leaks.js';
import { RUNTIME, buildBusyboxTar } from '../helpers/oci-clients.js';

const host = detectCgroupHost();
const v2 = host.mode === 'v2';
const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : host.mode === 'none' ? 'no cgroup filesystem' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-oci-cg-'));
const root = join(base, 'state');
const parent = `nsbox-rt-cg-${process.pid}`;
let before: Snapshot;

/** nsbox-runtime with its output in files: a created container keeps the stdio it was given (pipes would stay open). */
const rt = (args: readonly string[], wrap: readonly string[] = []) => {
  const [out, err] = [join(base, 'rt.out'), join(base, 'rt.err')];
  const fds = [openSync(out, 'w'), openSync(err, 'w')];
  const argv = [...wrap, RUNTIME, '--root', root, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', fds[0]!, fds[1]!], timeout: 120_000 });
  for (const fd of fds) closeSync(fd);
  return { code: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
};
const read = (file: string) => readFileSync(file, 'utf8').trim();

/** The container's directory on the hierarchy of `controller` (v2: the one directory), for a relative path. */
function ownDir(controller: string, path: string): string {
  const hierarchy = v2 ? host.hierarchies.find((h) => h.version === 2)! : findHierarchy(host, controller)!;
  return join(hierarchy.mount, findProcCgroupPath(host.self, hierarchy) ?? '/', path);
}

function bundle(name: string, cgroupsPath: string, resources: Record<string, unknown>): string {
  const dir = join(base, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    ociVersion: '1.0.2',
    process: { args: ['sh', '-c', 'sleep 1000 & exec sleep 1001'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, capabilities: { bounding: ['CAP_KILL'] }, noNewPrivileges: true },
    root: { path: join(base, 'bb-rootfs') },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }, { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] }],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }], cgroupsPath, resources },
  }));
  return dir;
}

const alive = (pid: number) => existsSync(`/proc/${pid}/stat`) && !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

test.before(() => {
  before = snapshot();
  buildBusyboxTar(base);
});

test.after(async () => {
  for (const id of ['c1', 'c2']) if (existsSync(join(root, id))) rt(['delete', '--force', id]);
  for (const dir of v2 ? [join(host.root, `${parent}.slice/run.scope`), join(host.root, `${parent}.slice`)] : []) if (existsSync(dir)) rmdirSync(dir);
  rmSync(base, { recursive: true, force: true });
  if (before) await assertNoLeaks(before, 'cgroup-oci-runtime');
});

test(`${v2 ? 'v2' : 'v1'}: limits at create, pause/resume through the freezer, update, kill --all, delete removes what create made`, () => {
  // v2: the runtime runs in a .scope the test made, as on a systemd host; a relative path then starts beside it.
  const scope = join(host.root, `${parent}.slice/run.scope`);
  if (v2) mkdirSync(scope, { recursive: true });
  const relative = v2 ? 'c1' : `${parent}/c1`;
  const b = bundle('c1', relative, { memory: { limit: 64 << 20 }, pids: { limit: 40 }, cpu: { shares: 512, quota: 50000, period: 100000 } });
  const inScope = v2 ? ['sh', '-c', `echo $$ > ${scope}/cgroup.procs && exec "$@"`, 'in-scope'] : [];
  const created = rt(['create', '--bundle', b, '--pid-file', join(base, 'c1.pid'), 'c1'], inScope);
  assert.equal(created.code, 0, created.stderr);
  const init = Number(read(join(base, 'c1.pid')));
  const mem = v2 ? join(host.root, `${parent}.slice/c1`) : ownDir('memory', relative);
  const pids = v2 ? mem : ownDir('pids', relative);
  const cpu = v2 ? mem : ownDir('cpu', relative);
  assert.ok(read(join(pids, 'cgroup.procs')).split('\n').includes(String(init)), `the init is in the container's cgroup ${pids}`);
  if (v2) {
    assert.equal(host.mode, 'v2');
    assert.equal(read(`/proc/${init}/cgroup`), `0::/${parent}.slice/c1`, 'beside the runtime\'s scope (a scope holds processes: no child cgroups with controllers), as runc places it');
    assert.equal(read(join(host.root, `${parent}.slice`, 'cgroup.subtree_control')).split(' ').filter((c) => ['cpu', 'memory', 'pids'].includes(c)).sort(), ['cpu', 'memory', 'pids'], 'the parent offers the controllers');
    assert.equal([read(join(mem, 'memory.max')), read(join(pids, 'pids.max')), read(join(cpu, 'cpu.max')), read(join(cpu, 'cpu.weight'))], [String(64 << 20), '40', '50000 100000', '20']);
  } else {
    assert.equal(host.mode === 'v1' || host.mode === 'hybrid', true);
    assert.equal([read(join(mem, 'memory.limit_in_bytes')), read(join(pids, 'pids.max')), read(join(cpu, 'cpu.cfs_quota_us')), read(join(cpu, 'cpu.shares'))], [String(64 << 20), '40', '50000', '512']);
  }
  assert.equal(rt(['start', 'c1']).code, 0);
  const paused = rt(['pause', 'c1']);
  assert.equal(paused.code, 0, paused.stderr);
  const freezer = v2 ? pids : ownDir('freezer', `${parent}/c1`);
  if (v2) assert.match(readFileSync(join(freezer, 'cgroup.events'), 'utf8'), /^frozen 1$/m, 'cgroup.events: frozen');
  else assert.equal(read(join(freezer, 'freezer.state')), 'FROZEN');
  assert.match(readFileSync(`/proc/${init}/status`, 'utf8'), /^State:\s+[SD]/m, 'the init is asleep');
  // resume also checks state: it refuses a container that is not paused.
  const resumed = rt(['resume', 'c1']);
  assert.equal(resumed.code, 0, resumed.stderr);
  if (v2) assert.match(readFileSync(join(freezer, 'cgroup.events'), 'utf8'), /^frozen 0$/m);
  else assert.equal(read(join(freezer, 'freezer.state')), 'THAWED');
  writeFileSync(join(base, 'res.json'), JSON.stringify({ memory: { limit: 128 << 20 }, pids: { limit: 60 }, cpu: { quota: 20000, period: 100000 } }));
  const updated = rt(['update', '--resources', join(base, 'res.json'), 'c1']);
  assert.equal(updated.code, 0, updated.stderr);
  if (v2) assert.equal([read(join(mem, 'memory.max')), read(join(pids, 'pids.max')), read(join(cpu, 'cpu.max'))], [String(128 << 20), '60', '20000 100000']);
  else assert.equal([read(join(mem, 'memory.limit_in_bytes')), read(join(pids, 'pids.max')), read(join(cpu, 'cpu.cfs_quota_us'))], [String(128 << 20), '60', '20000']);
  let procs: number[] = [];
  for (let i = 0; i < 100 && procs.length < 2; i++, spawnSync('sleep', ['0.05'])) procs = read(join(pids, 'cgroup.procs')).split('\n').map(Number);
  assert.equal(procs.length, 2, `the init and its background sleep: ${procs}`);
  assert.equal(rt(['kill', '--all', 'c1', 'KILL']).code, 0);
  for (let i = 0; i < 100 && procs.some(alive); i++) spawnSync('sleep', ['0.05']);
  assert.equal(procs.filter(alive), [], 'kill --all reached both');
  const deleted = rt(['delete', 'c1']);
  assert.equal(deleted.code, 0, deleted.stderr);
  for (const dir of new Set([mem, pids, cpu, freezer])) assert.ok(!existsSync(dir), `delete removed ${dir}`);
  if (!v2) for (const dir of new Set([mem, pids, cpu, freezer])) assert.ok(!existsSync(join(dir, '..')), `and its parent, which create made: ${join(dir, '..')}`);
});

if (v2) {
  test('v2: the systemd form "slice:prefix:name" as cgroupfs directories (SLICE/prefix-name.scope) under --systemd-cgroup, with no systemd to ask', () => {
    assert.equal(host.mode, 'v2');
    const slice = `${parent.replace(/-/g, '_')}.slice`;
    const b = bundle('c2', `${slice}:nsbox:c2`, { pids: { limit: 30 } });
    const run = rt(['--systemd-cgroup', 'run', '--detach', '--bundle', b, '--pid-file', join(base, 'c2.pid'), 'c2']);
    assert.equal(run.code, 0, run.stderr);
    const init = Number(read(join(base, 'c2.pid')));
    assert.equal(read(`/proc/${init}/cgroup`), `0::/${slice}/nsbox-c2.scope`);
    assert.equal(read(join(host.root, slice, 'nsbox-c2.scope/pids.max')), '30');
    assert.equal(rt(['delete', '--force', 'c2']).code, 0);
    assert.ok(!existsSync(join(host.root, slice)), 'delete removed the slice create made');
  });
}

test.run();
