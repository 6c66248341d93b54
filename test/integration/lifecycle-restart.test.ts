// Integration (root): every kind of box is recorded and removable (then `image rm` succeeds), a -d set-up failure
// leaves nothing, start/restart keep the upper layer, the restart policies carried out by each box's supervisor,
// --init stopping a PID 1 that ignores SIGTERM at once, --user NAME from the box's own passwd at run and exec (never
// through a symlink to a host file), and exec's exit code. Checked from the host: state files, container dirs,
// cgroups, mounts, processes. Store, state and cgroups are this test's own (temp dirs, ./lr-<pid>).

import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectCgroupHost, findHierarchy } from '../../src/cgroup/detect.js';
import { testCgroupDir } from '../helpers/cgroup-dirs.js';
import { ok, NSBOX, nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { snapshot, type Snapshot } from '../helpers/leaks.js';
import { gatedTest, skipPart } from '../helpers/suite.js';

const host = detectCgroupHost();
const skip = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : host.mode === 'none' ? 'no cgroup filesystem' : undefined;
const test = gatedTest(skip);

const BASE = mkdtempSync(join(tmpdir(), 'nsbox-lr-'));
const STORE = join(BASE, 'store');
const STATE = join(BASE, 'state');
const PARENT = `lr-${process.pid}`;
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: STORE, NSBOX_STATE: STATE, NSBOX_CGROUP_PARENT: `./${PARENT}`, NSBOX_IMAGE_NETWORK: 'none' };
/** The leak audit's scope: this file's own state dir (its boxes' processes, supervisors included) and cgroup parent. */
const OWN = { stateDirs: [STATE], cgroupParents: [`./${PARENT}`] };
const CONTROLLERS = ['pids', 'memory'].filter((c) => findHierarchy(host, c));

const run = (args: readonly string[]): Result => nsbox(args, { env: ENV, timeoutMs: 60_000 });

const parentDir = (controller: string): string => testCgroupDir(host, controller, PARENT);

/** What a box may leave behind, restricted to this test's own store, state and cgroups. */
function residue() {
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
  return {
    containers: list(join(STORE, 'containers')),
    boxes: list(join(STATE, 'boxes')),
    names: list(join(STATE, 'names')),
    cgroups: [...new Set(CONTROLLERS.map(parentDir))].flatMap((d) => list(d).filter((n) => n.startsWith('nsbox-'))),
  };
}
const NOTHING = { containers: [], boxes: [], names: [], cgroups: [] };

type Row = { id: string; name: string | null; status: string; exitCode: number | null; pid: number | null; restartCount: number; labels: Record<string, string> };
const ps = (): Row[] => JSON.parse(ok(run(['ps', '-a', '--json']), 'ps')) as Row[];
const row = (name: string): Row | undefined => ps().find((b) => b.name === name);

async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

let before: Snapshot;
test.before(() => {
  if (skip) return;
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox');
});
test.before.each(() => {
  if (skip) return;
  before = snapshot(OWN);
});
test.after.each(async () => {
  if (skip) return;
  for (const box of ps()) run(['rm', '-f', box.id]);
  await until('the boxes\' processes to end', () => snapshot(OWN).processes.length === before.processes.length).catch(() => undefined);
  assert.equal(residue(), NOTHING, 'nothing left behind');
  const after = snapshot(OWN);
  assert.equal(after.mounts, before.mounts, 'no mount left');
  assert.equal(after.processes, before.processes, 'no process left');
});
test.after(() => {
  if (skip) return;
  for (const dir of new Set(CONTROLLERS.map(parentDir))) if (existsSync(dir)) rmdirSync(dir);
  rmSync(BASE, { recursive: true, force: true });
});

