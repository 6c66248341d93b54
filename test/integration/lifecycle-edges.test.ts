// Integration (root): a box's teardown where the host changed under it. A host directory left mounted inside an
// image box's container dir must be unmounted by `rm -f`, never deleted through; a recorded PID that now belongs
// to another process (PID reuse: same number, another start time) is never signalled by stop, kill or rm.

import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, exitOf, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks, removeFileBoxes } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';
import { hashTree } from './image-fixtures.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-lc-edges-'));
const store = join(base, 'store');
const state = join(base, 'state');
const victim = join(base, 'victim');
const PARENT = `lce-${process.pid}`;
const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none', NSBOX_CGROUP_PARENT: `./${PARENT}` };
const OWN = { stateDirs: [state], cgroupParents: [`./${PARENT}`] };
const run = (args: string[]): Result => nsbox(args, { env, timeoutMs: 60_000 });
const mountsUnder = (dir: string): string[] => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((t) => t.startsWith(dir));

test.before(() => {
  mkdirSync(join(victim, 'dir'), { recursive: true });
  writeFileSync(join(victim, 'file'), 'victim\n');
  writeFileSync(join(victim, 'dir', 'precious'), 'do not touch\n');
  const r = run(['image', 'import', '--from-host-busybox', 'busybox']);
  assert.is(r.code, 0, r.stderr);
});

test.after(() => removeFileBoxes(run, PARENT, base));

test('several boxes, one unknown (as Docker): stop, kill, start and rm -f act on every box that exists, report the unknown one and exit 125', async () => {
  const before = snapshot(OWN);
  const a = run(['run', '-d', '--name', 'multi-a', 'busybox', 'sleep', '1000']);
  const b = run(['run', '-d', '--name', 'multi-b', 'busybox', 'sleep', '1000']);
  assert.is(a.code, 0, a.stderr);
  assert.is(b.code, 0, b.stderr);
  const status = (name: string): string => run(['inspect', '-f', '{{.State.Status}}', name]).stdout.trim();
  const stop = run(['stop', '-t', '0', 'multi-a', 'no-such-box', 'multi-b']);
  assert.equal([stop.code, stop.stdout, stop.stderr], [125, 'multi-a\nmulti-b\n', 'nsbox: no such box: no-such-box\n'], 'stop');
  assert.equal([status('multi-a'), status('multi-b')], ['exited', 'exited'], 'both boxes stopped');
  const start = run(['start', 'no-such-box', 'multi-b']);
  assert.equal([start.code, start.stdout, start.stderr], [125, 'multi-b\n', 'nsbox: no such box: no-such-box\n'], 'start');
  assert.is(status('multi-b'), 'running');
  const kill = run(['kill', 'multi-a', 'multi-b']);
  assert.equal([kill.code, kill.stdout, kill.stderr], [125, 'multi-b\n', 'nsbox: cannot kill box multi-a: it is not running\n'], 'kill: a stopped box fails, a running one is killed');
  const rm = run(['rm', '-f', 'multi-a', 'no-such-box', 'multi-b']);
  assert.equal([rm.code, rm.stdout, rm.stderr], [125, 'multi-a\nmulti-b\n', 'nsbox: no such box: no-such-box\n'], 'rm -f');
  assert.equal(JSON.parse(run(['ps', '-a', '--json']).stdout), [], 'both boxes removed');
  await assertNoLeaks(before, 'several boxes, one unknown');
});

