// Integration (root): `run -dit` and `nsbox attach`, driven from real ptys (test/helpers/pty.ts) as a Docker user
// would: attach, type, resize, detach with Ctrl-P Ctrl-Q (the box runs on, checked from the host), attach again,
// `exit 3` ends the box and attach exits 3, logs holds the session; a second attach takes over; stop, start and
// rm -f leave no relay, no socket, no cgroup. The relay stays outside the box's pid namespace.

import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { NSBOX, isRoot, nsbox } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { eventually, gatedTest } from '../helpers/suite.js';
import { spawnOnPty, typeLine, type PtySession } from '../helpers/pty.js';

const python = spawnSync('python3', ['-c', 'import pty, termios'], { encoding: 'utf8' }).status === 0;
const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : !python ? 'needs python3 (the test drives a pty with it)' : undefined;
// A counted skip (a failure under NSBOX_TEST_NO_SKIP=1), never a test that returns early and passes.
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-attach-'));
const root = join(base, 'store');
const state = join(base, 'state');
const env = (): NodeJS.ProcessEnv => ({ NSBOX_IMAGE_NETWORK: 'none', ...process.env, NSBOX_ROOT: root, NSBOX_STATE: state });
const cli = (args: string[]) => nsbox(args, { env: env(), timeoutMs: 60_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};
/** Host processes whose title is the relay's for box `id`. */
const relays = (id: string): number[] => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => cmdline(p) === `nsbox-tty ${id.slice(0, 12)}`);
const boxId = (name: string): string => cli(['inspect', '--format', '{{.Id}}', name]).stdout.trim();
const socketOf = (id: string): string => join(state, 'boxes', id, 'attach.sock');
const status = (name: string): string => cli(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Status}}']).stdout;

/** Wait until `check` holds (the supervisor tidies up just after the relay sends the exit status). */
/** Type a command line and wait for the marker only its execution prints. */
const run = (s: PtySession, line: string): Promise<string> => typeLine(s, line, 'A');
const attach = (name: string, extra: string[] = [], size = { rows: 30, cols: 100 }) => spawnOnPty([NSBOX, 'attach', ...extra, name], { env: env(), ...size });

test.before(() => {
  if (skipReason) return;
  const r = cli(['image', 'import', '--from-host-busybox', 'busybox']);
  assert.is(r.code, 0, r.stderr);
});

test.after(() => {
  if (!skipReason) cli(['rm', '-f', 'att', 'plain', 'hostatt']);
  rmSync(base, { recursive: true, force: true });
});