test('every kind of box is listed by ps -a and removable; gc takes what killed runs left; then image rm succeeds', async () => {
  // A foreground box without --rm: recorded, exited, inspectable, committable, exportable, startable.
  assert.is(ok(run(['run', '--name', 'fg', 'busybox', 'sh', '-c', 'echo kept > /kept; echo x']), 'fg'), 'x\n');
  assert.equal([row('fg')!.status, row('fg')!.exitCode], ['exited', 0]);
  assert.is(JSON.parse(ok(run(['inspect', 'fg']), 'inspect'))[0].Name, '/fg');
  ok(run(['commit', 'fg', 'fgimage:1']), 'commit');
  const tar = join(BASE, 'fg.tar');
  ok(run(['export', 'fg', '-o', tar]), 'export');
  const rootfs = join(BASE, 'rootfs');
  mkdirSync(rootfs);
  execFileSync('tar', ['-xf', tar, '-C', rootfs]);
  assert.is(readFileSync(join(rootfs, 'kept'), 'utf8'), 'kept\n');
  ok(run(['start', 'fg']), 'start a foreground box again');
  await until('fg to end again', () => row('fg')?.status === 'exited');
  ok(run(['image', 'rm', 'fgimage:1']), 'the committed image is no box\'s');

  // A --rootfs run, a plain foreground image run (no name) and a detached box.
  assert.is(ok(run(['run', '--rootfs', rootfs, '--', 'cat', '/kept']), 'rootfs'), 'kept\n');
  ok(run(['run', 'busybox', 'true']), 'unnamed');
  ok(run(['run', '-d', '--name', 'bg', 'busybox', 'sleep', '100']), 'detached');

  // A --rm box whose nsbox is SIGKILLed: the box dies with it; its record says dead, and it can still be inspected.
  const child = spawn(NSBOX, ['run', '--rm', '--name', 'killed', 'busybox', 'sleep', '100'], { env: ENV, stdio: 'ignore' });
  await until('the --rm box to run', () => row('killed')?.status === 'running');
  child.kill('SIGKILL');
  await until('the killed --rm box to be dead', () => row('killed')?.status === 'dead');
  ok(run(['inspect', 'killed']), 'inspect a dead box');

  const boxes = ps();
  assert.is(boxes.length, 5, JSON.stringify(boxes.map((b) => [b.name, b.status])));
  const refused = run(['image', 'rm', 'busybox']);
  assert.is(refused.code, 125);
  assert.match(refused.stderr, /in use by boxes .*\(bg\)/, 'image rm names the boxes');

  // A container directory whose record is gone (a run killed after its record was removed): gc takes it.
  const orphan = boxes.find((b) => b.name === null)!.id;
  rmSync(join(STATE, 'boxes', orphan), { recursive: true });
  assert.ok(existsSync(join(STORE, 'containers', orphan)));
  const dry = ok(run(['gc', '--dry-run']), 'gc --dry-run');
  assert.match(dry, new RegExp(`container ${orphan.slice(0, 12)}: its box record is gone`));
  assert.match(dry, /box [0-9a-f]{12} \(killed\): dead/);
  ok(run(['gc']), 'gc');
  assert.not.ok(existsSync(join(STORE, 'containers', orphan)), 'gc removed the orphan container');
  assert.equal(ps().map((b) => b.name).sort(), ['bg', 'fg', null].sort(), 'gc removed the dead --rm box, kept the others');

  for (const box of ps()) ok(run(['rm', '-f', box.id]), `rm -f ${box.name}`);
  ok(run(['image', 'rm', 'busybox']), 'image rm once every box is gone');
  assert.equal(residue(), NOTHING);
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox again');
});

test('-d whose set-up fails: 125, the foreground\'s one-line error, nothing left (record, container, cgroup, mounts)', () => {
  const fg = run(['run', '-w', '/bin/busybox', 'busybox', 'true']);
  const bg = run(['run', '-d', '-w', '/bin/busybox', 'busybox', 'true']);
  for (const r of [fg, bg]) {
    assert.is(r.code, 125, r.stderr);
    assert.match(r.stderr, /^nsbox: cannot set up the box: cd \/bin\/busybox: .*\n$/);
  }
  assert.is(bg.stdout, '', 'no id printed');
  assert.is(bg.stderr, fg.stderr, 'the same error as in the foreground');
  const missing = run(['run', '-d', 'busybox', 'no-such-command']);
  assert.is(missing.code, 127, missing.stderr);
  assert.equal(residue(), NOTHING);
  assert.equal(snapshot(OWN).mounts, before.mounts);
});

