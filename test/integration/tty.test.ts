// Integration (root): terminals. `run -it` and `exec -it` on image and host-root boxes, driven from a real pty
// (test/helpers/pty.ts): the command's own pty (name, TERM, window size kept in step), Ctrl-C and Ctrl-Z to its
// foreground job, the exit status; and from the host, that no box process ever holds the caller's terminal and
// that the relay which does is outside the box's pid namespace. Without -t, the box gets pipes, never the terminal.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { NSBOX, isRoot, nsbox } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { spawnOnPty, type PtySession } from '../helpers/pty.js';
import { gatedTest } from '../helpers/suite.js';

const python = spawnSync('python3', ['-c', 'import pty, termios'], { encoding: 'utf8' }).status === 0;
const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : !python ? 'needs python3 (the test drives a pty with it)' : undefined;
// A counted skip (a failure under NSBOX_TEST_NO_SKIP=1), never a test that returns early and passes.
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-tty-'));
const root = join(base, 'store');
const state = join(base, 'state');
/** The environment of a person at a terminal without TERM set (nsbox must pick xterm). */
const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { NSBOX_IMAGE_NETWORK: 'none', ...process.env, NSBOX_ROOT: root, NSBOX_STATE: state, SHELL: '/bin/sh', PS1: '$ ' };
  delete e.TERM;
  return e;
};
const cli = (args: string[]) => nsbox(args, { env: env(), timeoutMs: 60_000 });

/** Every process below `pid`. */
function tree(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let children: string[] = [];
    try {
      children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      return;
    }
    for (const c of children) {
      out.push(Number(c));
      visit(Number(c));
    }
  };
  visit(pid);
  return out;
}

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};
const nsOf = (pid: number | 'self', ns: string): string => readlinkSync(`/proc/${pid}/ns/${ns}`);

/** The processes among `pids` holding a file on the terminal `tty` (same devpts instance and number). */
function holders(pids: readonly number[], tty: { dev: number; rdev: number }): string[] {
  const out: string[] = [];
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const s = statSync(`/proc/${pid}/fd/${fd}`);
        if (s.dev === tty.dev && s.rdev === tty.rdev) out.push(`${pid} (${cmdline(pid)}) fd ${fd}`);
      } catch {
        // closed meanwhile
      }
    }
  }
  return out;
}

/** Type a command line and wait for `marker`, which only its execution prints (echo of "M$((n))" shows unexpanded). */
let counter = 0;
async function run(s: PtySession, line: string): Promise<string> {
  const n = ++counter;
  const from = s.output().length;
  s.type(`${line}; echo "=M$((${n}*1))="\r`);
  await s.waitFor(`=M${n}=`, 10_000, from);
  const seen = s.output().slice(from);
  return seen.slice(0, seen.lastIndexOf(`=M${n}=`));
}

/** What every terminal session must show: its own pty, TERM, the window size in step, Ctrl-C and Ctrl-Z. */
async function checkTerminal(s: PtySession, what: string, ttyPattern: RegExp): Promise<void> {
  const first = await run(s, 'tty; echo "TERM=[$TERM]"; stty size');
  assert.match(first, ttyPattern, `${what}: tty in ${JSON.stringify(first)}`);
  assert.match(first, /TERM=\[xterm\]/, `${what}: TERM`);
  assert.match(first, /\r\n24 80\r\n/, `${what}: the window size copied`);
  s.resize(40, 100);
  let size = '';
  for (let i = 0; i < 50 && !/\r\n40 100\r\n/.test(size); i++) size = await run(s, 'stty size');
  assert.match(size, /\r\n40 100\r\n/, `${what}: a window size change seen inside`);
  s.type('sleep 30\r');
  await new Promise((r) => setTimeout(r, 400));
  s.type('\x03');
  assert.match(await run(s, 'echo "S[$?]"'), /S\[130\]/, `${what}: Ctrl-C ends the foreground job (status 130)`);
  s.type('sleep 31\r');
  await new Promise((r) => setTimeout(r, 400));
  s.type('\x1a');
  assert.match(await run(s, 'jobs'), /Stopped/i, `${what}: Ctrl-Z stops the foreground job`);
  await run(s, 'kill -9 %1; wait');
  await run(s, 'jobs'); // dash forgets the killed job only after reporting it
}

