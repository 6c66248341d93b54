// Integration (root): the detached box's whole life, checked from the host: processes, cgroup files, namespaces,
// state files; exit code and OOM kill recorded with nsbox gone; exec; stop -t; bad input; races; crash safety; soak.
// State goes to a temp dir (NSBOX_STATE) and cgroups below this test's own (NSBOX_CGROUP_PARENT=./lc-<pid>).

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectCgroupHost, findHierarchy } from '../../src/cgroup/detect.js';
import { testCgroupDir } from '../helpers/cgroup-dirs.js';
import { NSBOX, nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { snapshot, type Snapshot } from '../helpers/leaks.js';
import { gatedTest, skipPart } from '../helpers/suite.js';

const host = detectCgroupHost();
const skip = !isRoot ? 'needs root' : host.mode === 'none' ? 'no cgroup filesystem' : undefined;
const test = gatedTest(skip);
const PARENT = `lc-${process.pid}`;
const STATE = mkdtempSync(join(tmpdir(), 'nsbox-lc-state-'));
const ENV = { ...process.env, NSBOX_STATE: STATE, NSBOX_CGROUP_PARENT: `./${PARENT}` };
const CONTROLLERS = ['pids', 'memory'].filter((c) => findHierarchy(host, c));
/** The leak auditor also counts the processes of this test's boxes and cgroups (detached boxes are not descendants). */
const OWN = { stateDirs: [STATE], cgroupParents: [`./${PARENT}`] };

const parentDir = (controller: string): string => testCgroupDir(host, controller, PARENT);

/** Box cgroups under this test's parents, and every process in them. */
function boxCgroups(): string[] {
  return [...new Set(CONTROLLERS.map(parentDir))].flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('nsbox-')).map((n) => join(dir, n)) : []));
}

function run(args: readonly string[], env: NodeJS.ProcessEnv = ENV): Result {
  return nsbox(args, { env, timeoutMs: 60_000 });
}

