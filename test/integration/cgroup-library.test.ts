// Integration (root, real cgroups): planCgroup's steps run by a tiny executor under the test's own cgroup, with
// both drivers; a process started through launchPrefix is limited from its first instruction; removeCgroupTree
// kills everything (nested cgroups too) and leaves nothing.

import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectCgroupHost, findHierarchy, findProcCgroupPath } from '../../src/cgroup/detect.js';
import type { CgroupDriver } from '../../src/cgroup/driver.js';
import { findTool } from '../../src/host/tools.js';
import { dirOf } from '../../src/cgroup/layout.js';
import { readCgroupInfo } from '../../src/cgroup/info.js';
import { readCgroupOutcome } from '../../src/cgroup/outcome.js';
import { joinPrefix } from '../../src/cgroup/driver-fs.js';
import { planCgroup, type CgroupPlan } from '../../src/cgroup/plan-cgroup.js';
import { removeCgroupTree } from '../../src/cgroup/remove.js';
import type { CgroupRequest } from '../../src/cgroup/request.js';
import type { Step } from '../../src/plan/types.js';
import { gatedTest } from '../helpers/suite.js';

const host = detectCgroupHost();
const PARENT = `cglib-${process.pid}`;
const skip = process.getuid?.() !== 0 ? 'needs root' : host.mode === 'none' ? 'no cgroup filesystem' : undefined;
const test = gatedTest(skip);
const DRIVERS: CgroupDriver[] = findTool('cgcreate') && findTool('cgset') ? ['cgroupfs', 'cgroup-tools'] : ['cgroupfs'];
const BASE: CgroupRequest = {
  memoryBytes: undefined, memorySwapBytes: undefined, cpuQuotaUs: undefined, cpuPeriodUs: undefined, cpuShares: undefined,
  cpusetCpus: undefined, pidsLimit: undefined, parent: PARENT, parentBase: 'self',
};
let counter = 0;

function boxId(): string {
  return `${process.pid.toString(16).padStart(8, '0')}${(counter++).toString(16).padStart(4, '0')}`.padEnd(64, '0');
}

/** The parent dir this test's boxes go to on every hierarchy it may use. */
function parentDirs(): string[] {
  return host.hierarchies
    .filter((h) => h.version === 1 ? h.controllers.length > 0 : host.mode === 'v2')
    .map((h) => dirOf({ mount: h.mount, path: `${(findProcCgroupPath(host.self, h) ?? '/').replace(/\/$/, '')}/${PARENT}` }));
}

