// Integration (root): box commands as a Docker user meets them, with an image box (busybox) and a host-root box:
// `create` (state "created", nothing runs or is made but the record and name; `start`, `start -a`, `start -ai` run it;
// rm leaves nothing); `exec BOX nosuch` says what docker exec says (127, 126), never a path of nsbox's own; `rename`
// of running, stopped and foreground boxes, refused names, a race for one name. Checked from the outside (state
// files, name links, container directories, cgroups, processes).

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSBOX, nsbox, isRoot, ok, type Result } from '../helpers/nsbox.js';
import { assertNoLeaks, removeCgroupParents, snapshot, type Snapshot } from '../helpers/leaks.js';
import { eventually, gatedTest, skipPart } from '../helpers/suite.js';
import { spawnOnPty, typeLine } from '../helpers/pty.js';

const test = gatedTest(!isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined);
const BASE = mkdtempSync(join(tmpdir(), 'nsbox-create-'));
const STORE = join(BASE, 'store');
const STATE = join(BASE, 'state');
const PARENT = `./create-${process.pid}`;
const ENV = { ...process.env, NSBOX_ROOT: STORE, NSBOX_STATE: STATE, NSBOX_CGROUP_PARENT: PARENT, NSBOX_IMAGE_NETWORK: 'none' };
const OWN = { stateDirs: [STATE], cgroupParents: [PARENT] };