test('run -dit, attach, type, resize, Ctrl-P Ctrl-Q detaches (box runs on), attach again, exit 3 ends it, logs', async () => {
  const before = snapshot({ stateDirs: [state] });
  const r = cli(['run', '-dit', '--name', 'att', 'busybox', 'sh']);
  assert.is(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  assert.is(id, boxId('att'));
  // From the host: the socket is root's alone, the relay is outside the box's pid namespace, the box cannot see it.
  const sock = lstatSync(socketOf(id));
  assert.ok(sock.isSocket() && (sock.mode & 0o777) === 0o600 && sock.uid === 0, `attach.sock: mode ${(sock.mode & 0o777).toString(8)} uid ${sock.uid}`);
  const [relay] = relays(id);
  assert.ok(relay !== undefined, 'a relay titled nsbox-tty ID runs');
  assert.is(readlinkSync(`/proc/${relay}/ns/pid`), readlinkSync('/proc/self/ns/pid'), 'the relay is in the host\'s pid namespace');
  assert.match(cli(['exec', 'att', 'ps', '-o', 'args']).stdout, /^COMMAND\nsh\nps -o args\n$/, 'the box sees its shell only, never the relay');
  // PID 1 holds the pty's slave only: neither the attach socket nor the log reaches the box.
  const pid1 = Number(cli(['inspect', '--format', '{{.State.Pid}}', 'att']).stdout.trim());
  const pid1Fds = readdirSync(`/proc/${pid1}/fd`).map((fd) => readlinkSync(`/proc/${pid1}/fd/${fd}`));
  assert.ok(pid1Fds.length > 0 && pid1Fds.every((t) => !t.startsWith('socket:') && !t.includes(state)), `PID 1's fds: ${pid1Fds.join(', ')}`);

  const s = attach('att');
  await s.ready;
  const first = await run(s, 'tty; echo "TERM=[$TERM]"; stty size');
  assert.match(first, /\/dev\/pts\/0\r\n/, `the box's own pty: ${JSON.stringify(first)}`);
  assert.match(first, /TERM=\[xterm\]/);
  assert.match(first, /\r\n30 100\r\n/, 'the window size passed at attach');
  s.resize(40, 120);
  let size = '';
  for (let i = 0; i < 50 && !/\r\n40 120\r\n/.test(size); i++) size = await run(s, 'stty size');
  assert.match(size, /\r\n40 120\r\n/, 'a window size change (SIGWINCH) passed on');
  await run(s, 'marker=kept; echo first-session');
  s.type('\x10\x11');
  assert.is((await s.exited).code, 0, `Ctrl-P Ctrl-Q: attach exits 0; terminal: ${s.output().slice(-300)}`);
  await sleep(300);
  assert.match(status('att'), /^Up /, 'detached: the box still runs');
  assert.equal(relays(id), [relay], 'the same relay still runs');
  assert.ok(existsSync(socketOf(id)), 'its socket is still there');

  // Attach again (custom detach keys: Ctrl-P alone is passed on): the same shell, its variable kept.
  const again = attach('att', ['--detach-keys', 'ctrl-x,x']);
  await again.ready;
  assert.match(await run(again, 'echo "marker=[$marker]"'), /marker=\[kept\]/, 'the same shell');
  again.type('\x10\x15echo ctrl-p-passed\r'); // Ctrl-P then Ctrl-U (kill line): nothing detaches
  await again.waitFor('ctrl-p-passed\r\n');
  again.type('exit 3\r');
  assert.is((await again.exited).code, 3, `attach exits with the box's code; terminal: ${again.output().slice(-300)}`);
  assert.match(status('att'), /^Exited \(3\)/);
  await eventually(() => !existsSync(socketOf(id)), 'the socket is removed when the box ends');
  await eventually(() => relays(id).length === 0, 'the relay ends with the box');

  const logs = cli(['logs', 'att']);
  assert.is(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /first-session\r\n[\s\S]*marker=\[kept\][\s\S]*exit 3/, `logs holds both sessions: ${JSON.stringify(logs.stdout.slice(-400))}`);
  const ended = cli(['attach', 'att']);
  assert.is(ended.code, 125);
  assert.match(ended.stderr, /^nsbox: cannot attach to box att: it is not running\n/);
  assert.is(cli(['rm', 'att']).code, 0);
  await assertNoLeaks(before, 'run -dit and attach');
});

test('a second attach takes over; stop, start and rm -f leave no relay, socket or cgroup', async () => {
  const before = snapshot({ stateDirs: [state] });
  assert.is(cli(['run', '-dit', '--name', 'att', 'busybox', 'sh']).code, 0);
  const id = boxId('att');
  const one = attach('att');
  await one.ready;
  await run(one, 'echo one');
  const two = attach('att');
  await two.ready;
  assert.is((await one.exited).code, 0, 'the first attach ends');
  assert.match(one.output(), /another nsbox attach took over box att's terminal/);
  assert.match(await run(two, 'echo two'), /two/, 'the second one has the terminal');

  const stop = cli(['stop', '-t', '1', 'att']);
  assert.is(stop.code, 0, stop.stderr);
  assert.is((await two.exited).code, 137, 'stop: attach exits with the box\'s status (SIGKILL after the timeout)');
  await eventually(() => !existsSync(socketOf(id)) && relays(id).length === 0, 'stop: no socket, no relay');

  assert.is(cli(['start', 'att']).code, 0);
  assert.ok(existsSync(socketOf(id)) && relays(id).length === 1, 'start: a new relay and socket');
  const three = attach('att');
  await three.ready;
  assert.match(await run(three, 'echo restarted'), /restarted/);
  assert.is(cli(['restart', '-t', '1', 'att']).code, 0);
  assert.is((await three.exited).code, 137, 'restart: the attached client sees the box end');
  assert.ok(existsSync(socketOf(id)) && relays(id).length === 1, 'restart: one relay and its socket');
  const four = attach('att');
  await four.ready;
  assert.match(await run(four, 'echo after-restart'), /after-restart/);
  assert.is(cli(['rm', '-f', 'att']).code, 0);
  assert.not.equal((await four.exited).code, 0, 'rm -f: attach ends');
  await eventually(() => relays(id).length === 0, 'rm -f: no relay');
  assert.not.ok(existsSync(join(state, 'boxes', id)), 'rm -f: the box\'s directory (and socket) is gone');
  await assertNoLeaks(before, 'stop, start, restart, rm -f of a -dit box');
});

test('host-root run -dit --pid: attach, the box\'s own pty, PID 1, exit 5', async () => {
  const before = snapshot({ stateDirs: [state] });
  const r = cli(['run', '-dit', '--name', 'hostatt', '--pid', '--mount-proc', '--', '/bin/sh']);
  assert.is(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  const s = attach('hostatt');
  await s.ready;
  assert.match(await run(s, 'echo "pid=$$"; tty'), /pid=1\r\n\/dev\/pts\/\d+\r\n/);
  const [relay] = relays(id);
  assert.ok(relay !== undefined, 'a relay titled nsbox-tty ID runs');
  assert.is(readlinkSync(`/proc/${relay}/ns/pid`), readlinkSync('/proc/self/ns/pid'), 'the relay is outside the box\'s pid namespace');
  s.type('exit 5\r');
  assert.is((await s.exited).code, 5, s.output().slice(-300));
  await eventually(() => !existsSync(socketOf(id)) && relays(id).length === 0, 'no socket, no relay');
  assert.is(cli(['rm', 'hostatt']).code, 0);
  await assertNoLeaks(before, 'host-root run -dit');
});

test('attach to a stopped box, or to an unknown box, or bad keys: a clear one-line error', async () => {
  // Boxes without a terminal: tty-attach-stdio.test.ts.
  assert.is(cli(['run', '-d', '--name', 'plain', 'busybox', 'true']).code, 0);
  assert.is(cli(['wait', 'plain']).code, 0);
  const r = cli(['attach', 'plain']);
  assert.is(r.code, 125);
  assert.match(r.stderr, /^nsbox: cannot attach to box plain: it is not running\n/);
  assert.is(cli(['rm', '-f', 'plain']).code, 0);
  const unknown = cli(['attach', 'no-such-box']);
  assert.is(unknown.code, 125);
  assert.match(unknown.stderr, /^nsbox: no such box: no-such-box\n/);
  const keys = cli(['attach', '--detach-keys', 'ctrl-pp', 'x']);
  assert.match(keys.stderr, /^nsbox: invalid --detach-keys "ctrl-pp"/);
});

test.run();