/** Host-side: the relay holds the caller's terminal, outside the box's pid namespace; no box process holds it. */
function checkHolders(nsboxPid: number, outer: { dev: number; rdev: number }, what: string, boxHasPidNs: boolean): { relay: number; first: number } {
  const below = tree(nsboxPid);
  const relay = below.find((p) => cmdline(p).startsWith('nsbox-tty '));
  assert.ok(relay !== undefined, `${what}: a relay titled nsbox-tty among ${below.map((p) => `${p}:${cmdline(p).slice(0, 40)}`).join(', ')}`);
  const boxProcesses = tree(relay!);
  assert.ok(boxProcesses.length > 0, `${what}: the box's processes are the relay's descendants`);
  assert.equal(holders(boxProcesses, outer), [], `${what}: no box process holds the caller's terminal`);
  assert.ok(holders([relay!], outer).length > 0, `${what}: the relay holds the caller's terminal`);
  if (boxHasPidNs) {
    assert.is(nsOf(relay!, 'pid'), nsOf('self', 'pid'), `${what}: the relay is outside the box's pid namespace`);
    assert.is.not(nsOf(boxProcesses.at(-1)!, 'pid'), nsOf('self', 'pid'), `${what}: the box's processes are in a pid namespace of their own`);
  }
  return { relay: relay!, first: boxProcesses[0]! };
}

test.before(() => {
  if (skipReason) return;
  const r = cli(['image', 'import', '--from-host-busybox', 'busybox']);
  assert.is(r.code, 0, r.stderr);
});

test.after(() => {
  if (!skipReason) cli(['rm', '-f', 'ttybox', 'hostbox']);
  rmSync(base, { recursive: true, force: true });
});

test('run -it IMAGE sh: a pty of the box\'s own devpts, TERM, window size, Ctrl-C/Ctrl-Z, exit status', async () => {
  const before = snapshot({ stateDirs: [state] });
  const s = spawnOnPty([NSBOX, 'run', '--rm', '-it', 'busybox', 'sh'], { env: env() });
  const outer = await s.ready;
  const outerDev = statSync(outer.name).dev;
  await checkTerminal(s, 'run -it busybox', /\s\/dev\/pts\/0\r\n/);
  const { first } = checkHolders(outer.pid, { dev: outerDev, rdev: outer.rdev }, 'run -it busybox', true);
  // PID 1's terminal is in a devpts instance that is neither the host's nor the caller's.
  const pid1Tty = statSync(`/proc/${first}/fd/0`);
  assert.is.not(pid1Tty.dev, statSync('/dev/pts/ptmx').dev, 'the box\'s pty is not in the host\'s devpts');
  assert.is(pid1Tty.rdev >> 8, 136, 'fd 0 of PID 1 is a pty slave');
  assert.match(await run(s, 'ls -l /dev/console; ps -o args | grep -c "[n]sbox-tty"'), /136,\s+0 .*\/dev\/console[\s\S]*\r\n0\r\n/, '/dev/console is the pty; the box cannot see the relay');
  s.type('exit 3\r');
  assert.is((await s.exited).code, 3, `exit status kept; terminal: ${s.output().slice(-500)}`);
  await assertNoLeaks(before, 'run -it');
});

test('exec -it BOX sh: a new pty per exec from the box\'s devpts, with TERM, size, Ctrl-C/Ctrl-Z, exit status', async () => {
  assert.is(cli(['run', '-d', '--name', 'ttybox', 'busybox', 'sleep', '1000']).code, 0);
  const s = spawnOnPty([NSBOX, 'exec', '-it', 'ttybox', 'sh'], { env: env() });
  const outer = await s.ready;
  await checkTerminal(s, 'exec -it', /\s\/dev\/pts\/\d+\r\n/);
  checkHolders(outer.pid, { dev: statSync(outer.name).dev, rdev: outer.rdev }, 'exec -it', true);
  assert.match(await run(s, 'ps -o args | grep -c "[n]sbox-tty"'), /\r\n0\r\n/, 'the box cannot see the relay');
  s.type('exit 4\r');
  assert.is((await s.exited).code, 4, `exit status kept; terminal: ${s.output().slice(-500)}`);
  // A second exec gets a pty of its own (a new one per exec, like docker exec -t).
  const second = spawnOnPty([NSBOX, 'exec', '-t', 'ttybox', 'sh', '-c', 'tty; ls /dev/pts'], { env: env() });
  assert.is((await second.exited).code, 0, second.output());
  assert.match(second.output(), /\/dev\/pts\/\d+/);
  assert.is(cli(['rm', '-f', 'ttybox']).code, 0);
});