function runAsync(args: readonly string[], env: NodeJS.ProcessEnv = ENV): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(NSBOX, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function psJson(): Array<{ id: string; name: string | null; status: string; exitCode: number | null; oomKilled: boolean; pid: number | null }> {
  const r = run(['ps', '-a', '--json']);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function stateEntries(): string[] {
  return ['boxes', 'names', 'tmp'].flatMap((d) => (existsSync(join(STATE, d)) ? readdirSync(join(STATE, d)).map((n) => `${d}/${n}`) : []));
}

let before: Snapshot;
test.before.each(() => {
  if (skip) return;
  before = snapshot(OWN);
});

/** After each test: no box cgroup, no state entry, the same mounts and child processes as before. */
test.after.each(async () => {
  if (skip) return;
  for (const box of psJson()) run(['rm', '-f', box.id]);
  assert.equal(boxCgroups(), [], 'no box cgroup is left');
  assert.equal(stateEntries(), [], 'no state is left');
  // A killed box's last processes may take a moment to be reaped on a busy host.
  let after = snapshot(OWN);
  for (let i = 0; i < 100 && after.processes.join() !== before.processes.join(); i++) {
    await sleep(30);
    after = snapshot(OWN);
  }
  assert.equal(after.mounts, before.mounts, 'mounts unchanged');
  assert.equal(after.processes, before.processes, 'no process left');
});

test.after(() => {
  if (skip) return;
  for (const dir of new Set(CONTROLLERS.map(parentDir))) if (existsSync(dir)) rmdirSync(dir);
  rmSync(STATE, { recursive: true, force: true });
});

const NS_FILES = ['mnt', 'uts', 'ipc', 'net', 'pid', 'user', 'cgroup'];

test('the whole cycle: run -d, ps, logs, exec, top, stats, stop -t 1, rm; checked from the host', async () => {
  const started = run(['run', '-d', '--name', 'web', '--pid', '--mount-proc', '--uts', '--hostname', 'webbox', '--', 'sh', '-c', 'echo hello; echo oops >&2; exec sleep 1000']);
  assert.is(started.code, 0, started.stderr);
  const id = started.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  // nsbox has exited; the box runs: its PID is alive, in its cgroup, recorded in state.json.
  const [box] = psJson();
  assert.is(box!.status, 'running');
  const pid = box!.pid!;
  assert.ok(existsSync(`/proc/${pid}`));
  assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`nsbox-${id.slice(0, 12)}`));
  const cgroups = boxCgroups();
  assert.ok(cgroups.length >= 1);
  const procs = readFileSync(join(cgroups[0]!, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  assert.ok(procs.includes(pid), 'PID 1 is in the box cgroup');
  const record = JSON.parse(readFileSync(join(STATE, 'boxes', id, 'state.json'), 'utf8'));
  assert.is(record.init.pid, pid);
  assert.is(readlinkSync(join(STATE, 'names', 'web')), id);
  // ps -q by short id; any prefix resolves.
  assert.is(run(['ps', '-q']).stdout.trim(), id.slice(0, 12));
  assert.is(run(['inspect', id.slice(0, 5)]).code, 0);
  // logs: stdout and stderr apart (as docker logs), --tail across both.
  await sleep(100);
  const logs = run(['logs', 'web']);
  assert.equal([logs.stdout, logs.stderr], ['hello\n', 'oops\n']);
  const last = run(['logs', '--tail', '1', 'web']);
  assert.equal([last.stdout, last.stderr], ['', 'oops\n']);
  // exec: the same namespaces as PID 1, read from /proc on the host side; its exit code comes back.
  const inside = run(['exec', 'web', 'sh', '-c', `for n in ${NS_FILES.join(' ')}; do readlink /proc/self/ns/$n; done; hostname`]);
  assert.is(inside.code, 0, inside.stderr);
  const expected = NS_FILES.map((n) => readlinkSync(`/proc/${pid}/ns/${n}`));
  assert.equal(inside.stdout.trim().split('\n'), [...expected, 'webbox']);
  assert.is(run(['exec', 'web', 'sh', '-c', 'exit 42']).code, 42);
  assert.is(run(['exec', 'web', 'ps', '-o', 'pid=', '-p', '1']).stdout.trim(), '1', 'exec sees the box /proc');
  assert.is(run(['exec', '-w', '/tmp', '-e', 'FOO=bar', 'web', 'sh', '-c', 'echo $FOO $(pwd)']).stdout, 'bar /tmp\n');
  assert.is(run(['exec', 'web', 'nonexistent-cmd']).code, 127);
  // top and stats see the box's processes.
  assert.match(run(['top', 'web']).stdout, /sleep 1000/);
  const stats = JSON.parse(run(['stats', '--json', 'web']).stdout);
  assert.is(stats[0].pids, 1);
  assert.ok(stats[0].memoryBytes > 0);
  // stop -t 1: sleep as PID 1 has no SIGTERM handler, so the kernel ignores SIGTERM; SIGKILL after ~1 s.
  const t0 = Date.now();
  assert.is(run(['stop', '-t', '1', 'web']).code, 0);
  const took = Date.now() - t0;
  assert.ok(took >= 1000 && took < 15_000, `stop took ${took} ms (the 1 s grace, then SIGKILL; generous on a busy host)`);
  assert.not.ok(existsSync(`/proc/${pid}`), 'PID 1 is gone');
  assert.is(readFileSync(join(cgroups[0]!, 'cgroup.procs'), 'utf8'), '', 'no process left in the cgroup');
  const [stopped] = psJson();
  assert.is(stopped!.status, 'exited');
  assert.is(stopped!.exitCode, 137);
  assert.is(run(['ps', '-q']).stdout, '', 'ps without -a hides it');
  // exec into a stopped box: 125.
  const refused = run(['exec', 'web', 'true']);
  assert.is(refused.code, 125);
  assert.match(refused.stderr, /^nsbox: cannot exec in box web: it is exited\n$/);
  assert.is(run(['rm', 'web']).code, 0);
  assert.equal(boxCgroups(), []);
  assert.not.ok(existsSync(join(STATE, 'boxes', id)));
});

test('a detached box\'s exit code and OOM kill are recorded with nsbox gone', async () => {
  const a = run(['run', '-d', '--name', 'code42', '--', 'sh', '-c', 'sleep 0.3; exit 42']);
  assert.is(a.code, 0, a.stderr);
  const waited = run(['wait', 'code42']);
  assert.is(waited.stdout, '42\n');
  const [info] = JSON.parse(run(['inspect', 'code42']).stdout);
  assert.is(info.State.ExitCode, 42);
  assert.is(info.State.Status, 'exited');
  assert.ok(existsSync(join(STATE, 'boxes', info.Id, 'exit')));
  if (!findHierarchy(host, 'memory')) return skipPart('OOM part', 'no memory controller');
  const b = run(['run', '-d', '--name', 'hog', '--memory', '16m', '--', 'sh', '-c', 'x=a; while :; do x=$x$x; done']);
  assert.is(b.code, 0, b.stderr);
  assert.is(run(['wait', 'hog'], ENV).stdout, '137\n');
  const [hog] = JSON.parse(run(['inspect', 'hog']).stdout);
  assert.is(hog.State.OOMKilled, true);
  assert.is(hog.State.ExitCode, 137);
  // Docker's STATUS words; the OOM kill is kept in inspect.
  assert.match(run(['ps', '-a']).stdout, /Exited \(137\) .* ago\s+hog$/m);
});

test('bad input: one line, exit 125, nothing changed', () => {
  for (const name of ['', '..', 'a/b', '-rf', 'x'.repeat(256), 'a\x01b', '.hidden']) {
    const r = run(['run', '-d', '--name', name, '--', 'true']);
    assert.is(r.code, 125, `name ${JSON.stringify(name)}`);
    assert.match(r.stderr, /^nsbox: invalid --name .*\n$/);
  }
  assert.equal(stateEntries(), []);
  for (const args of [['rm', 'nosuch'], ['stop', 'nosuch'], ['exec', 'nosuch', 'true'], ['logs', 'nosuch'], ['inspect', 'a/b'], ['kill', '-s', 'BOGUS', 'x']]) {
    const r = run(args);
    assert.is(r.code, 125, args.join(' '));
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  // rm of a running box without -f is refused and the box keeps running.
  assert.is(run(['run', '-d', '--name', 'busy', '--', 'sleep', '100']).code, 0);
  const r = run(['rm', 'busy']);
  assert.is(r.code, 125);
  assert.match(r.stderr, /it is running/);
  assert.is(psJson()[0]!.status, 'running');
  assert.is(run(['rm', '-f', 'busy']).code, 0);
});

test('races: 50 rounds of two `run --name same` at once give one box and one "in use"; 20 boxes in parallel', async () => {
  for (let round = 0; round < 50; round++) {
    const results = await Promise.all([0, 1].map(() => runAsync(['run', '-d', '--name', 'same', '--', 'sleep', '100'])));
    const codes = results.map((r) => r.code).sort();
    assert.equal(codes, [0, 125], results.map((r) => r.stderr).join(' | '));
    assert.match(results.find((r) => r.code === 125)!.stderr, /name "same" is in use/);
    assert.is(psJson().length, 1);
    assert.is(run(['rm', '-f', 'same']).code, 0);
  }
  const many = await Promise.all(Array.from({ length: 20 }, (_, i) => runAsync(['run', '-d', '--name', `p${i}`, '--pid', '--', 'sleep', '100'])));
  for (const r of many) assert.is(r.code, 0, r.stderr);
  const boxes = psJson();
  assert.is(boxes.length, 20);
  assert.ok(boxes.every((b) => b.status === 'running'));
  // stop, exec and rm racing on the same boxes: each ends cleanly (0, or 125 for a box already gone).
  const racing = await Promise.all(boxes.flatMap((b) => [runAsync(['stop', '-t', '0', b.id]), runAsync(['exec', b.id, 'true']), runAsync(['rm', '-f', b.id])]));
  // 137: an exec that got in just before rm -f is killed with the box.
  for (const r of racing) assert.ok(r.code === 0 || r.code === 125 || r.code === 137, `${r.code}: ${r.stderr}`);
  assert.is(psJson().length, 0);
});

test('SIGKILL of nsbox at each set-up step: ps shows it dead, gc leaves nothing', async () => {
  const points = ['created', 'named', ...Array.from({ length: 12 }, (_, i) => `step:${i + 1}`), 'detached', 'recorded'];
  let reachedEnd = false;
  const killed: string[] = [];
  for (const point of points) {
    const r = run(['run', '-d', '--name', 'crash', '--pid', '--', 'sleep', '100'], { ...ENV, NSBOX_FAULT: point });
    if (r.code !== 0) killed.push(point);
    if (r.code === 0) {
      // this step number is past the plan's end: the run completed
      reachedEnd = true;
      assert.is(run(['rm', '-f', 'crash']).code, 0);
      continue;
    }
    assert.is(r.signal, 'SIGKILL', `${point}: ${r.code} ${r.stderr}`);
    const boxes = psJson();
    assert.is(boxes.length, 1, point);
    if (point !== 'recorded') assert.is(boxes[0]!.status, 'dead', point);
    const dry = run(['gc', '--dry-run']);
    if (point !== 'recorded') assert.match(dry.stdout, /would remove box/, point);
    assert.is(psJson().length, 1, 'gc --dry-run changes nothing');
    assert.is(run(['gc']).code, 0, point);
    if (point === 'recorded') assert.is(run(['rm', '-f', 'crash']).code, 0);
    assert.equal(boxCgroups(), [], `${point}: no cgroup left`);
    assert.equal(stateEntries(), [], `${point}: no state left`);
  }
  assert.ok(reachedEnd, 'the fault points covered every plan step');
  // A run that ignored NSBOX_FAULT would reach the end at every point: each fault must really have fired.
  assert.equal(['created', 'named', 'step:1', 'detached', 'recorded'].filter((p) => !killed.includes(p)), [], `every fault point killed nsbox (killed: ${killed.join(' ')})`);
});

test('soak: 200 sequential run --rm leave nothing behind', () => {
  for (let i = 0; i < 200; i++) {
    const r = run(['run', '--rm', '--name', 'soak', '--pid', '--', 'true']);
    assert.is(r.code, 0, r.stderr);
  }
  assert.equal(stateEntries(), []);
  assert.equal(boxCgroups(), []);
});

test('exec keeps the box\'s capability bounding set and no_new_privs', () => {
  const r = run(['run', '-d', '--name', 'capped', '--', 'setpriv', '--no-new-privs', '--bounding-set', '-all,+chown,+kill,+sys_chroot', '--', 'sleep', '100']);
  assert.is(r.code, 0, r.stderr);
  const pid = psJson()[0]!.pid!;
  const read = (text: string) => text.split('\n').filter((l) => /^(CapBnd|CapEff|NoNewPrivs):/.test(l)).join('\n');
  const inside = run(['exec', 'capped', 'cat', '/proc/self/status']);
  assert.is(inside.code, 0, inside.stderr);
  assert.is(read(inside.stdout), read(readFileSync(`/proc/${pid}/status`, 'utf8')));
});

test.run();
