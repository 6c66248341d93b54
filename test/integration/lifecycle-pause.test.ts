// Integration (root, real cgroups, v1 and v2): `nsbox pause` and `unpause`, as Docker's. Checked from the host: the
// box's freezer cgroup (v1: one made at the first pause, holding every process of the box; v2: the box's own
// cgroup.freeze) says frozen, the box's counter stops advancing (read through /proc/PID/root) and goes on after
// unpause; ps and inspect say paused; exec, a second pause and an unpause of a running box are one-line errors. A
// paused box that ignores SIGTERM still stops (stop -t 1: SIGKILL, 137), `kill` and `rm -f` end it, and nothing is left
// (the freezer cgroup goes with rm).
// On v2 run it with: /work/shared/vm/run-cgroup2 --share "$PWD" -- node test/run.js integration lifecycle-pause

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectCgroupHost, findHierarchy } from '../../src/cgroup/detect.js';
import { nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks, removeFileBoxes } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';
import { testCgroupDir } from '../helpers/cgroup-dirs.js';

const host = detectCgroupHost();
const v2 = host.mode === 'v2';
const skipReason = !isRoot ? 'needs root'
  : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)'
  : host.mode === 'none' ? 'no cgroup filesystem'
  : !v2 && findHierarchy(host, 'freezer')?.version !== 1 ? 'cgroup v1 without a freezer hierarchy'
  : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-pause-'));
const store = join(base, 'store');
const state = join(base, 'state');
const PARENT = `pause-${process.pid}`;
const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none', NSBOX_CGROUP_PARENT: `./${PARENT}` };
const OWN = { stateDirs: [state], cgroupParents: [`./${PARENT}`] };
// Generous: the v2 check runs in an emulated VM, where one nsbox command can take most of a minute.
const run = (args: string[]): Result => nsbox(args, { env, timeoutMs: 240_000 });
const field = (name: string, template: string): string => run(['inspect', '-f', template, name]).stdout.trim();
const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done';

/** The box's freezer: v1 the freezer cgroup pause made (below the test's parent), v2 the box's own cgroup. */
function freezerDir(id: string): string {
  if (v2) return JSON.parse(field(id, '{{json .Nsbox.Cgroup.dirs}}'))[0] as string;
  return join(testCgroupDir(host, 'freezer', PARENT), `nsbox-${id.slice(0, 12)}`);
}
const frozen = (dir: string): boolean => (v2 ? readFileSync(join(dir, 'cgroup.freeze'), 'utf8').trim() === '1' : readFileSync(join(dir, 'freezer.state'), 'utf8').trim() === 'FROZEN');
const counter = (pid: number): number => Number(readFileSync(`/proc/${pid}/root/tmp/n`, 'utf8').trim());
const readPids = (file: string): number[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : []);
const boxPids = (id: string): number[] => (JSON.parse(field(id, '{{json .Nsbox.Cgroup.dirs}}')) as string[]).flatMap((d) => readPids(join(d, 'cgroup.procs')));

test.before(() => {
  if (skipReason) return;
  const r = run(['image', 'import', '--from-host-busybox', 'busybox']);
  assert.is(r.code, 0, r.stderr);
});

test.after(() => {
  if (skipReason) rmSync(base, { recursive: true, force: true });
  else removeFileBoxes(run, PARENT, base);
});

