// Integration (root): `nsbox logs` as `docker logs`: a detached box's stdout on our stdout and its stderr on our
// stderr, in the order written, with -f, --tail and -t; start -a and attach keep them apart too; a box's log from an
// older nsbox (one raw file) still reads. Checked from the outside: our own fds, and the box's files on the host.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSBOX, nsbox, isRoot, ok, type Result } from '../helpers/nsbox.js';
import { assertNoLeaks, removeCgroupParents, snapshot, type Snapshot } from '../helpers/leaks.js';
import { eventually, gatedTest } from '../helpers/suite.js';

const test = gatedTest(isRoot ? undefined : 'needs root');
const STATE = mkdtempSync(join(tmpdir(), 'nsbox-logs-state-'));
const PARENT = `./logs-${process.pid}`;
const ENV = { ...process.env, NSBOX_STATE: STATE, NSBOX_CGROUP_PARENT: PARENT };
const OWN = { stateDirs: [STATE], cgroupParents: [PARENT] };

const run = (args: readonly string[]): Result => nsbox(args, { env: ENV, timeoutMs: 60_000 });
/** Both our streams into one pipe, as a terminal shows them: the order nsbox wrote them in. */
const merged = (args: readonly string[]): string => spawnSync('sh', ['-c', '"$@" 2>&1', 'sh', NSBOX, ...args], { env: ENV, encoding: 'utf8' }).stdout;
const boxDir = (name: string): string => join(STATE, 'boxes', ok(run(['inspect', '--format', '{{.Id}}', name]), 'inspect').trim());
const status = (name: string): string => run(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Status}}']).stdout;

// Each line is a separate write, apart in time, so the order of the two streams is the box's.
const CHATTY = 'echo out1; sleep 0.1; echo err1 >&2; sleep 0.1; printf "ask: "; sleep 0.1; echo err2 >&2; sleep 0.1; echo answer; exit 3';

let before: Snapshot;
test.before.each(() => {
  before = snapshot(OWN);
});
test.after.each(async () => {
  for (const id of run(['ps', '-aq']).stdout.split('\n').filter(Boolean)) run(['rm', '-f', id]);
  await assertNoLeaks(before, 'logs');
});
test.after(() => {
  removeCgroupParents([PARENT]);
  rmSync(STATE, { recursive: true, force: true });
});

test('logs: stdout on stdout, stderr on stderr, in the order written; --tail across both; -t times each line', async () => {
  ok(run(['run', '-d', '--name', 'chat', '--pid', '--', 'sh', '-c', CHATTY]), 'run -d');
  await eventually(() => /^Exited \(3\)/.test(status('chat')), 'the box exits 3', 10_000);
  const r = run(['logs', 'chat']);
  assert.equal([r.code, r.stdout, r.stderr], [0, 'out1\nask: answer\n', 'err1\nerr2\n']);
  assert.is(merged(['logs', 'chat']), 'out1\nerr1\nask: err2\nanswer\n', 'the streams interleave as the box wrote them');
  const tail = run(['logs', '--tail', '2', 'chat']);
  assert.equal([tail.stdout, tail.stderr], ['ask: answer\n', 'err2\n'], 'a line written in two parts is one line');
  assert.equal([run(['logs', '-n', '0', 'chat']).stdout, run(['logs', '--tail', 'all', 'chat']).stdout], ['', 'out1\nask: answer\n']);
  const stamped = run(['logs', '-t', 'chat']);
  assert.match(stamped.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{9})?Z out1\n\S+Z ask: answer\n$/);
  assert.match(stamped.stderr, /^\S+Z err1\n\S+Z err2\n$/);
  // On the host: one record per line, the fifos gone (the writer removed them once open).
  const dir = boxDir('chat');
  assert.match(readFileSync(join(dir, 'streams.log'), 'utf8'), / stdout F out1\n.* stderr F err1\n.* stdout P ask: \n/);
  assert.equal(readdirSync(dir).filter((f) => f.includes('fifo')), []);
  assert.not.ok(existsSync(join(dir, 'log')), 'no raw log for a box without a terminal');
  const bad = run(['logs', '--tail', 'x', 'chat']);
  assert.is(bad.code, 125);
  assert.match(bad.stderr, /--tail/);
});

test('logs -f follows both streams live and ends with the box; start -a keeps them apart too', async () => {
  ok(run(['run', '-d', '--name', 'live', '--', 'sh', '-c', 'echo first; sleep 1; echo late-err >&2; sleep 0.3; echo late-out']), 'run -d');
  const child = spawn(NSBOX, ['logs', '-f', 'live'], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  await eventually(() => out === 'first\n', 'logs -f shows the first line while the box runs', 5_000);
  assert.is(err, '', 'nothing on stderr yet');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal([code, out, err], [0, 'first\nlate-out\n', 'late-err\n']);
  // start -a: this run's output only, each stream on its own, and the box's exit code.
  const again = run(['start', '-a', 'live']);
  assert.equal([again.code, again.stdout, again.stderr], [0, 'first\nlate-out\n', 'late-err\n']);
  assert.equal(run(['logs', 'live']).stdout, 'first\nlate-out\nfirst\nlate-out\n');
});

test('attach to a -d -i box: its output comes back split, our stdin goes in', async () => {
  ok(run(['run', '-d', '-i', '--name', 'echoer', '--', 'sh', '-c', 'while read -r l; do echo "out:$l"; echo "err:$l" >&2; done; echo bye']), 'run -d -i');
  const child = spawn(NSBOX, ['attach', 'echoer'], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  await new Promise((r) => setTimeout(r, 300));
  child.stdin.end('a\nb\n');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal([code, out, err], [0, 'out:a\nout:b\nbye\n', 'err:a\nerr:b\n']);
});

test('a box stop kills: its log has what it wrote, no "Killed" notice of nsbox\'s shells', async () => {
  ok(run(['run', '-d', '--name', 'stubborn', '--pid', '--', 'sh', '-c', 'trap "" TERM; echo up; echo up-err >&2; exec sleep 1000']), 'run -d');
  await eventually(() => run(['logs', 'stubborn']).stdout === 'up\n', 'the box wrote its line', 5_000);
  ok(run(['stop', '-t', '1', 'stubborn']), 'stop');
  assert.match(status('stubborn'), /^Exited \(137\)/);
  const r = run(['logs', 'stubborn']);
  assert.equal([r.stdout, r.stderr], ['up\n', 'up-err\n']);
});

test('a box whose log an older nsbox wrote (one raw file) still reads, before what it wrote since', async () => {
  ok(run(['run', '-d', '--name', 'old', '--', 'sh', '-c', 'echo new-out; echo new-err >&2']), 'run -d');
  await eventually(() => /^Exited \(0\)/.test(status('old')), 'the box exits', 10_000);
  const dir = boxDir('old');
  writeFileSync(join(dir, 'log'), 'old mixed 1\nold mixed 2\n');
  const both = run(['logs', 'old']);
  assert.equal([both.stdout, both.stderr], ['old mixed 1\nold mixed 2\nnew-out\n', 'new-err\n']);
  unlinkSync(join(dir, 'streams.log'));
  assert.equal(run(['logs', '--tail', '1', 'old']).stdout, 'old mixed 2\n');
});

test.run();
