// Unit tests of readCgroupOutcome on fake counter files of v1 and v2 boxes.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCgroupOutcome } from '../../src/cgroup/outcome.js';
import type { BoxCgroup } from '../../src/cgroup/plan-cgroup.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/cgroup', import.meta.url));

function box(version: 1 | 2, dir: string, memoryBytes: number | undefined, pidsLimit: number | undefined): BoxCgroup {
  return { dirs: [dir], version, driver: 'cgroupfs', memoryDir: dir, pidsDir: dir, memoryBytes, pidsLimit };
}

test('v2: oom_kill from memory.events, peak from memory.peak', () => {
  const outcome = readCgroupOutcome(box(2, join(FIXTURES, 'outcome-v2'), 104857600, 20));
  assert.is(outcome.oomKilled, true);
  assert.is(outcome.message, 'killed by the memory limit (100M, peak 100M)');
  assert.equal(outcome.facts, { memoryLimitBytes: 104857600, memoryPeakBytes: 104857600, oomKills: 1, pidsLimit: 20, pidsRefusedForks: 0, oomKilled: true });
});

test('v1: oom_kill from memory.oom_control, peak from max_usage_in_bytes, refused forks from pids.events', () => {
  const outcome = readCgroupOutcome(box(1, join(FIXTURES, 'outcome-v1'), 33554432, 20));
  assert.is(outcome.oomKilled, true);
  assert.is(outcome.message, 'killed by the memory limit (32M, peak 32M); the pids limit (20) refused 7 forks');
  assert.is(outcome.facts.memoryFailcnt, 871);
});

test('nothing to say: counters at zero or files missing', () => {
  const quiet = readCgroupOutcome(box(1, join(FIXTURES, 'v1', 'memory'), 8388608, undefined));
  assert.equal([quiet.oomKilled, quiet.message], [false, undefined]);
  const gone = readCgroupOutcome(box(2, join(FIXTURES, 'no-such-dir'), 8388608, 5));
  assert.equal([gone.oomKilled, gone.message, gone.facts.oomKills], [false, undefined, null]);
  const none = readCgroupOutcome({ dirs: [], version: 2, driver: 'cgroupfs', memoryDir: undefined, pidsDir: undefined, memoryBytes: undefined, pidsLimit: undefined });
  assert.equal([none.oomKilled, none.message], [false, undefined]);
});

test.run();
