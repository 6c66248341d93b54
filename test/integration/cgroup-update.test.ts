// Integration (root, real cgroups; v1 here, v2 in the VM: run-cgroup2 ... node test/run.js integration cgroup):
// `nsbox update`, as `docker update`: new limits land in a running box's own cgroup files (read from the host),
// stay in its record (inspect, and a restart makes its cgroups with them), a stopped box is updated for its next
// start, and bad input or a limit on a hierarchy the box has no cgroup on changes nothing (the files unchanged).
// Store and state: temp dirs; cgroups under ./cgu-<pid> of this test's own.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroupHost, findHierarchy, findProcCgroupPath } from '../../src/cgroup/detect.js';
import { dirOf } from '../../src/cgroup/layout.js';
import { ok, nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { gatedTest } from '../helpers/suite.js';

const host = detectCgroupHost();
const v2 = host.mode === 'v2';
const skip = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : !findHierarchy(host, 'memory') || !findHierarchy(host, 'pids') ? 'needs the memory and pids cgroup controllers' : undefined;
const test = gatedTest(skip);

const BASE = mkdtempSync(join(tmpdir(), 'nsbox-cgu-'));
const PARENT = `cgu-${process.pid}`;
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: join(BASE, 'store'), NSBOX_STATE: join(BASE, 'state'), NSBOX_CGROUP_PARENT: `./${PARENT}`, NSBOX_IMAGE_NETWORK: 'none' };
const run = (args: readonly string[]): Result => nsbox(args, { env: ENV, timeoutMs: 120_000 });

const MEMORY = v2 ? 'memory.max' : 'memory.limit_in_bytes';
/** The box's cgroup files, read from the host: memory limit and pids.max. */
function limitsOf(name: string): { memory: string; pids: string } {
  const dirs = JSON.parse(run(['inspect', '-f', '{{json .Nsbox.Cgroup.dirs}}', name]).stdout) as string[];
  const find = (file: string) => dirs.map((d) => join(d, file)).find((f) => existsSync(f));
  return { memory: readFileSync(find(MEMORY)!, 'utf8').trim(), pids: readFileSync(find('pids.max')!, 'utf8').trim() };
}

test.before(() => {
  if (skip) return;
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox');
});

test.after(() => {
  if (skip) return;
  for (const id of run(['ps', '-a', '-q', '--no-trunc']).stdout.split('\n').filter(Boolean)) run(['rm', '-f', id]);
  for (const controller of ['memory', 'cpu', 'cpuacct', 'pids', 'devices', 'cpuset']) {
    const h = findHierarchy(host, controller);
    if (!h) continue;
    const dir = dirOf({ mount: h.mount, path: `${(findProcCgroupPath(host.self, h) ?? '/').replace(/\/$/, '')}/${PARENT}` });
    if (existsSync(dir)) rmdirSync(dir);
  }
  rmSync(BASE, { recursive: true, force: true });
});

test('update a running box: memory and pids limits change in its cgroup files at once, and stay in its record and across a restart', () => {
  ok(run(['run', '-d', '--name', 'up', '--memory', '64m', '--pids-limit', '40', 'busybox', 'sleep', '300']), 'run -d');
  assert.equal(limitsOf('up'), { memory: '67108864', pids: '40' });
  const r = run(['update', '--memory', '96m', '--pids-limit', '55', 'up']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'up\n', 'the box named back, as docker update does');
  assert.equal(limitsOf('up'), { memory: String(96 * 1024 * 1024), pids: '55' }, 'the new limits in the live cgroup files');
  assert.is(run(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}', 'up']).stdout.trim(), `${96 * 1024 * 1024} 55`);
  // Lower than before works too (the kernel checks writes one at a time: the order is tried both ways).
  ok(run(['update', '--memory', '48m', 'up']), 'update --memory 48m');
  assert.equal(limitsOf('up'), { memory: String(48 * 1024 * 1024), pids: '55' });
  ok(run(['restart', '-t', '0', 'up']), 'restart');
  assert.equal(limitsOf('up'), { memory: String(48 * 1024 * 1024), pids: '55' }, 'the restarted box\'s new cgroups have the updated limits');
});

test('update refuses what it cannot do, changing nothing: no limit given, a bad value, a hierarchy the box has no cgroup on, no such box', () => {
  const before = limitsOf('up');
  const none = run(['update', 'up']);
  assert.is(none.code, 125);
  assert.match(none.stderr, /^nsbox: nothing to update: give a limit/m);
  const bad = run(['update', '--memory', '1m', 'up']);
  assert.is(bad.code, 125);
  assert.match(bad.stderr, /^nsbox: invalid --memory "1m"/m);
  if (!v2 && findHierarchy(host, 'cpuset')) {
    // v1: the box got cgroups only on the hierarchies of its limits (memory, pids); cpuset is not one of them.
    assert.not.ok((JSON.parse(run(['inspect', '-f', '{{json .Nsbox.Cgroup.dirs}}', 'up']).stdout) as string[]).some((d) => d.includes('/cpuset/')), 'the box has no cpuset cgroup');
    const cpuset = run(['update', '--cpuset-cpus', '0', '--pids-limit', '77', 'up']);
    assert.is(cpuset.code, 125, cpuset.stderr);
    assert.match(cpuset.stderr, /the box has no cgroup on \/sys\/fs\/cgroup\/cpuset/);
  }
  const missing = run(['update', '--memory', '64m', 'no-such-box']);
  assert.is(missing.code, 125);
  assert.match(missing.stderr, /no-such-box/);
  assert.equal(limitsOf('up'), before, 'the cgroup files are unchanged');
  assert.is(run(['inspect', '-f', '{{.HostConfig.PidsLimit}}', 'up']).stdout.trim(), before.pids, 'the record is unchanged');
});

test('update a stopped box: its next start gets the new limits', () => {
  ok(run(['stop', '-t', '0', 'up']), 'stop');
  ok(run(['update', '--memory', '80m', '--pids-limit', '33', 'up']), 'update a stopped box');
  ok(run(['start', 'up']), 'start');
  assert.equal(limitsOf('up'), { memory: String(80 * 1024 * 1024), pids: '33' });
  ok(run(['rm', '-f', 'up']), 'rm -f');
});

test.run();