const run = (args: readonly string[]): Result => nsbox(args, { env: ENV, timeoutMs: 60_000 });
function runAsync(args: readonly string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(NSBOX, args, { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
const containers = (): string[] => (existsSync(join(STORE, 'containers')) ? readdirSync(join(STORE, 'containers')) : []);
const boxes = (): string[] => (existsSync(join(STATE, 'boxes')) ? readdirSync(join(STATE, 'boxes')) : []);

let before: Snapshot;
test.before(() => {
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox');
});
test.before.each(() => {
  before = snapshot(OWN);
});
test.after.each(async () => {
  for (const id of run(['ps', '-aq']).stdout.split('\n').filter(Boolean)) run(['rm', '-f', id]);
  assert.equal([boxes(), containers()], [[], []], 'no state or container directory left');
  await assertNoLeaks(before, 'box commands');
});
test.after(() => {
  removeCgroupParents([PARENT]);
  rmSync(BASE, { recursive: true, force: true });
});

test('exec of a command the box cannot run: docker exec\'s words and codes, no nsbox-internal path', () => {
  ok(run(['run', '-d', '--name', 'img', 'busybox', 'sleep', '1000']), 'run -d image');
  ok(run(['run', '-d', '--name', 'hostbox', '--pid', '--', 'sleep', '1000']), 'run -d host root');
  for (const box of ['img', 'hostbox']) {
    const cases: Array<[string[], number, string]> = [
      [['nosuch'], 127, `exec: "nosuch": executable file not found in $PATH`],
      [['/nonexist/x'], 127, 'exec: "/nonexist/x": stat /nonexist/x: no such file or directory'],
      [['/etc/passwd'], 126, 'exec: "/etc/passwd": permission denied'],
      [['/etc'], 126, 'exec: "/etc": is a directory'],
    ];
    for (const [command, code, words] of cases) {
      const r = run(['exec', box, ...command]);
      assert.equal([r.code, r.stdout, r.stderr], [code, '', `nsbox: cannot exec in box ${box}: ${words}\n`], `${box}: exec ${command.join(' ')}`);
    }
    const wd = run(['exec', '-w', '/nonexist', box, 'true']);
    assert.equal([wd.code, wd.stderr], [126, `nsbox: cannot exec in box ${box}: chdir to "/nonexist": no such directory\n`]);
    // What runs is unchanged: -w, -u, arguments, the command's own 127, a relative path from -w.
    assert.equal(ok(run(['exec', '-w', '/etc', '-u', '1000', box, 'sh', '-c', 'pwd; id -u; echo "$@"', 'sh', 'a b', 'c']), 'exec'), '/etc\n1000\na b c\n');
    assert.is(run(['exec', box, 'sh', '-c', 'exit 127']).code, 127);
    assert.equal(ok(run(['exec', '-w', '/bin', box, './sh', '-c', 'echo rel']), 'exec ./sh'), 'rel\n');
  }
  // The image box's PATH (-e sets it) is where the command is looked for; a file without x for the user is 126.
  const path = run(['exec', '-e', 'PATH=/nowhere', 'img', 'ls']);
  assert.equal([path.code, path.stderr], [127, 'nsbox: cannot exec in box img: exec: "ls": executable file not found in $PATH\n']);
  ok(run(['exec', 'img', 'sh', '-c', 'cp /bin/busybox /tmp/tool && chmod 700 /tmp/tool']), 'a root-only tool');
  const denied = run(['exec', '-u', '1000', '-e', 'PATH=/tmp', 'img', 'tool']);
  assert.equal([denied.code, denied.stderr], [126, 'nsbox: cannot exec in box img: exec: "tool": permission denied\n']);
});


test('rename: a running and a stopped box, names on disk, the old name gone, a taken or bad name refused, races', async () => {
  ok(run(['run', '-d', '--name', 'alpha', 'busybox', 'sleep', '1000']), 'run -d');
  const id = ok(run(['inspect', '--format', '{{.Id}}', 'alpha']), 'inspect').trim();
  const pid = run(['inspect', '--format', '{{.State.Pid}}', 'alpha']).stdout.trim();
  ok(run(['rename', 'alpha', 'beta']), 'rename running');
  assert.equal(readdirSync(join(STATE, 'names')), ['beta']);
  assert.is(readlinkSync(join(STATE, 'names', 'beta')), id);
  assert.is(JSON.parse(readFileSync(join(STATE, 'boxes', id, 'state.json'), 'utf8')).name, 'beta');
  assert.equal(run(['inspect', 'alpha']).stderr, 'nsbox: no such box: alpha\n');
  assert.equal([run(['inspect', '--format', '{{.Name}} {{.State.Pid}}', 'beta']).stdout], [`/beta ${pid}\n`], 'the same box, still running');
  assert.equal(ok(run(['exec', 'beta', 'echo', 'hi']), 'exec'), 'hi\n');
  // Stopped: renamed, then started under its new name.
  ok(run(['stop', '-t', '0', 'beta']), 'stop');
  ok(run(['rename', id.slice(0, 12), 'gamma']), 'rename stopped, by id');
  ok(run(['start', 'gamma']), 'start');
  assert.match(run(['ps', '--format', '{{.Names}} {{.Status}}']).stdout, /^gamma Up /);
  // Refused: nothing changes.
  ok(run(['run', '-d', '--name', 'other', 'busybox', 'sleep', '1000']), 'run -d other');
  const taken = run(['rename', 'gamma', 'other']);
  assert.equal([taken.code, taken.stderr.split('\n')[0]], [125, `nsbox: cannot rename box gamma: the name "other" is in use by box ${ok(run(['inspect', '--format', '{{.Id}}', 'other']), 'id').trim().slice(0, 12)}`]);
  const bad = run(['rename', 'gamma', 'no good']);
  assert.equal([bad.code, bad.stderr], [125, 'nsbox: cannot rename box gamma: invalid name "no good": use letters, digits and _ . - only, starting with a letter or digit\n']);
  assert.equal([run(['rename', 'nosuch', 'x']).stderr, run(['rename', 'gamma', 'gamma']).code], ['nsbox: no such box: nosuch\n', 125]);
  assert.equal(readdirSync(join(STATE, 'names')).sort(), ['gamma', 'other']);
  // Two boxes race for one new name: exactly one gets it, the other keeps its own.
  const [a, b] = await Promise.all([runAsync(['rename', 'gamma', 'prize']), runAsync(['rename', 'other', 'prize'])]);
  assert.equal([a, b].map((r) => r.code).sort(), [0, 125], `${a.stderr}${b.stderr}`);
  const names = readdirSync(join(STATE, 'names')).sort();
  assert.is(names.length, 2);
  assert.ok(names.includes('prize'));
  assert.equal(run(['ps', '--format', '{{.Names}}']).stdout.split('\n').filter(Boolean).sort(), names);
});

test('rename of a foreground box while it runs: its exit record keeps the new name', async () => {
  const fg = runAsync(['run', '--name', 'fg', 'busybox', 'sh', '-c', 'sleep 1.5; exit 4']);
  await eventually(() => run(['ps', '--format', '{{.Names}}']).stdout === 'fg\n', 'the box runs', 10_000);
  ok(run(['rename', 'fg', 'renamed']), 'rename');
  assert.is((await fg).code, 4);
  assert.match(run(['ps', '-a', '--format', '{{.Names}} {{.Status}}']).stdout, /^renamed Exited \(4\)/);
  assert.equal(readdirSync(join(STATE, 'names')), ['renamed']);
  // --rm: removed at its end under whichever name it has then, no name link left.
  const rm = runAsync(['run', '--rm', '--name', 'brief', 'busybox', 'sleep', '1.5']);
  await eventually(() => run(['ps', '--format', '{{.Names}}']).stdout === 'brief\n', 'the --rm box runs', 10_000);
  ok(run(['rename', 'brief', 'briefer']), 'rename --rm box');
  assert.is((await rm).code, 0);
  assert.equal(readdirSync(join(STATE, 'names')), ['renamed']);
});


const psRow = (name: string): string => run(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Names}} {{.Status}}']).stdout;
/** Every process whose environment names box `id` (its supervisor, reaper and init carry it in their titles). */
const processesOf = (id: string): string[] => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
  try {
    return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(id.slice(0, 12));
  } catch {
    return false;
  }
});