/** The tiniest executor: exec, mkdir, write-file; undo on failure. */
function runSetup(steps: readonly Step[]): void {
  for (const step of steps) {
    if (step.kind === 'exec') {
      const r = spawnSync(step.argv[0]!, step.argv.slice(1), { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${step.argv.join(' ')}: ${r.stderr}`);
    } else if (step.kind === 'mkdir') mkdirSync(step.path);
    else if (step.kind === 'write-file') writeFileSync(step.path, step.content);
    else throw new Error(`unexpected step ${step.kind}`);
  }
}

async function teardown(plan: CgroupPlan): Promise<void> {
  for (const dir of plan.box.dirs) await removeCgroupTree(dir);
  for (const dir of plan.box.dirs) assert.not.ok(existsSync(dir), `${dir} removed`);
}

/** The plan's launch prefix, or for join steps (nsbox writes the gated box's PID) a sh that joins itself the same way. */
function launcher(plan: ReturnType<typeof planCgroup>): readonly string[] {
  if (plan.launchPrefix.length > 0) return plan.launchPrefix;
  return joinPrefix(plan.join.map((s) => (s.kind === 'write-file' ? s.path : '')));
}

test.after(() => {
  for (const dir of parentDirs()) if (existsSync(dir)) rmdirSync(dir);
});

for (const driver of DRIVERS) {
  test(`${driver}: limits written, the process is inside from its first instruction, outcome read`, async () => {
    const plan = planCgroup({ ...BASE, memoryBytes: 16 * 2 ** 20, pidsLimit: 10 }, boxId(), host, driver);
    runSetup(plan.setup);
    try {
      // The command prints the cgroups it is in as its very first act, then allocates 3x the limit.
      const r = spawnSync(launcher(plan)[0]!, [...launcher(plan).slice(1), 'sh', '-c', 'cat /proc/self/cgroup; head -c 48m /dev/zero | tail -n 1 >/dev/null'], { encoding: 'utf8' });
      for (const dir of plan.box.dirs) {
        const hierarchy = host.hierarchies.find((h) => dir.startsWith(`${h.mount}/`))!;
        assert.ok(r.stdout.includes(`:${dir.slice(hierarchy.mount.length)}\n`), `in ${dir}: ${r.stdout}`);
      }
      // The OOM killer picks its victim (tail on v1; on v2 sometimes the shell itself): either way SIGKILL.
      assert.ok(r.status === 137 || r.signal === 'SIGKILL', `killed by SIGKILL (status ${r.status}, signal ${r.signal})`);
      const outcome = readCgroupOutcome(plan.box);
      assert.is(outcome.oomKilled, true);
      assert.match(outcome.message ?? '', /^killed by the memory limit \(16M, peak 1[56](\.\d)?M\)$/);
      const memFile = host.mode === 'v2' ? 'memory.max' : 'memory.limit_in_bytes';
      assert.is(readFileSync(join(plan.box.memoryDir!, memFile), 'utf8').trim(), String(16 * 2 ** 20));
      assert.is(readFileSync(join(plan.box.pidsDir!, 'pids.max'), 'utf8').trim(), '10');
    } finally {
      await teardown(plan);
    }
  });
}

test('readCgroupInfo reports the box cgroups and limits of a live PID', async () => {
  const plan = planCgroup({ ...BASE, memoryBytes: 100 * 2 ** 20, pidsLimit: 30 }, boxId(), host, 'cgroupfs');
  runSetup(plan.setup);
  try {
    const child = spawnSync(launcher(plan)[0]!, [...launcher(plan).slice(1), 'sh', '-c', 'sleep 30 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
    const pid = Number(child.stdout.trim());
    const info = readCgroupInfo(pid);
    const limits = Object.fromEntries(info.limits.map((l) => [l.name, l.value]));
    assert.is(limits.memory, '100M');
    assert.is(limits['pids-limit'], '30');
    assert.ok(info.cgroups.some((c) => c.dir === plan.box.pidsDir), JSON.stringify(info.cgroups));
  } finally {
    await teardown(plan); // also kills the orphaned sleep
  }
});

test('removeCgroupTree kills processes in nested sub-cgroups and removes them depth first', async () => {
  const plan = planCgroup({ ...BASE, pidsLimit: 50 }, boxId(), host, 'cgroupfs');
  runSetup(plan.setup);
  const box = plan.box.pidsDir!;
  mkdirSync(join(box, 'inner'));
  mkdirSync(join(box, 'inner', 'deeper'));
  const pids: number[] = [];
  for (const where of [box, join(box, 'inner', 'deeper')]) {
    const r = spawnSync('sh', ['-c', `echo $$ > ${where}/cgroup.procs; sleep 60 >/dev/null 2>&1 & sleep 60 >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' });
    pids.push(Number(r.stdout.trim()));
  }
  assert.ok(pids.every((pid) => existsSync(`/proc/${pid}`)), 'sleepers run');
  await teardown(plan);
  await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids) {
    const alive = existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
    assert.not.ok(alive, `pid ${pid} killed`);
  }
});

test('removeCgroupTree refuses a cgroup nsbox did not create', async () => {
  const own = findHierarchy(host, 'pids') ?? host.hierarchies[0]!;
  const mine = dirOf({ mount: own.mount, path: findProcCgroupPath(host.self, own) ?? '/' });
  try {
    await removeCgroupTree(mine);
    assert.unreachable('must refuse');
  } catch (error) {
    assert.match((error as Error).message, /refusing to remove/);
  }
  assert.ok(readdirSync(mine).length > 0);
});

test.run();