test('host-root boxes: run -it --pid and nsbox sh get a pty, TERM, size, Ctrl-C/Ctrl-Z, exit status; exec -it too', async () => {
  const before = snapshot({ stateDirs: [state] });
  const s = spawnOnPty([NSBOX, 'run', '-it', '--pid', '--mount-proc', '--', '/bin/sh'], { env: env() });
  const outer = await s.ready;
  await checkTerminal(s, 'run -it --pid', /\s\/dev\/pts\/\d+\r\n/);
  checkHolders(outer.pid, { dev: statSync(outer.name).dev, rdev: outer.rdev }, 'run -it --pid', true);
  s.type('exit 5\r');
  assert.is((await s.exited).code, 5, s.output().slice(-500));

  // nsbox sh without -t: on a terminal it is interactive; no pid namespace (the relay is still the box's parent)
  const sh = spawnOnPty([NSBOX, 'sh', '--uts'], { env: env() });
  const shOuter = await sh.ready;
  await checkTerminal(sh, 'nsbox sh --uts', /\s\/dev\/pts\/\d+\r\n/);
  checkHolders(shOuter.pid, { dev: statSync(shOuter.name).dev, rdev: shOuter.rdev }, 'nsbox sh --uts', false);
  sh.type('exit 6\r');
  assert.is((await sh.exited).code, 6, sh.output().slice(-500));

  assert.is(cli(['run', '-d', '--name', 'hostbox', '--pid', '--mount-proc', '--', 'sleep', '1000']).code, 0);
  const ex = spawnOnPty([NSBOX, 'exec', '-it', 'hostbox', '/bin/sh'], { env: env() });
  const exOuter = await ex.ready;
  await checkTerminal(ex, 'exec -it host-root', /\s\/dev\/pts\/\d+\r\n/);
  checkHolders(exOuter.pid, { dev: statSync(exOuter.name).dev, rdev: exOuter.rdev }, 'exec -it host-root', true);
  ex.type('exit 7\r');
  assert.is((await ex.exited).code, 7, ex.output().slice(-500));
  assert.is(cli(['rm', '-f', 'hostbox']).code, 0);
  await assertNoLeaks(before, 'host-root terminals');
});

