// Integration (root): box commands as a Docker user meets them, with an image box (busybox) and a host-root box:
// `exec BOX nosuch` says what docker exec says (127, 126), never a path of nsbox's own; `rename` of running, stopped
// and foreground boxes, refused names, a race for one name. Checked from the outside (state files, name links).

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSBOX, nsbox, isRoot, ok, type Result } from '../helpers/nsbox.js';
import { assertNoLeaks, removeCgroupParents, snapshot, type Snapshot } from '../helpers/leaks.js';
import { eventually, gatedTest } from '../helpers/suite.js';

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
});

test.run();