test('rm -f of an image box with a host directory mounted inside its container dir: unmounted, never deleted through', async () => {
  const before = snapshot(OWN);
  const started = run(['run', '-d', '--name', 'mounted', 'busybox', 'sleep', '1000']);
  assert.is(started.code, 0, started.stderr);
  const id = started.stdout.trim();
  const container = join(store, 'containers', id);
  assert.ok(existsSync(container), 'the container dir exists');
  // What a careless admin (or a crashed tool) leaves: the victim bound into the upper layer and the init layer.
  const victimBefore = await hashTree(victim, { exact: true });
  for (const where of ['upper/v', 'init/v']) {
    mkdirSync(join(container, where), { recursive: true });
    execFileSync('mount', ['--bind', victim, join(container, where)]);
  }
  assert.is(mountsUnder(container).length, 2, 'two mounts inside the container dir');
  const r = run(['rm', '-f', 'mounted']);
  try {
    assert.is(r.code, 0, r.stderr);
    assert.equal(mountsUnder(container), [], 'nothing is mounted in the container dir any more');
    assert.not.ok(existsSync(container), 'the container dir is gone');
  } finally {
    for (const target of mountsUnder(container).reverse()) execFileSync('umount', ['-l', target]);
  }
  assert.fixture(await hashTree(victim, { exact: true }), victimBefore, 'the victim is unchanged');
  await assertNoLeaks(before, 'rm -f with mounts inside');
});

test('gc of a container dir whose record is gone, with a host directory mounted inside: unmounted, never deleted through', async () => {
  const before = snapshot(OWN);
  const started = run(['run', '-d', 'busybox', 'sleep', '1000']);
  assert.is(started.code, 0, started.stderr);
  const id = started.stdout.trim();
  const container = join(store, 'containers', id);
  const cgroups = (JSON.parse(readFileSync(join(state, 'boxes', id, 'state.json'), 'utf8')) as { cgroup?: { dirs: string[] } }).cgroup?.dirs ?? [];
  assert.is(run(['stop', '-t', '0', id]).code, 0);
  // The record goes (deleted by hand, or a removal cut short); the container dir stays, a victim bound inside.
  rmSync(join(state, 'boxes', id), { recursive: true, force: true });
  const victimBefore = await hashTree(victim, { exact: true });
  mkdirSync(join(container, 'upper', 'v'), { recursive: true });
  execFileSync('mount', ['--bind', victim, join(container, 'upper', 'v')]);
  try {
    const dry = run(['gc', '--dry-run']);
    assert.match(dry.stdout, new RegExp(`would remove container ${id.slice(0, 12)}: its box record is gone`), dry.stdout);
    const r = run(['gc']);
    assert.is(r.code, 0, r.stderr);
    assert.equal(mountsUnder(container), [], 'nothing is mounted in the container dir any more');
    assert.not.ok(existsSync(container), 'the container dir is gone');
  } finally {
    for (const target of mountsUnder(container).reverse()) execFileSync('umount', ['-l', target]);
    for (const dir of cgroups) if (existsSync(dir)) rmdirSync(dir); // its record (and so its undo list) was deleted by hand
  }
  assert.fixture(await hashTree(victim, { exact: true }), victimBefore, 'the victim is unchanged');
  await assertNoLeaks(before, 'gc of an orphan container with a mount inside');
});

test('PID reuse: stop, kill and rm never signal the process that now has a dead box\'s PID', async () => {
  const started = run(['run', '-d', '--name', 'reused', '--', 'sleep', '1000']);
  assert.is(started.code, 0, started.stderr);
  const id = started.stdout.trim();
  assert.is(run(['stop', '-t', '0', 'reused']).code, 0);
  // The box is dead. A new process (ours) gets its PIDs: rewrite the record as if the kernel had reused them.
  const stranger = spawn('sleep', ['1000'], { stdio: 'ignore' });
  try {
    const path = join(state, 'boxes', id, 'state.json');
    const record = JSON.parse(readFileSync(path, 'utf8')) as { init?: { pid: number }; supervisor?: { pid: number } };
    assert.ok(record.init && record.supervisor, 'the record names the box\'s init and supervisor');
    record.init.pid = stranger.pid!;
    record.supervisor.pid = stranger.pid!;
    writeFileSync(path, JSON.stringify(record));
    const [shown] = JSON.parse(run(['ps', '-a', '--json']).stdout) as { status: string; pid: number | null }[];
    assert.is.not(shown!.status, 'running', 'ps does not take the stranger for the box');
    for (const args of [['stop', '-t', '0', 'reused'], ['kill', 'reused'], ['kill', '-s', 'TERM', 'reused'], ['rm', '-f', 'reused']]) {
      run(args);
      assert.is(stranger.exitCode, null, `${args.join(' ')}: the stranger was not signalled`);
      assert.is(stranger.signalCode, null, `${args.join(' ')}: the stranger was not signalled`);
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(existsSync(`/proc/${stranger.pid}`), `${args.join(' ')}: the stranger still runs`);
    }
    assert.not.ok(existsSync(join(state, 'boxes', id)), 'rm -f removed the record');
  } finally {
    stranger.kill('SIGKILL');
    await exitOf(stranger);
  }
});