test('-d --rm: the supervisor removes the box as soon as it exits (no gc)', async () => {
  ok(run(['run', '-d', '--rm', '--name', 'brief', 'busybox', 'sh', '-c', 'sleep 5; exit 3']), 'run -d --rm');
  assert.ok(row('brief'), 'listed while it runs');
  await until('the box to be removed', () => ps().length === 0 && residue().containers.length === 0, 20_000);
  assert.equal(residue(), NOTHING);
});

test('start and restart: the same box (id, name, upper layer, limits); start -a prints and returns its exit code', async () => {
  const id = ok(run(['run', '-d', '--name', 'again', '--memory', '64m', '--label', 'tier=web', 'busybox', 'sh', '-c', 'echo run >> /runs; exec sleep 100']), 'run -d').trim();
  await until('the first run', () => row('again')?.status === 'running');
  ok(run(['stop', '-t', '0', 'again']), 'stop');
  assert.is(row('again')!.status, 'exited');
  assert.is(readFileSync(join(STORE, 'containers', id, 'upper', 'runs'), 'utf8'), 'run\n', 'written before stop');
  ok(run(['start', 'again']), 'start');
  const started = row('again')!;
  assert.equal([started.id, started.status, started.labels], [id, 'running', { tier: 'web' }]);
  assert.is(ok(run(['exec', 'again', 'cat', '/runs']), 'exec'), 'run\nrun\n', 'the file written before stop is there after start');
  const cgroup = readFileSync(`/proc/${started.pid}/cgroup`, 'utf8');
  assert.match(cgroup, new RegExp(`nsbox-${id.slice(0, 12)}`), 'in its own cgroup again');
  const memory = findHierarchy(host, 'memory');
  if (memory) {
    const limit = host.mode === 'v2' ? 'memory.max' : 'memory.limit_in_bytes';
    assert.is(readFileSync(join(parentDir('memory'), `nsbox-${id.slice(0, 12)}`, limit), 'utf8').trim(), '67108864', 'the same limit');
  } else skipPart('the memory limit after start', 'no memory controller here');
  ok(run(['restart', '-t', '0', 'again']), 'restart');
  assert.is(ok(run(['exec', 'again', 'cat', '/runs']), 'exec'), 'run\nrun\nrun\n');
  assert.not.ok(existsSync(`/proc/${started.pid}`), 'restart ended the old run');

  assert.is(run(['run', '--name', 'att', 'busybox', 'sh', '-c', 'echo once; exit 5']).code, 5);
  const attached = run(['start', '-a', 'att']);
  assert.is(attached.code, 5, attached.stderr);
  assert.is(attached.stdout, 'once\n');
});