/** Kill the pty's driver (the terminal emulator closes: the caller's terminal is hung up), then wait for `pids` to end. */
async function closeTerminal(s: PtySession, pids: readonly number[], withinMs: number): Promise<string[]> {
  s.child.kill('SIGKILL');
  const alive = () => pids.filter((p) => {
    try {
      return !/^\S+ \(.*\) Z /.test(readFileSync(`/proc/${p}/stat`, 'utf8')); // a zombie has ended (its parent reaps it)
    } catch {
      return false;
    }
  });
  const deadline = Date.now() + withinMs;
  while (alive().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return alive().map((p) => `${p} (${cmdline(p)})`);
}

test('the caller\'s terminal goes away: the box is hung up and ends, nsbox exits, nothing is left', async () => {
  const before = snapshot({ stateDirs: [state] });
  const containers = () => (existsSync(join(root, 'containers')) ? readdirSync(join(root, 'containers')).sort() : []);
  const dirsBefore = containers();
  // run --rm -it: the interactive shell gets SIGHUP and EOF from its hung-up pty. nsbox's stderr goes to a file: Node
  // aborted at exit (an assertion restoring the hung-up terminal's modes) and said so there.
  const stderrFile = join(base, 'hup-stderr');
  const s = spawnOnPty(['sh', '-c', 'exec "$0" "$@" 2>"$NSBOX_TEST_STDERR"', NSBOX, 'run', '--rm', '-it', 'busybox', 'sh'], { env: { ...env(), NSBOX_TEST_STDERR: stderrFile } });
  const outer = await s.ready;
  await run(s, 'sleep 100 & echo started');
  const pids = [outer.pid, ...tree(outer.pid)];
  assert.ok(pids.some((p) => cmdline(p).startsWith('nsbox-tty ')) && pids.some((p) => cmdline(p) === 'sleep 100'), `relay and box processes: ${pids.map(cmdline).join(', ')}`);
  assert.equal(await closeTerminal(s, pids, 5_000), [], 'run --rm -it: nsbox, the relay and every box process end');
  const stderr = readFileSync(stderrFile, 'utf8');
  rmSync(stderrFile, { force: true });
  assert.not.match(stderr, /Assertion failed|Native stack trace/, `run --rm -it: nsbox exits cleanly, without Node's abort: ${stderr.slice(0, 300)}`);
  assert.equal(containers(), dirsBefore, 'run --rm -it: the container directory is removed');
  assert.is(cli(['ps', '-a', '-q']).stdout, '', 'run --rm -it: no record left');

  // A box that ignores SIGHUP is killed after the relay's grace; without --rm it stays recorded as exited.
  const stubborn = spawnOnPty([NSBOX, 'run', '-it', '--name', 'hupbox', 'busybox', 'sh', '-c', 'trap "" HUP; echo "up$((6*7))"; sleep 100'], { env: env() });
  const stubbornOuter = await stubborn.ready;
  await stubborn.waitFor('up42');
  const stubbornPids = [stubbornOuter.pid, ...tree(stubbornOuter.pid)];
  assert.equal(await closeTerminal(stubborn, stubbornPids, 9_000), [], 'a box ignoring SIGHUP ends after the grace');
  assert.match(cli(['ps', '-a', '--filter', 'name=hupbox', '--format', '{{.Status}}']).stdout, /^Exited \(137\)/, 'recorded as exited');
  assert.is(cli(['rm', 'hupbox']).code, 0);

  // exec -it: the exec's shell ends, the box goes on.
  assert.is(cli(['run', '-d', '--name', 'ttybox', 'busybox', 'sleep', '1000']).code, 0);
  const ex = spawnOnPty([NSBOX, 'exec', '-it', 'ttybox', 'sh'], { env: env() });
  const exOuter = await ex.ready;
  await run(ex, 'echo in-exec');
  const exPids = [exOuter.pid, ...tree(exOuter.pid)];
  assert.equal(await closeTerminal(ex, exPids, 5_000), [], 'exec -it: nsbox exec, its relay and its shell end');
  assert.match(cli(['exec', 'ttybox', 'ps', '-o', 'args']).stdout, /^COMMAND\nsleep 1000\nps -o args\n$/, 'exec -it: only the box\'s own process remains in it');
  assert.is(cli(['rm', '-f', 'ttybox']).code, 0);

  // host-root nsbox sh on a terminal
  const sh = spawnOnPty([NSBOX, 'sh', '--uts'], { env: env() });
  const shOuter = await sh.ready;
  await run(sh, 'echo in-sh');
  const shPids = [shOuter.pid, ...tree(shOuter.pid)];
  assert.ok(shPids.some((p) => cmdline(p).startsWith('nsbox-tty ')), 'nsbox sh: relayed');
  assert.equal(await closeTerminal(sh, shPids, 5_000), [], 'nsbox sh: nsbox, the relay and the shell end');
  await assertNoLeaks(before, 'terminal gone');
});

test('without -t, the box never gets the caller\'s terminal: stdin a pipe (-i), no controlling terminal', async () => {
  const probe = 'tty; for f in 0 1 2; do [ -t $f ] && echo "fd$f-is-a-tty"; done; (: </dev/tty) 2>/dev/null && echo has-dev-tty; echo "end$((6*7))"';
  for (const argv of [['run', '--rm', '-i', 'busybox', 'sh', '-c', probe], ['run', '-i', '--pid', '--', 'sh', '-c', probe]]) {
    const s = spawnOnPty([NSBOX, ...argv], { env: env() });
    const r = await s.exited;
    assert.is(r.code, 0, s.output());
    assert.match(s.output(), /not a tty/, `${argv.join(' ')}: ${s.output()}`);
    assert.not.match(s.output(), /is-a-tty|has-dev-tty/, `${argv.join(' ')}: ${s.output()}`);
    assert.match(s.output(), /end42/);
  }
  // piped stdin still reaches the box, as in docker run -i
  const piped = spawnSync(NSBOX, ['run', '--rm', '-i', 'busybox', 'sh', '-c', 'read x; echo "got $x"'], { input: 'hello\n', encoding: 'utf8', env: env() });
  assert.is(piped.stdout, 'got hello\n', piped.stderr);
});

test.run();
