// Integration (root): `exec -d`, as docker exec -d. nsbox returns 0 once the command is found and started, the
// command keeps running in the box (its cgroup, its pid namespace) after nsbox is gone, its output goes nowhere
// (never to nsbox's stdout, stderr or terminal), and a missing command or -w is still reported, with 127/126.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSBOX, nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks, removeFileBoxes } from '../helpers/leaks.js';
import { eventually, gatedTest } from '../helpers/suite.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-exec-d-'));
const store = join(base, 'store');
const state = join(base, 'state');
const PARENT = `led-${process.pid}`;
const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none', NSBOX_CGROUP_PARENT: `./${PARENT}` };
const OWN = { stateDirs: [state], cgroupParents: [`./${PARENT}`] };
const run = (args: string[]): Result => nsbox(args, { env, timeoutMs: 60_000 });
const ok = (r: Result, what: string): string => {
  assert.is(r.code, 0, `${what}: ${r.stderr}`);
  return r.stdout;
};
/** PIDs (host view) of processes whose command line is exactly `words`. */
const pidsOf = (words: string): number[] =>
  readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      return readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').trim() === words ? [Number(d)] : [];
    } catch {
      return [];
    }
  });

test.before(() => {
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import');
});

test.after(() => removeFileBoxes(run, PARENT, base));

test('image box: exec -d returns 0 at once, the command runs on in the box (its cgroup) with its output nowhere', async () => {
  const before = snapshot(OWN);
  const id = ok(run(['run', '-d', '--name', 'bg', 'busybox', 'sleep', '1000']), 'run').trim();
  // The command waits for a file only a later exec makes: nsbox could not have waited for it to end.
  const started = run(['exec', '-d', 'bg', 'sh', '-c', 'echo out; echo err >&2; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo done > /tmp/mark; exec sleep 777']);
  assert.equal([started.code, started.stdout, started.stderr], [0, '', ''], 'exit 0, nothing printed');
  assert.is.not(run(['exec', 'bg', 'cat', '/tmp/mark']).code, 0, 'still waiting: not done yet');
  ok(run(['exec', 'bg', 'touch', '/tmp/go']), 'touch');
  await eventually(() => run(['exec', 'bg', 'cat', '/tmp/mark']).stdout === 'done\n', 'the detached command went on after nsbox returned');
  await eventually(() => pidsOf('sleep 777').length === 1, 'its sleep runs');
  const pid = pidsOf('sleep 777')[0]!;
  assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`/nsbox-${id.slice(0, 12)}\\n`), 'in the box\'s cgroup');
  assert.is(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^NSpid:\s+\d+\s+(\d+)$/m)?.[1] !== undefined, true, 'in the box\'s pid namespace');
  const fds = ok(run(['exec', 'bg', 'sh', '-c', `ls -l /proc/$(pidof sleep | tr ' ' '\\n' | grep -v '^1$' | head -1)/fd`]), 'fds');
  assert.match(fds, / 0 -> \/dev\/null\n.* 1 -> \/dev\/null\n.* 2 -> \/dev\/null\n/, `stdio is the box's /dev/null: ${fds}`);
  // Stopping the box ends it (nothing of the exec outlives the box: the leak audit below).
  ok(run(['rm', '-f', 'bg']), 'rm');
  await assertNoLeaks(before, 'exec -d');
});

test('exec -d reports what docker exec -d reports: a missing command 127, a missing -w 126, -t refused 125, a stopped box 125', async () => {
  const before = snapshot(OWN);
  ok(run(['run', '-d', '--name', 'errs', 'busybox', 'sleep', '1000']), 'run');
  const missing = run(['exec', '-d', 'errs', 'nosuch']);
  assert.equal([missing.code, missing.stdout, missing.stderr], [127, '', 'nsbox: cannot exec in box errs: exec: "nosuch": executable file not found in $PATH\n']);
  const path = run(['exec', '-d', 'errs', '/no/such']);
  assert.equal([path.code, path.stderr], [127, 'nsbox: cannot exec in box errs: exec: "/no/such": stat /no/such: no such file or directory\n']);
  const workdir = run(['exec', '-d', '-w', '/nope', 'errs', 'true']);
  assert.equal([workdir.code, workdir.stderr], [126, 'nsbox: cannot exec in box errs: chdir to "/nope": no such directory\n']);
  const tty = run(['exec', '-dt', 'errs', 'sh']);
  assert.equal([tty.code, tty.stderr], [125, "nsbox: cannot exec -d with -t: a detached command's stdio is /dev/null\n"]);
  ok(run(['stop', '-t', '0', 'errs']), 'stop');
  const stopped = run(['exec', '-d', 'errs', 'true']);
  assert.equal([stopped.code, stopped.stderr], [125, 'nsbox: cannot exec in box errs: it is exited\n']);
  ok(run(['rm', 'errs']), 'rm');
  await assertNoLeaks(before, 'exec -d errors');
});

test('exec -d on a real terminal: nothing reaches the terminal, the command gets none; a host-root box too', async () => {
  if (!existsSync('/usr/bin/script')) return;
  const before = snapshot(OWN);
  ok(run(['run', '-d', '--name', 'term', 'busybox', 'sleep', '1000']), 'run');
  const line = (args: string[]) => [NSBOX, ...args].map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(' ');
  const onTerminal = (args: string[]) => {
    const r = spawnSync('script', ['-qec', line(args), '/dev/null'], { env, encoding: 'utf8', timeout: 30_000 });
    return [r.status, r.stdout];
  };
  assert.equal(onTerminal(['exec', '-d', 'term', 'sh', '-c', 'echo to-the-terminal; tty > /tmp/tty 2>&1']), [0, ''], 'nothing on the terminal');
  await eventually(() => run(['exec', 'term', 'cat', '/tmp/tty']).stdout === 'not a tty\n', 'the command has no terminal');
  assert.equal(onTerminal(['exec', '-d', 'term', 'nosuch']), [127, 'nsbox: cannot exec in box term: exec: "nosuch": executable file not found in $PATH\r\n'], 'the error is shown');
  ok(run(['rm', '-f', 'term']), 'rm');

  const mark = join(base, 'host-mark');
  ok(run(['run', '-d', '--name', 'hostroot', '--', 'sleep', '1000']), 'host-root run');
  const started = run(['exec', '-d', 'hostroot', 'sh', '-c', `echo out; sleep 0.3; echo ok > ${mark}`]);
  assert.equal([started.code, started.stdout, started.stderr], [0, '', '']);
  assert.not.ok(existsSync(mark), 'returned before the command ended');
  await eventually(() => existsSync(mark) && readFileSync(mark, 'utf8') === 'ok\n', 'the host-root box\'s command ran');
  assert.is(run(['exec', '-d', 'hostroot', 'nosuch']).code, 127);
  ok(run(['rm', '-f', 'hostroot']), 'rm');
  await assertNoLeaks(before, 'exec -d on a terminal');
});

test.run();