/** A process of the test's that traps every catchable signal (but CHLD: its own sleeps) and logs it: proof that nobody signalled it. */
function startVictim(log: string): ChildProcess {
  writeFileSync(log, '');
  const signals = 'HUP INT QUIT ILL TRAP ABRT BUS FPE USR1 SEGV USR2 PIPE ALRM TERM CONT TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS';
  const script = `for s in ${signals}; do trap "echo \$s >>'${log}'" \$s; done; echo ready >>'${log}'; while :; do sleep 0.05; done`;
  return spawn('sh', ['-c', script], { stdio: 'ignore' });
}

test('PID reuse after a box died without a trace (supervisor and all SIGKILLed): its PIDs now name a live stranger, never signalled', async () => {
  const before = snapshot(OWN);
  const started = run(['run', '-d', '--name', 'vanished', '--', 'sleep', '1000']);
  assert.is(started.code, 0, started.stderr);
  const id = started.stdout.trim();
  const path = join(state, 'boxes', id, 'state.json');
  type Who = { pid: number; startTime: number };
  const record = JSON.parse(readFileSync(path, 'utf8')) as { init?: Who; supervisor?: Who; reaper?: Who; cgroup?: { dirs: string[] }; exit?: unknown };
  assert.ok(record.init && record.supervisor && record.cgroup?.dirs.length, 'the record names the box\'s init, supervisor and cgroups');
  // The box dies as in an OOM kill of everything or a crash: no exit file, no exit in the record.
  process.kill(record.supervisor.pid, 'SIGKILL');
  for (const dir of record.cgroup.dirs) for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
  const gone = (pid: number) => !existsSync(`/proc/${pid}`) || /\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  for (let i = 0; i < 200 && !(gone(record.init.pid) && gone(record.supervisor.pid)); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(gone(record.init.pid) && gone(record.supervisor.pid), 'the box\'s init and supervisor are gone');
  rmSync(join(state, 'boxes', id, 'exit'), { force: true });
  assert.is(record.exit, undefined, 'the record holds no exit');
  const log = join(base, 'victim-signals');
  const stranger = startVictim(log);
  try {
    for (let i = 0; i < 100 && !readFileSync(log, 'utf8').includes('ready'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.is(readFileSync(log, 'utf8'), 'ready\n', 'the stranger traps its signals');
    // The kernel reused the PIDs: same numbers, the dead processes' start times (what the record holds).
    for (const who of [record.init, record.supervisor, ...(record.reaper ? [record.reaper] : [])]) who.pid = stranger.pid!;
    writeFileSync(path, JSON.stringify(record));
    for (const args of [['stop', '-t', '1', 'vanished'], ['kill', 'vanished'], ['kill', '-s', 'USR1', 'vanished'], ['ps'], ['rm', '-f', 'vanished']]) {
      if (args[0] === 'ps') {
        const [shown] = JSON.parse(run(['ps', '-a', '--json']).stdout) as { status: string; pid: number | null }[];
        assert.is(shown!.status, 'dead', 'ps: the box is dead, the stranger is not taken for it');
        assert.is(shown!.pid, null, 'ps shows no PID for it');
        continue;
      }
      run(args);
      await new Promise((r) => setTimeout(r, 150)); // a trap runs between the stranger's sleeps
      assert.is(readFileSync(log, 'utf8'), 'ready\n', `${args.join(' ')}: the stranger got no signal`);
      assert.ok(existsSync(`/proc/${stranger.pid}`) && stranger.exitCode === null && stranger.signalCode === null, `${args.join(' ')}: the stranger still runs`);
    }
    assert.not.ok(existsSync(join(state, 'boxes', id)), 'rm -f removed the record');
  } finally {
    stranger.kill('SIGKILL');
    await exitOf(stranger);
  }
  await assertNoLeaks(before, 'PID reuse after a vanished box');
});

type Who = { pid: number; startTime: number };
/** Field 22 of /proc/<pid>/stat, or undefined once the process is gone (or a zombie). */
function startTimeOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** Every process of a running box, as pid + start time: its recorded ones and all in its cgroups. */
function boxProcesses(record: { init?: Who; supervisor?: Who; reaper?: Who; cgroup?: { dirs: string[] } }): Who[] {
  const inCgroups = (record.cgroup?.dirs ?? []).flatMap((dir) => readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
  const pids = new Set([...[record.init, record.supervisor, record.reaper].flatMap((w) => (w ? [w.pid] : [])), ...inCgroups]);
  return [...pids].flatMap((pid) => {
    const startTime = startTimeOf(pid);
    return startTime === undefined ? [] : [{ pid, startTime }];
  });
}
const stillRunning = (who: Who[]): Who[] => who.filter((w) => startTimeOf(w.pid) === w.startTime);

for (const [label, driver, damage] of [
  ['an image box, state.json torn mid-write', 'cgroup-tools', (text: string) => text.slice(0, 57)],
  ['a host box (cgroupfs driver: its supervisor is outside its cgroup), state.json of an older nsbox', 'cgroupfs', () => '{"version": 0, "id": "x"}\n'],
] as const) {
  test(`${label}: ps -a, inspect, stop, gc and rm still see it; rm -f kills it through its cgroup and removes everything`, async () => {
    const before = snapshot(OWN);
    const own = { ...env, NSBOX_CGROUP_DRIVER: driver };
    const go = (args: string[]) => nsbox(args, { env: own, timeoutMs: 60_000 });
    const image = label.startsWith('an image');
    const started = go(['run', '-d', '--name', 'torn', ...(image ? ['busybox', 'sleep', '1000'] : ['--', 'sleep', '1000'])]);
    assert.is(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    const short = id.slice(0, 12);
    const path = join(state, 'boxes', id, 'state.json');
    const text = readFileSync(path, 'utf8');
    const record = JSON.parse(text) as { init?: Who; supervisor?: Who; reaper?: Who; cgroup?: { dirs: string[] } };
    const cgroups = record.cgroup?.dirs ?? [];
    assert.ok(cgroups.length > 0 && cgroups.every((d) => existsSync(d)), 'the box has cgroups');
    const processes = boxProcesses(record);
    assert.ok(processes.length >= 2 && record.supervisor && processes.some((w) => w.pid === record.supervisor!.pid), `the box runs (${processes.length} processes, its supervisor among them)`);
    const container = join(store, 'containers', id);
    assert.is(existsSync(container), image, image ? 'an image box has a container dir' : 'a host box has none');
    writeFileSync(path, damage(text));
    const named = (r: Result) => r.stderr.includes(`cannot use ${path}: `);

    const ps = go(['ps', '-a']);
    assert.is(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, new RegExp(`^${short} .*Unknown \\(state unreadable\\)`, 'm'), `ps -a lists it: ${ps.stdout}`);
    assert.ok(named(ps), `ps warns, naming the file: ${ps.stderr}`);
    assert.match(go(['ps']).stdout, new RegExp(`^${short} `, 'm'), 'ps without -a lists it too: its cgroup has processes');
    const json = JSON.parse(go(['ps', '-a', '--json']).stdout) as { id: string; status: string; error: string }[];
    assert.equal(json.map((b) => [b.id, b.status]), [[id, 'unknown']], 'ps --json');
    const inspect = go(['inspect', 'torn']);
    assert.is(inspect.code, 0, inspect.stderr);
    const [shown] = JSON.parse(inspect.stdout) as { Id: string; State: { Status: string; Error: string } }[];
    assert.is(shown!.Id, id);
    assert.is(shown!.State.Status, 'unknown');
    assert.ok(shown!.State.Error.includes(path) && named(inspect), 'inspect names the file');
    const stop = go(['stop', 'torn']);
    assert.is(stop.code, 125, stop.stderr);
    assert.match(stop.stderr, new RegExp(`^nsbox: cannot use box ${short}: its record ${path} is unreadable`));
    const gc = go(['gc']);
    assert.match(gc.stderr, new RegExp(`box ${short}: its record .* is unreadable and its cgroup still has \\d+ process\\(es\\): left alone`), `gc leaves the running box alone: ${gc.stderr}`);
    const rm = go(['rm', 'torn']);
    assert.is(rm.code, 125, rm.stderr);
    assert.equal(stillRunning(processes), processes, 'ps, inspect, stop, gc and rm without -f killed nothing');

    const removed = go(['rm', '-f', 'torn']);
    assert.is(removed.code, 0, removed.stderr);
    assert.ok(named(removed), 'rm -f names the file');
    assert.not.match(removed.stderr, /warning: (?!box )/, `no teardown warning: ${removed.stderr}`);
    for (let i = 0; i < 100 && stillRunning(processes).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(stillRunning(processes), [], 'every process of the box is gone, its supervisor too');
    assert.equal(cgroups.filter((d) => existsSync(d)), [], 'its cgroups are gone');
    assert.not.ok(existsSync(container), 'its container dir is gone');
    assert.not.ok(existsSync(join(state, 'boxes', id)), 'its state dir is gone');
    assert.not.ok(existsSync(join(state, 'names', 'torn')), 'its name is released');
    const after = go(['ps', '-a']);
    assert.not.match(after.stdout + after.stderr, new RegExp(short), 'ps -a no longer knows it');
    await assertNoLeaks(before, label);
  });
}

test('gc removes a stopped box whose state.json is garbage: its cgroup, container dir and state dir', async () => {
  const before = snapshot(OWN);
  const started = run(['run', '-d', 'busybox', 'true']);
  assert.is(started.code, 0, started.stderr);
  const id = started.stdout.trim();
  const path = join(state, 'boxes', id, 'state.json');
  const record = JSON.parse(readFileSync(path, 'utf8')) as { cgroup?: { dirs: string[] } };
  for (let i = 0; i < 100 && !existsSync(join(state, 'boxes', id, 'exit')); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(existsSync(join(state, 'boxes', id, 'exit')), 'the box has exited');
  const cgroups = record.cgroup?.dirs ?? [];
  assert.ok(cgroups.length > 0 && cgroups.every((d) => existsSync(d)), 'its (empty) cgroups are still there');
  writeFileSync(path, '\0\0\0garbage');
  const dry = run(['gc', '--dry-run']);
  assert.match(dry.stdout, new RegExp(`would remove box ${id.slice(0, 12)}: its record is unreadable \\(it is not JSON`), dry.stdout);
  const gc = run(['gc']);
  assert.is(gc.code, 0, gc.stderr);
  assert.equal(cgroups.filter((d) => existsSync(d)), [], 'its cgroups are gone');
  assert.not.ok(existsSync(join(store, 'containers', id)), 'its container dir is gone');
  assert.not.ok(existsSync(join(state, 'boxes', id)), 'its state dir is gone');
  await assertNoLeaks(before, 'gc of a torn stopped box');
});

test.run();
