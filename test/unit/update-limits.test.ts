// Unit: `nsbox update`'s plan on the real cgroup v2 file layout (fixtures/cgroup/v2): only the limit files whose value
// changes are written, into the box's recorded cgroup (not one computed from nsbox's own cgroup again); the flags
// merge into the recorded limits as run validates them.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectCgroupHost } from '../../src/cgroup/detect.js';
import type { CgroupRequest } from '../../src/cgroup/request.js';
import { planLimitUpdate } from '../../src/lifecycle/update-limits.js';
import { mergeLimits } from '../../src/commands/update.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/cgroup', import.meta.url));
const ID = 'abcdef0123456789'.repeat(4);
const OLD: CgroupRequest = {
  memoryBytes: 104857600, memorySwapBytes: undefined, cpuQuotaUs: undefined, cpuPeriodUs: undefined, cpuShares: undefined,
  cpusetCpus: undefined, pidsLimit: 20, parent: 'x', parentBase: 'self',
};

test('v2: only the changed files, into the recorded cgroup; a hierarchy without the box is an error', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'nsbox-update-'));
  try {
    const root = join(tmp, 'v2');
    cpSync(join(FIXTURES, 'v2'), root, { recursive: true, verbatimSymlinks: true });
    const host = detectCgroupHost(root, { selfCgroup: '0::/somewhere/else\n', swaps: '' });
    const recorded = [`${root}/where/it/was/nsbox-abcdef012345`];
    const writes = planLimitUpdate(OLD, { ...OLD, pidsLimit: 30 }, ID, host, recorded);
    assert.equal(writes.map((w) => [w.path, w.value]), [[`${recorded[0]}/pids.max`, '30']]);
    const more = planLimitUpdate(OLD, { ...OLD, memoryBytes: 209715200, cpuQuotaUs: 50000, cpuPeriodUs: 100000 }, ID, host, recorded);
    assert.equal(more.map((w) => w.path.slice(recorded[0]!.length + 1)).sort(), ['cpu.max', 'memory.max']);
    assert.throws(() => planLimitUpdate(OLD, { ...OLD, pidsLimit: 30 }, ID, host, []), /the box has no cgroup on/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('flags merge into the recorded limits: the others kept; --memory-swap alone is checked against the recorded memory', () => {
  const next = mergeLimits(OLD, { 'pids-limit': '30' });
  assert.equal({ ...next }, { ...OLD, pidsLimit: 30 });
  assert.is(mergeLimits(OLD, { 'memory-swap': '200m' }).memorySwapBytes, 200 * 1024 * 1024);
  assert.throws(() => mergeLimits(OLD, { 'memory-swap': '50m' }), /must be at least --memory/);
  assert.throws(() => mergeLimits({ ...OLD, memorySwapBytes: 209715200 }, { memory: '300m' }), /more than the box's --memory-swap/);
  assert.throws(() => mergeLimits(OLD, {}), /nothing to update/);
  assert.is(mergeLimits(undefined, { memory: '64m' }).memoryBytes, 64 * 1024 * 1024, 'a box without limits gets its first one');
});

test.run();
