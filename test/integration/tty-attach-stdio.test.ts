// Integration (root): `nsbox attach` to boxes without a terminal, as `docker attach` does it. A `run -d` box: its output
// from now on (nothing replayed), attach exits with its code; Ctrl-C's SIGINT passed to the box (--sig-proxy), or not
// (--sig-proxy=false: attach goes, the box runs on). A `run -d -i` box: its stdin is a fifo that stays open with no
// attach (checked from /proc), `echo hi | nsbox attach` reaches it and closing that stdin closes the box's; an attach
// killed without closing its stdin leaves the box's open. A `run -d` box without -i has /dev/null. And on a real pty.

import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { NSBOX, isRoot, nsbox, exitOf } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { eventually as waitUntil, gatedTest } from '../helpers/suite.js';
import { spawnOnPty } from '../helpers/pty.js';

const python = spawnSync('python3', ['-c', 'import pty, termios'], { encoding: 'utf8' }).status === 0;
const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : !python ? 'needs python3 (a test drives a pty with it)' : undefined;
// A counted skip (a failure under NSBOX_TEST_NO_SKIP=1), never a test that returns early and passes.
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-attach-stdio-'));
const root = join(base, 'store');
const state = join(base, 'state');
const env = (): NodeJS.ProcessEnv => ({ NSBOX_IMAGE_NETWORK: 'none', ...process.env, NSBOX_ROOT: root, NSBOX_STATE: state });
const cli = (args: string[], input?: string) => nsbox(args, { env: env(), timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const status = (name: string): string => cli(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Status}}']).stdout;
const pid1 = (name: string): number => Number(cli(['inspect', '--format', '{{.State.Pid}}', name]).stdout.trim());
const fifoOf = (name: string): string => join(state, 'boxes', cli(['inspect', '--format', '{{.Id}}', name]).stdout.trim(), 'stdin');
const logs = (name: string): string => cli(['logs', name]).stdout;

/** `nsbox attach ARGS` in the background, its stdin a pipe we hold (or /dev/null), its output collected. */
function attach(args: string[], stdin: 'pipe' | 'ignore' = 'ignore') {
  const child = spawn(NSBOX, ['attach', ...args], { stdio: [stdin, 'pipe', 'pipe'], env: env() });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { child, output: () => out, exited: exitOf(child) };
}

/** This file's waits are longer (attach to boxes that start on a busy host). */
const eventually = (check: () => boolean, what: string, withinMs = 10_000): Promise<void> => waitUntil(check, what, withinMs);

/** SIGINT's bit in a SigIgn/SigCgt mask of /proc/PID/status. */
const intIgnored = (pid: number): boolean => (BigInt(`0x${/^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]}`) & 2n) !== 0n;

test.before(() => {
  if (skipReason) return;
  const r = cli(['image', 'import', '--from-host-busybox', 'busybox']);
  assert.is(r.code, 0, r.stderr);
});

test.after(() => {
  if (!skipReason) cli(['rm', '-f', 'lines', 'sig', 'nosig', 'cat', 'reader', 'plain', 'term', 'hostcat', 'again']);
  rmSync(base, { recursive: true, force: true });
});

test('run -d: attach streams new lines only and exits with the box\'s status', async () => {
  const before = snapshot({ stateDirs: [state] });
  const r = cli(['run', '-d', '--name', 'lines', 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 20 ]; do echo "line $i"; i=$((i+1)); sleep 0.2; done; exit 7']);
  assert.is(r.code, 0, r.stderr);
  await eventually(() => /^line 2$/m.test(logs('lines')), 'the box prints');
  const a = attach(['lines']);
  const { code } = await a.exited;
  assert.is(code, 7, `attach exits with the box's status; it printed: ${a.output()}`);
  const seen = a.output().split('\n').filter(Boolean);
  assert.ok(seen.length >= 5, `attach saw new lines: ${JSON.stringify(seen)}`);
  const first = Number(/^line (\d+)$/.exec(seen[0]!)?.[1]);
  assert.ok(first >= 2, `nothing from before the attach is replayed: ${JSON.stringify(seen)}`);
  assert.equal(seen, Array.from({ length: 20 - first }, (_, i) => `line ${first + i}`), 'every line from then on, in order, to the last');
  assert.match(status('lines'), /^Exited \(7\)/);
  assert.is(cli(['rm', 'lines']).code, 0);
  await assertNoLeaks(before, 'attach to run -d');
});

test('--sig-proxy (default): SIGINT goes to the box, whose PID 1 can take it; --sig-proxy=false: attach goes, the box runs on', async () => {
  const before = snapshot({ stateDirs: [state] });
  const script = 'trap "echo got-int; exit 9" INT; while :; do echo tick; sleep 0.2; done';
  assert.is(cli(['run', '-d', '--name', 'sig', 'busybox', 'sh', '-c', script]).code, 0);
  // A shell's background job starts with SIGINT ignored, and exec keeps that: the box's PID 1 must not inherit it.
  assert.not.ok(intIgnored(pid1('sig')), 'PID 1 of a detached box does not ignore SIGINT');
  const a = attach(['sig']);
  await eventually(() => a.output().includes('tick'), 'attach streams');
  a.child.kill('SIGINT');
  assert.is((await a.exited).code, 9, `SIGINT passed on; attach exits with the box's 9: ${a.output()}`);
  assert.match(a.output(), /got-int\n$/);
  assert.match(status('sig'), /^Exited \(9\)/);

  assert.is(cli(['run', '-d', '--name', 'nosig', 'busybox', 'sh', '-c', script]).code, 0);
  const b = attach(['--sig-proxy=false', 'nosig']);
  await eventually(() => b.output().includes('tick'), 'attach streams');
  b.child.kill('SIGINT');
  assert.is((await b.exited).signal, 'SIGINT', 'attach itself ends on Ctrl-C');
  await sleep(500);
  assert.match(status('nosig'), /^Up /, 'the box runs on');
  assert.not.match(logs('nosig'), /got-int/);
  assert.is(cli(['rm', '-f', 'sig', 'nosig']).code, 0);
  await assertNoLeaks(before, 'attach --sig-proxy');
});

test('run -d -i: stdin is a fifo held open with no attach; echo hi | nsbox attach reaches it, and its end ends the box\'s stdin', async () => {
  const before = snapshot({ stateDirs: [state] });
  assert.is(cli(['run', '-d', '-i', '--name', 'cat', 'busybox', 'cat']).code, 0);
  const fifo = fifoOf('cat');
  const st = lstatSync(fifo);
  assert.ok(st.isFIFO() && (st.mode & 0o777) === 0o600 && st.uid === 0, `the box's stdin: a root-only fifo (mode ${(st.mode & 0o777).toString(8)})`);
  assert.is(readlinkSync(`/proc/${pid1('cat')}/fd/0`), fifo, 'PID 1 reads it');
  await sleep(1000);
  assert.match(status('cat'), /^Up /, 'no attach: no end of file');
  const r = cli(['attach', 'cat'], 'hi\n');
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'hi\n', 'the box read our stdin, and attach showed its output');
  assert.match(status('cat'), /^Exited \(0\)/, 'our stdin ended, so did the box\'s: cat ended');
  assert.not.ok(existsSync(fifo), 'the fifo goes with the box\'s stdin');

  // An attach that goes without closing its stdin (killed) leaves the box's open; the next one picks it up.
  assert.is(cli(['run', '-d', '-i', '--name', 'reader', 'busybox', 'sh', '-c', 'while read l; do echo "got $l"; done; echo eof; exit 4']).code, 0);
  const a = attach(['reader'], 'pipe');
  a.child.stdin!.write('one\n');
  await eventually(() => a.output().includes('got one'), `the first attach's line reaches the box: ${a.output()}`);
  a.child.kill('SIGKILL');
  await a.exited;
  await sleep(500);
  assert.match(status('reader'), /^Up /, 'an attach killed with its stdin open: the box\'s stays open');
  assert.ok(existsSync(fifoOf('reader')));
  const again = cli(['attach', 'reader'], 'two\n');
  assert.is(again.code, 4, again.stderr);
  assert.is(again.stdout, 'got two\neof\n', 'only what came after this attach, and the end of the box\'s stdin');
  assert.match(logs('reader'), /^got one\ngot two\neof\n$/);

  // Host-root boxes keep it the same way.
  assert.is(cli(['run', '-d', '-i', '--name', 'hostcat', '--pid', '--', 'sh', '-c', 'cat; echo host-eof']).code, 0);
  const host = cli(['attach', 'hostcat'], 'from-host\n');
  assert.is(host.code, 0, host.stderr);
  assert.is(host.stdout, 'from-host\nhost-eof\n');
  assert.is(cli(['rm', 'cat', 'reader', 'hostcat']).code, 0);
  await assertNoLeaks(before, 'run -d -i and attach');
});

test('run -d -i with a restart policy: each run gets a fresh stdin, attach ends with the run it attached to', async () => {
  const before = snapshot({ stateDirs: [state] });
  assert.is(cli(['run', '-d', '-i', '--restart', 'on-failure:2', '--name', 'again', 'busybox', 'sh', '-c', 'read l; echo "got $l"; exit 1']).code, 0);
  for (const word of ['a', 'b', 'c']) {
    await eventually(() => /^Up /.test(status('again')) && existsSync(fifoOf('again')), `run ${word} is up, its stdin open`);
    const r = cli(['attach', 'again'], `${word}\n`);
    // The supervisor's wait, cut short by attach's signal as the box ends, must still record the box's own status.
    assert.equal([r.code, r.stdout], [1, `got ${word}\n`], `run ${word}: ${r.stderr}`);
  }
  await eventually(() => /^Exited \(1\)/.test(status('again')), `no more restarts, the last run's code: ${status('again')}`);
  assert.is(cli(['inspect', '--format', '{{.RestartCount}}', 'again']).stdout.trim(), '2');
  assert.is(cli(['rm', 'again']).code, 0);
  await assertNoLeaks(before, 'run -d -i --restart');
});

test('run -d without -i: stdin is /dev/null, no fifo; attach passes no stdin', async () => {
  const before = snapshot({ stateDirs: [state] });
  assert.is(cli(['run', '-d', '--name', 'plain', 'busybox', 'sh', '-c', 'sleep 1; cat; echo "cat-ended"']).code, 0);
  assert.is(readlinkSync(`/proc/${pid1('plain')}/fd/0`), '/dev/null');
  assert.not.ok(existsSync(fifoOf('plain')));
  const r = cli(['attach', 'plain'], 'not-for-the-box\n');
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'cat-ended\n');
  assert.is(cli(['rm', 'plain']).code, 0);
  await assertNoLeaks(before, 'run -d without -i');
});

test('on a terminal: lines typed reach a -d -i box, Ctrl-D ends its stdin, attach exits with its code', async () => {
  const before = snapshot({ stateDirs: [state] });
  assert.is(cli(['run', '-d', '-i', '--name', 'term', 'busybox', 'sh', '-c', 'while read l; do echo "got [$l]"; done; echo eof; exit 5']).code, 0);
  const s = spawnOnPty([NSBOX, 'attach', 'term'], { env: env() });
  await s.ready;
  await sleep(300);
  s.type('abc\r');
  await s.waitFor('got [abc]');
  s.type('\x04');
  assert.is((await s.exited).code, 5, s.output());
  assert.match(s.output(), /eof\r\n$/);
  assert.is(cli(['rm', 'term']).code, 0);
  await assertNoLeaks(before, 'attach on a terminal');
});

test.run();