test('create: recorded as Created, nothing runs and no container directory; start -a runs it; start again; rm', async () => {
  const out = run(['create', '--name', 'made', '-e', 'GREETING=hello', 'busybox', 'sh', '-c', 'echo "$GREETING"; echo oops >&2; exit 3']);
  assert.is(out.code, 0, out.stderr);
  const id = out.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(psRow('made'), 'made Created\n');
  assert.is(run(['ps', '-q']).stdout, '', 'not running');
  assert.equal(ok(run(['inspect', '--format', '{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.StartedAt}}', 'made']), 'inspect'), 'created false 0 0001-01-01T00:00:00Z\n');
  assert.equal(containers(), [], 'no container directory before start');
  assert.equal(processesOf(id), [], 'no process of the box');
  assert.equal(['streams.log', 'log', 'exit', 'stdout.fifo'].filter((f) => existsSync(join(STATE, 'boxes', id, f))), [], 'no run has written anything');
  assert.is(JSON.parse(readFileSync(join(STATE, 'boxes', id, 'state.json'), 'utf8')).phase, 'created');
  assert.equal(run(['ps', '-a', '--filter', 'status=created', '--format', '{{.Names}}']).stdout, 'made\n');
  const exec = run(['exec', 'made', 'true']);
  assert.equal([exec.code, exec.stderr], [125, 'nsbox: cannot exec in box made: it is created\n']);
  // start -a: its output, stdout and stderr apart, and its exit code; then it is an exited box like any other.
  const started = run(['start', '-a', 'made']);
  assert.equal([started.code, started.stdout, started.stderr], [3, 'hello\n', 'oops\n']);
  assert.match(psRow('made'), /^made Exited \(3\)/);
  assert.equal(containers(), [id], 'its container directory, made by its first start');
  assert.is(run(['start', '-a', 'made']).code, 3, 'started again: a stopped box now');
  assert.equal(run(['logs', 'made']).stdout, 'hello\nhello\n');
  ok(run(['rm', 'made']), 'rm');
  assert.equal([containers(), boxes()], [[], []]);
});

test('create of a host-root box and of a command the box lacks: start says so and it stays Created; create --rm; rm of a Created box', async () => {
  ok(run(['create', '--name', 'hostc', '--pid', '--', 'sh', '-c', 'echo on-host']), 'create host root');
  assert.equal(psRow('hostc'), 'hostc Created\n');
  assert.equal(ok(run(['start', '-a', 'hostc']), 'start -a'), 'on-host\n');
  ok(run(['create', '--name', 'lacks', 'busybox', 'nosuch']), 'create nosuch');
  const bad = run(['start', 'lacks']);
  assert.equal([bad.code, bad.stderr], [127, 'nsbox: nosuch: not found in the box\n']);
  assert.equal(psRow('lacks'), 'lacks Created\n', 'still Created, as Docker leaves it');
  assert.equal(containers(), [], 'the failed start left no container directory');
  ok(run(['create', '--rm', '--name', 'once', 'busybox', 'true']), 'create --rm');
  ok(run(['start', 'once']), 'start --rm box');
  await eventually(() => psRow('once') === '', 'a --rm box is removed once it ends', 10_000);
  // rm of a box that never ran: nothing of it left (the after-each audit checks cgroups, mounts, processes).
  ok(run(['create', '--name', 'never', '--memory', '32m', 'busybox', 'sleep', '1000']), 'create with a limit');
  ok(run(['rm', 'never']), 'rm created');
  const taken = run(['create', '--name', 'hostc', 'busybox', 'true']);
  assert.is(taken.code, 125);
  assert.match(taken.stderr, /the name "hostc" is in use/);
  assert.equal(run(['ps', '-a', '--format', '{{.Names}}']).stdout.split('\n').filter(Boolean).sort(), ['hostc', 'lacks']);
});

test('create -it, then start -ai on a real terminal: the shell, its exit code', async () => {
  if (spawnSync('python3', ['-c', 'import pty']).status !== 0) return skipPart('create -it + start -ai', 'needs python3 (the test drives a pty with it)');
  ok(run(['create', '-it', '--name', 'term', 'busybox', 'sh']), 'create -it');
  const s = spawnOnPty([NSBOX, 'start', '-ai', 'term'], { env: ENV });
  await s.ready;
  await s.waitFor('/ # ');
  const seen = await typeLine(s, 'tty; echo "in-$((6*7))"', 'C');
  assert.match(seen, /\/dev\/pts\/0\r\nin-42\r\n/, JSON.stringify(seen));
  s.type('exit 5\r');
  assert.is((await s.exited).code, 5, s.output().slice(-300));
  assert.match(psRow('term'), /^term Exited \(5\)/);
});

test.run();
