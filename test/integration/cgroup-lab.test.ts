// The lab's cgroup step (memory and pids limits, an OOM kill reported by nsbox) on this host's cgroup version
// (named cgroup-* so the cgroup v2 VM runs it too), and `lab check cgroup` against boxes with and without limits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';

const state = mkdtempSync(join(tmpdir(), 'nsbox-cglab-'));
const env = { ...process.env, NSBOX_STATE: state };
test.after(() => rmSync(state, { recursive: true, force: true }));

test('lab cgroup: limits read from the box\'s cgroup files, OOM kill reported', async () => {
  assert.ok(isRoot, 'needs root');
  const before = snapshot();
  const r = nsbox(['lab', 'cgroup', '--json'], { timeoutMs: 120_000 });
  const lab = JSON.parse(r.stdout) as { ok: boolean; steps: { observations: { what: string; observed: string; ok: boolean }[] }[] };
  const bad = lab.steps[0]!.observations.filter((o) => !o.ok);
  assert.equal(bad, [], JSON.stringify(bad));
  assert.is(r.code, 0);
  await assertNoLeaks(before, 'nsbox lab cgroup');
});

test('lab check cgroup: a box with limits passes, one without is told which limits are missing', () => {
  const limited = nsbox(['run', '-d', '--name', 'cglab-limited', '--memory', '48m', '--pids-limit', '30', '--', 'sleep', '60'], { env });
  const free = nsbox(['run', '-d', '--name', 'cglab-free', '--', 'sleep', '60'], { env });
  try {
    assert.is(limited.code, 0, limited.stderr);
    assert.is(free.code, 0, free.stderr);
    const pidOf = (name: string) => {
      const r = nsbox(['inspect', name], { env });
      const j = JSON.parse(r.stdout);
      const box = Array.isArray(j) ? j[0] : j;
      const pid = box?.State?.Pid ?? box?.pid;
      assert.ok(typeof pid === 'number' && pid > 0, `no pid for ${name}: ${r.stdout.slice(0, 200)}`);
      return pid as number;
    };
    const ok = nsbox(['lab', 'check', 'cgroup', String(pidOf('cglab-limited')), '--json']);
    assert.is(ok.code, 0, ok.stdout);
    const no = nsbox(['lab', 'check', 'cgroup', String(pidOf('cglab-free')), '--json']);
    assert.is(no.code, 1);
    const missing = (JSON.parse(no.stdout) as { observations: { what: string; ok: boolean }[] }).observations.filter((o) => !o.ok).map((o) => o.what);
    assert.ok(missing.includes('a memory limit is in force'), JSON.stringify(missing));
  } finally {
    nsbox(['rm', '-f', 'cglab-limited', 'cglab-free'], { env });
  }
});

test.run();
