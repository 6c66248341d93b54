// Integration (root, real cgroups): `nsbox run` with resource limits, checked from the host: OOM kill and its
// line, the pids limit, CPU quota, cpuset, bad input, and no cgroup or process left behind.
// Boxes go under NSBOX_CGROUP_PARENT=./cgrun-<pid>: below this test's own cgroup on every hierarchy.

import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectCgroupHost, findHierarchy, findProcCgroupPath } from '../../src/cgroup/detect.js';
import { dirOf } from '../../src/cgroup/layout.js';
import { testCgroupDir } from '../helpers/cgroup-dirs.js';
import { exitOf, nsbox, startNsbox } from '../helpers/nsbox.js';
import { gatedTest } from '../helpers/suite.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';

const host = detectCgroupHost();
const PARENT = `cgrun-${process.pid}`;
const skip = process.getuid?.() !== 0 ? 'needs root' : host.mode === 'none' ? 'no cgroup filesystem' : undefined;
const test = gatedTest(skip);
const ENV = { ...process.env, NSBOX_CGROUP_PARENT: `./${PARENT}` };

/** The test's parent cgroup on the hierarchy of `controller`. */
const parentDir = (controller: string): string => testCgroupDir(host, controller, PARENT);

const CONTROLLERS = ['memory', 'pids', 'cpu', 'cpuacct', 'cpuset'].filter((c) => findHierarchy(host, c));

/** Box cgroups currently under the test's parents. */
function listBoxes(): string[] {
  return [...new Set(CONTROLLERS.map(parentDir))].flatMap((dir) =>
    existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('nsbox-')).map((n) => join(dir, n)) : [],
  );
}

async function waitForBox(controller: string): Promise<string> {
  const deadline = Date.now() + 60_000; // nsbox starts in ~0.2 s here, in seconds on an emulated v2 VM
  while (Date.now() < deadline) {
    const dir = parentDir(controller);
    const found = existsSync(dir) ? readdirSync(dir).find((n) => n.startsWith('nsbox-')) : undefined;
    if (found) return join(dir, found);
    await sleep(10);
  }
  throw new Error(`no box cgroup appeared under ${parentDir(controller)}`);
}

function oomKills(): number {
  return Number(/^oom_kill (\d+)$/m.exec(readFileSync('/proc/vmstat', 'utf8'))?.[1] ?? NaN);
}

test.after.each(() => {
  if (skip) return;
  assert.equal(listBoxes(), [], 'no box cgroup is left');
});

test.after(() => {
  for (const dir of new Set(CONTROLLERS.map(parentDir))) if (existsSync(dir)) rmdirSync(dir);
});

for (const driver of ['cgroup-tools', 'cgroupfs']) {
  test(`memory hog at 3x the limit is killed: 137, the OOM line, oom_kill rose (${driver})`, () => {
    const before = oomKills();
    const r = nsbox(['run', '--memory', '32m', '--', 'sh', '-c', 'head -c 96m /dev/zero | tail -n 1 >/dev/null'], { env: { ...ENV, NSBOX_CGROUP_DRIVER: driver } });
    assert.is(r.code, 137, r.stderr);
    assert.match(r.stderr, /^nsbox: killed by the memory limit \(32M, peak 3[12](\.\d)?M\)$/m);
    assert.ok(oomKills() > before, 'the kernel counted an OOM kill');
  });
}

test('the same program under the limit succeeds, with no OOM line', () => {
  const r = nsbox(['run', '--memory', '32m', '--', 'sh', '-c', 'head -c 8m /dev/zero | tail -n 1 >/dev/null; echo done'], { env: ENV });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'done\n');
  assert.not.match(r.stderr, /killed/);
});

test('a fork loop under --pids-limit 20 never has more than 20 processes; nsbox reports refused forks', async () => {
  const child = startNsbox(['run', '--pids-limit', '20', '--', 'sh', '-c', "sh -c 'for i in $(seq 60); do sleep 5 & done' 2>/dev/null; exec sleep 3"], ENV);
  const box = await waitForBox('pids');
  let most = 0;
  while (child.exitCode === null && existsSync(box)) {
    let procs: string;
    try {
      procs = readFileSync(join(box, 'cgroup.procs'), 'utf8');
    } catch {
      break; // removed at teardown between the check and the read
    }
    most = Math.max(most, procs.split('\n').filter(Boolean).length);
    await sleep(5);
  }
  const { code } = await exitOf(child);
  assert.is(code, 0, child.output());
  assert.ok(most >= 15 && most <= 20, `at most 20 processes, and the loop reached the limit (saw ${most})`);
  assert.match(child.output(), /nsbox: the pids limit \(20\) refused \d+ forks?/);
});