test('restart policies: on-failure:N counts, always restarts (Restarting in ps), unless-stopped stays stopped after stop', async () => {
  assert.match(run(['run', '--restart', 'always', 'busybox', 'true']).stderr, /--restart.*needs -d/);
  assert.match(run(['run', '-d', '--rm', '--restart', 'always', 'busybox', 'true']).stderr, /conflicting options: --restart and --rm/);
  assert.match(run(['run', '-d', '--restart', 'sometimes', 'busybox', 'true']).stderr, /invalid --restart/);

  ok(run(['run', '-d', '--name', 'fails', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'echo try; exit 3']), 'on-failure');
  ok(run(['run', '-d', '--name', 'fine', '--restart', 'on-failure', 'busybox', 'true']), 'on-failure, exit 0');
  await until('on-failure to give up', () => row('fails')?.status === 'exited' && row('fails')?.restartCount === 2, 15_000);
  await sleep(1000);
  const fails = row('fails')!;
  assert.equal([fails.status, fails.exitCode, fails.restartCount], ['exited', 3, 2], 'two restarts, then it stays exited');
  assert.is(ok(run(['logs', 'fails']), 'logs'), 'try\ntry\ntry\n');
  assert.equal([row('fine')!.status, row('fine')!.restartCount], ['exited', 0], 'on-failure does not restart a success');

  ok(run(['run', '-d', '--name', 'loop', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.2']), 'always');
  let sawRestarting = false;
  await until('always to restart twice, ps showing Restarting meanwhile', () => {
    if (/Restarting \(0\)/.test(run(['ps']).stdout)) sawRestarting = true;
    return sawRestarting && (row('loop')?.restartCount ?? 0) >= 2;
  }, 20_000);
  ok(run(['stop', 'loop']), 'stop always');
  const count = row('loop')!.restartCount;
  await sleep(1500);
  assert.equal([row('loop')!.status, row('loop')!.restartCount], ['exited', count], 'stop ends always\'s restarts');

  ok(run(['run', '-d', '--name', 'us', '--restart', 'unless-stopped', 'busybox', 'sleep', '100']), 'unless-stopped');
  ok(run(['stop', '-t', '0', 'us']), 'stop');
  await sleep(1000);
  assert.equal([row('us')!.status, row('us')!.restartCount], ['exited', 0], 'unless-stopped: not restarted after stop');
  ok(run(['start', 'us']), 'start');
  assert.is(row('us')!.status, 'running');
});

test('update --restart: a running box\'s new policy is the one its supervisor follows when it exits; a box started without one is told it applies from its next start', async () => {
  ok(run(['run', '-d', '--name', 'upr', '--restart', 'on-failure', 'busybox', 'sh', '-c', 'sleep 1; exit 0']), 'on-failure');
  const updated = run(['update', '--restart', 'always', 'upr']);
  assert.is(updated.code, 0, updated.stderr);
  assert.is(updated.stderr, '', 'the box has a supervisor: no warning');
  assert.is(run(['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', 'upr']).stdout.trim(), 'always');
  await until('the updated policy (always) to restart a box that exited 0', () => (row('upr')?.restartCount ?? 0) >= 1, 20_000);
  ok(run(['rm', '-f', 'upr']), 'rm -f');
  ok(run(['run', '-d', '--name', 'upn', 'busybox', 'sleep', '100']), 'no policy');
  const told = run(['update', '--restart', 'unless-stopped', 'upn']);
  assert.is(told.code, 0, told.stderr);
  assert.match(told.stderr, /^nsbox: box upn was started without a restart policy: --restart unless-stopped applies from its next start$/m);
  assert.match(run(['update', '--restart', 'sometimes', 'upn']).stderr, /invalid --restart/);
  assert.is(run(['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', 'upn']).stdout.trim(), 'unless-stopped', 'the bad value changed nothing');
  ok(run(['rm', '-f', 'upn']), 'rm -f');
});

test('--init: PID 1 is a reaper that forwards SIGTERM, so stopping `sleep infinity` takes well under the 10 s timeout', async () => {
  ok(run(['run', '-d', '--name', 'init', '--init', 'busybox', 'sleep', 'infinity']), 'run --init');
  const top = ok(run(['exec', 'init', 'ps', '-o', 'pid,args']), 'ps');
  assert.match(top, /^\s*1 [^]*nsbox-init sleep infinity/m, 'PID 1 is the reaper');
  assert.match(top, /^\s*\d+ sleep infinity$/m, 'the command is its child');
  const t0 = Date.now();
  ok(run(['stop', 'init']), 'stop');
  const took = Date.now() - t0;
  assert.ok(took < 1000, `stop took ${took} ms (without --init: the full 10 s)`);
  assert.equal([row('init')!.status, row('init')!.exitCode], ['exited', 143], 'the command died of SIGTERM');
  // Without --init the same PID 1 ignores SIGTERM: only the SIGKILL after -t ends it.
  ok(run(['run', '-d', '--name', 'noinit', 'busybox', 'sleep', 'infinity']), 'run');
  const t1 = Date.now();
  ok(run(['stop', '-t', '1', 'noinit']), 'stop');
  assert.ok(Date.now() - t1 >= 1000, 'PID 1 without a handler ignored SIGTERM');
  assert.is(row('noinit')!.exitCode, 137);
  // --stop-signal and --stop-timeout are the box's own: USR1 reaches the command's handler.
  ok(run(['run', '-d', '--name', 'sig', '--stop-signal', 'USR1', '--stop-timeout', '5', 'busybox', 'sh', '-c', 'trap "exit 7" USR1; while :; do sleep 0.1; done']), 'run');
  await sleep(300);
  ok(run(['stop', 'sig']), 'stop');
  assert.is(row('sig')!.exitCode, 7, 'the stop signal was USR1');
});

test('--user NAME (and -u) resolved in the box\'s /etc/passwd and /etc/group at run and exec, never through a symlink', async () => {
  ok(run(['run', '--name', 'mk', 'busybox', 'sh', '-c', 'echo "alice:x:1234:2345:Alice:/home/alice:/bin/sh" >> /etc/passwd; echo "staff:x:2345:" >> /etc/group; echo "devs:x:3000:alice" >> /etc/group']), 'make users');
  ok(run(['commit', 'mk', 'users:1']), 'commit');
  ok(run(['rm', 'mk']), 'rm');
  assert.is(ok(run(['run', '--rm', '--user', 'alice', 'users:1', 'id']), 'run --user alice'), 'uid=1234(alice) gid=2345(staff) groups=3000(devs)\n');
  assert.is(ok(run(['run', '--rm', '-u', 'alice:devs', 'users:1', 'id', '-g']), 'run -u alice:devs'), '3000\n');
  assert.match(run(['run', '--rm', '--user', 'bob', 'users:1', 'id']).stderr, /no such user in the image's \/etc\/passwd/);
  ok(run(['run', '-d', '--name', 'u', 'users:1', 'sleep', '100']), 'run -d');
  assert.is(ok(run(['exec', '-u', 'alice', 'u', 'sh', '-c', 'id -u; echo $HOME']), 'exec -u alice'), '1234\n/home/alice\n');
  assert.is(ok(run(['exec', '-u', 'alice:devs', 'u', 'id', '-g']), 'exec -u alice:devs'), '3000\n');
  // A box whose /etc/passwd is a symlink to a host path: exec must not read the host's file through it.
  const hostFile = join(BASE, 'host-passwd');
  writeFileSync(hostFile, 'mallory:x:4242:4242::/:/bin/sh\n');
  ok(run(['exec', 'u', 'sh', '-c', `rm /etc/passwd; ln -s ${hostFile} /etc/passwd`]), 'symlink');
  const refused = run(['exec', '-u', 'mallory', 'u', 'id', '-u']);
  assert.is(refused.code, 125, refused.stdout);
  assert.match(refused.stderr, /no such user in the box's \/etc\/passwd/);
  assert.is(readFileSync(hostFile, 'utf8'), 'mallory:x:4242:4242::/:/bin/sh\n', 'the host file is untouched');
  ok(run(['rm', '-f', 'u']), 'rm');
  ok(run(['image', 'rm', 'users:1']), 'image rm');
});

test('exec returns the command\'s exit code every time (its exit is never missed)', () => {
  ok(run(['run', '-d', '--name', 'codes', 'busybox', 'sleep', '100']), 'run -d');
  for (let i = 0; i < 15; i++) assert.is(run(['exec', 'codes', 'sh', '-c', 'exit 42']).code, 42, `round ${i}`);
});

test.run();