test('pause freezes every process of the box (checked from the host), unpause thaws it; ps, inspect, exec and repeats', async () => {
  const before = snapshot(OWN);
  const r = run(['run', '-d', '--name', 'pz', 'busybox', 'sh', '-c', COUNTER]);
  assert.is(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  const pid = Number(field('pz', '{{.State.Pid}}'));
  await sleep(300);
  if (!v2) assert.not.ok(existsSync(freezerDir(id)), 'v1: a box that was never paused has no freezer cgroup');

  const pause = run(['pause', 'pz']);
  assert.equal([pause.code, pause.stdout, pause.stderr], [0, 'pz\n', '']);
  const dir = freezerDir(id);
  assert.ok(frozen(dir), `${dir} is frozen`);
  if (!v2) {
    const inFreezer = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number).sort();
    assert.equal(inFreezer, boxPids(id).sort(), 'v1: every process of the box is in its freezer cgroup');
    assert.ok(inFreezer.includes(pid), 'PID 1 among them');
  }
  const at = counter(pid);
  await sleep(500);
  assert.is(counter(pid), at, 'frozen: the box\'s counter does not move');
  assert.match(run(['ps', '--format', '{{.Names}} {{.Status}} {{.State}}']).stdout, /^pz Up .* \(Paused\) paused\n$/);
  assert.is(field('pz', '{{.State.Status}} {{.State.Paused}} {{.State.Running}}'), 'paused true true');
  assert.is(run(['ps', '-q', '-f', 'status=paused']).stdout.trim(), id.slice(0, 12));
  const exec = run(['exec', 'pz', 'true']);
  assert.equal([exec.code, exec.stderr], [125, 'nsbox: cannot exec in box pz: it is paused\nnsbox: hint: nsbox unpause pz\n']);
  const again = run(['pause', 'pz']);
  assert.equal([again.code, again.stderr], [125, 'nsbox: cannot pause box pz: it is paused already\n']);

  const unpause = run(['unpause', 'pz']);
  assert.equal([unpause.code, unpause.stdout, unpause.stderr], [0, 'pz\n', '']);
  assert.not.ok(frozen(dir), 'thawed');
  await sleep(500);
  assert.ok(counter(pid) > at, 'the counter goes on');
  assert.match(run(['ps', '--format', '{{.Status}}']).stdout, /^Up [^(]*\n$/);
  assert.is(field('pz', '{{.State.Status}} {{.State.Paused}}'), 'running false');
  const twice = run(['unpause', 'pz']);
  assert.equal([twice.code, twice.stderr], [125, 'nsbox: cannot unpause box pz: it is not paused\n']);
  // Pause, unpause and pause again: the same freezer.
  assert.is(run(['pause', 'pz']).code, 0);
  assert.ok(frozen(dir));
  assert.is(run(['unpause', 'pz']).code, 0);
  assert.is(run(['rm', '-f', 'pz']).code, 0);
  assert.not.ok(existsSync(dir), 'the freezer cgroup went with the box');
  await assertNoLeaks(before, 'pause and unpause');
});

test('a paused box stops (SIGKILL after -t, even ignoring SIGTERM), is killed, starts again, and rm -f removes it', async () => {
  const before = snapshot(OWN);
  const r = run(['run', '-d', '--name', 'pzs', 'busybox', 'sh', '-c', `trap "" TERM; ${COUNTER}`]);
  assert.is(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  assert.is(run(['pause', 'pzs']).code, 0);
  // Without the thaw, the SIGKILL would wait for an unpause: stop would fail (its supervisor never exits).
  const stop = run(['stop', '-t', '1', 'pzs']);
  assert.is(stop.code, 0, stop.stderr);
  assert.is(field('pzs', '{{.State.Status}} {{.State.ExitCode}} {{.State.Paused}}'), 'exited 137 false');
  assert.equal(boxPids(id), [], 'no process left');

  assert.is(run(['start', 'pzs']).code, 0);
  assert.is(run(['pause', 'pzs']).code, 0);
  assert.ok(frozen(freezerDir(id)), 'paused again after start');
  const kill = run(['kill', 'pzs']);
  assert.is(kill.code, 0, kill.stderr);
  for (let i = 0; i < 100 && field('pzs', '{{.State.Status}}') !== 'exited'; i++) await sleep(50);
  assert.is(field('pzs', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137', 'kill (SIGKILL) ends a paused box');

  assert.is(run(['start', 'pzs']).code, 0);
  assert.is(run(['pause', 'pzs']).code, 0);
  const dir = freezerDir(id);
  const rm = run(['rm', '-f', 'pzs']);
  assert.equal([rm.code, rm.stderr], [0, '']);
  assert.not.ok(existsSync(dir), 'rm -f: no freezer cgroup left');
  await assertNoLeaks(before, 'stop, kill and rm -f of paused boxes');
});

test('pause of a stopped box, or of no box: one line, 125', () => {
  assert.is(run(['run', '-d', '--name', 'pzx', 'busybox', 'true']).code, 0);
  assert.is(run(['wait', 'pzx']).code, 0);
  const stopped = run(['pause', 'pzx']);
  assert.equal([stopped.code, stopped.stderr], [125, 'nsbox: cannot pause box pzx: it is not running\n']);
  const unknown = run(['unpause', 'no-such-box']);
  assert.equal([unknown.code, unknown.stderr], [125, 'nsbox: no such box: no-such-box\n']);
  assert.is(run(['rm', 'pzx']).code, 0);
});

test.run();