// The upper bound is the limit; below it, a busy shared host may give the loop less than its quota, so the lower
// bound only proves the loop ran. The quota itself is read back from the box's cgroup.
test('a busy loop under --cpus 0.5 uses at most 0.65 CPU-seconds per second; the quota is 50ms per 100ms', async () => {
  const child = startNsbox(['run', '--cpus', '0.5', '--', 'timeout', '5', 'sh', '-c', 'while :; do :; done'], ENV);
  const v2 = host.mode === 'v2';
  const box = await waitForBox(v2 ? 'cpu' : 'cpuacct');
  const usage = () => (v2
    ? Number(/^usage_usec (\d+)$/m.exec(readFileSync(join(box, 'cpu.stat'), 'utf8'))![1]) / 1e6
    : Number(readFileSync(join(box, 'cpuacct.usage'), 'utf8')) / 1e9);
  const cpuBox = v2 ? box : await waitForBox('cpu');
  const readQuota = () => (v2
    ? readFileSync(join(cpuBox, 'cpu.max'), 'utf8').trim()
    : `${readFileSync(join(cpuBox, 'cpu.cfs_quota_us'), 'utf8').trim()} ${readFileSync(join(cpuBox, 'cpu.cfs_period_us'), 'utf8').trim()}`);
  // The directory appears a moment before nsbox writes the limit into it.
  let quota = readQuota();
  for (let i = 0; i < 250 && quota !== '50000 100000'; i++) {
    await sleep(20);
    quota = readQuota();
  }
  assert.is(quota, '50000 100000', 'the box cgroup has the 0.5 CPU quota');
  await sleep(500);
  const [u0, t0] = [usage(), process.hrtime.bigint()];
  await sleep(2000);
  const [u1, t1] = [usage(), process.hrtime.bigint()];
  child.kill('SIGTERM');
  await exitOf(child);
  const rate = (u1 - u0) / (Number(t1 - t0) / 1e9);
  assert.ok(rate > 0.02 && rate <= 0.65, `CPU-s/s ${rate.toFixed(3)}`);
});

test('--cpuset-cpus 0 shows Cpus_allowed_list: 0 inside', () => {
  const r = nsbox(['run', '--cpuset-cpus', '0', '--', 'grep', 'Cpus_allowed_list', '/proc/self/status'], { env: ENV });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'Cpus_allowed_list:\t0\n');
});

test('teardown kills every process left in the box', async () => {
  const r = nsbox(['run', '--pids-limit', '50', '--', 'sh', '-c', 'sleep 60 >/dev/null 2>&1 & echo $!'], { env: ENV });
  assert.is(r.code, 0, r.stderr);
  const pid = Number(r.stdout.trim());
  await sleep(100);
  const alive = existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.not.ok(alive, `orphan ${pid} was killed`);
});

test('bad input: one line naming the flag, exit 125, no cgroup created', async () => {
  const bad: [string, string][] = [
    ['--memory', ''], ['--memory', '-1'], ['--memory', '12bogus'], ['--memory', '1.5.5m'], ['--memory', '0x10'],
    ['--memory', '18446744073709551616'], ['--memory', '5m'], ['--cpus', '0'], ['--cpus', '-1'], ['--cpus', '9999'],
    ['--pids-limit', 'abc'], ['--pids-limit', '-2'], ['--cpuset-cpus', '4096'], ['--cgroup-parent', '../escape'],
    ['--cgroup-parent', './a/../../b'],
  ];
  const parents = [...new Set(CONTROLLERS.map(parentDir))];
  const existed = parents.filter(existsSync);
  // Where the escapes would land: beside this test's own cgroup ("../escape", "./a/../../b"), in every hierarchy.
  const escapes = [...new Set(CONTROLLERS.flatMap((c) => {
    const h = findHierarchy(host, c)!;
    const own = (findProcCgroupPath(host.self, h) ?? '/').replace(/\/$/, '');
    return ['escape', 'b'].map((name) => dirOf({ mount: h.mount, path: `${dirname(own) === '/' ? '' : dirname(own)}/${name}` }));
  }))];
  assert.equal(escapes.filter(existsSync), [], 'the escape targets do not exist before the test');
  const before = snapshot({ watch: escapes });
  for (const [flag, value] of bad) {
    const r = nsbox(['run', `${flag}=${value}`, '--', 'true'], { env: ENV });
    assert.is(r.code, 125, `${flag}=${value}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(r.stderr.includes(flag), r.stderr);
    assert.equal(parents.filter(existsSync), existed, 'no parent cgroup was created');
    assert.equal(escapes.filter(existsSync), [], `${flag}=${value}: no cgroup was created where the escape lands`);
  }
  await assertNoLeaks(before, 'bad cgroup flags');
});

test.run();
