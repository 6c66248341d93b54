// Integration (root): `exec --explain` and `exec --dry-run`. The printed script is the exec nsbox runs: run by sh, it
// lands in the box as `nsbox exec` does (the box's pid and mount namespaces, its cgroup, the same bounding set,
// no_new_privs, filter and environment); --dry-run runs nothing; --explain prints on stderr and then runs the command.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks, removeFileBoxes } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';
import { writeDockerSave } from './image-fixtures.js';
import { treeEntries } from './containment-fixtures.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-exec-explain-'));
const store = join(base, 'store');
const state = join(base, 'state');
const PARENT = `lee-${process.pid}`;
const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none', NSBOX_CGROUP_PARENT: `./${PARENT}` };
const OWN = { stateDirs: [state], cgroupParents: [`./${PARENT}`] };
const run = (args: string[]): Result => nsbox(args, { env, timeoutMs: 60_000 });
const ok = (r: Result, what: string): string => {
  assert.is(r.code, 0, `${what}: ${r.stderr}`);
  return r.stdout;
};

// What the command reports of itself: its environment variable, the kernel's view of its privileges, its namespaces
// (read from inside; compared with the box's PID 1 from the host below).
const PROBE = 'echo "A=$A"; grep -E "^(CapBnd|CapEff|NoNewPrivs|Seccomp|Uid):" /proc/self/status; readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt';

test.before(() => {
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import');
});

test.after(() => removeFileBoxes(run, PARENT, base));

test('image box: exec --dry-run prints a script that, run by sh, is the exec; it runs nothing itself', async () => {
  const before = snapshot(OWN);
  ok(run(['run', '-d', '--name', 'ex', 'busybox', 'sleep', '1000']), 'run');
  const pid = JSON.parse(ok(run(['inspect', 'ex']), 'inspect'))[0].State.Pid as number;
  const dry = run(['exec', '--dry-run', '-e', "A=x 'y'", 'ex', 'sh', '-c', `touch /tmp/ran; ${PROBE}`]);
  assert.is(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^# nsbox exec in box ex\n/, 'a commented script');
  assert.is(run(['exec', 'ex', 'test', '-e', '/tmp/ran']).code, 1, '--dry-run ran nothing in the box');
  const bySh = spawnSync('sh', [], { input: dry.stdout, encoding: 'utf8', env: { PATH: process.env.PATH } });
  assert.is(bySh.status, 0, `the script ran: ${bySh.stderr}`);
  assert.is(ok(run(['exec', 'ex', 'cat', '/proc/1/cmdline']), 'cmdline'), 'sleep\u00001000\u0000');
  assert.is(run(['exec', 'ex', 'test', '-e', '/tmp/ran']).code, 0, 'the script ran the command in the box');
  const direct = ok(run(['exec', '-e', "A=x 'y'", 'ex', 'sh', '-c', PROBE]), 'exec');
  assert.is(bySh.stdout, direct, 'the script lands where exec lands, with the same privileges and environment');
  assert.match(direct, /^A=x 'y'\nUid:\s+0\s+0\s+0\s+0\nCapEff:\s+00000000a00425fb\nCapBnd:\s+00000000a00425fb\nNoNewPrivs:\s+1\nSeccomp:\s+2\n/, direct);
  // From the host: the same namespaces as the box's PID 1.
  assert.ok(direct.includes(`${readlinkSync(`/proc/${pid}/ns/pid`)}\n${readlinkSync(`/proc/${pid}/ns/mnt`)}\n`), `the box's pid and mount namespaces: ${direct}`);
  ok(run(['rm', '-f', 'ex']), 'rm');
  await assertNoLeaks(before, 'exec --dry-run');
});

test('exec --explain prints the script on stderr and runs the command; a stopped box or no command is one line, 125', async () => {
  const before = snapshot(OWN);
  ok(run(['run', '-d', '--name', 'ee', 'busybox', 'sleep', '1000']), 'run');
  const explained = run(['exec', '--explain', 'ee', 'sh', '-c', 'echo hi; exit 4']);
  assert.equal([explained.code, explained.stdout], [4, 'hi\n'], 'the command ran, its status came back');
  assert.match(explained.stderr, /^# nsbox exec in box ee\n[\s\S]*nsenter --mount=\/proc\/\d+\/ns\/mnt --target \d+ --all /, explained.stderr);
  const dryInShell = run(['exec', '--dry-run', 'ee']);
  assert.equal([dryInShell.code, dryInShell.stdout, dryInShell.stderr], [125, '', 'nsbox: missing command: nsbox exec BOX CMD [ARG...]\n']);
  ok(run(['stop', '-t', '0', 'ee']), 'stop');
  const stopped = run(['exec', '--dry-run', 'ee', 'true']);
  assert.equal([stopped.code, stopped.stdout, stopped.stderr], [125, '', 'nsbox: cannot exec in box ee: it is exited\n']);
  ok(run(['rm', 'ee']), 'rm');
  await assertNoLeaks(before, 'exec --explain');
});

test('host-root box: the script adds the box\'s and -e\'s variables to the caller\'s environment, as exec does', async () => {
  const before = snapshot(OWN);
  ok(run(['run', '-d', '--name', 'hr', '--uts', '--pid', '--mount-proc', '-e', 'FOO=bar', '--', 'sleep', '1000']), 'run');
  const dry = ok(run(['exec', '--dry-run', '-e', 'X=1', 'hr', 'sh', '-c', 'echo "$FOO $X $$"; readlink /proc/self/ns/pid']), 'dry-run');
  const bySh = spawnSync('sh', [], { input: dry, encoding: 'utf8', env: { PATH: process.env.PATH } });
  const direct = ok(run(['exec', '-e', 'X=1', 'hr', 'sh', '-c', 'echo "$FOO $X $$"; readlink /proc/self/ns/pid']), 'exec');
  assert.is(bySh.status, 0, bySh.stderr);
  assert.match(bySh.stdout, /^bar 1 \d+\npid:\[\d+\]\n$/, bySh.stdout);
  assert.is(bySh.stdout.split('\n')[1], direct.split('\n')[1], 'the box\'s pid namespace');
  ok(run(['rm', '-f', 'hr']), 'rm');
  await assertNoLeaks(before, 'exec --dry-run host-root');
});

// The box's data in the printed argv (its Env, its WorkingDir, -u's home from the box's own /etc/passwd) are words
// like any other: the run's {box}/{script:NAME} placeholders must not apply to them. Before, an image Env
// `LEAK={script:NAME}` printed as LEAK="$NAME": the script run by sh handed the caller's variable NAME (a secret of
// the host's) to the box.
test('a box\'s Env, WorkingDir and passwd home in the script are literal: the caller\'s variables never reach the box', async () => {
  const before = snapshot(OWN);
  const busyboxFs = (JSON.parse(ok(run(['image', 'inspect', 'busybox']), 'inspect busybox')) as { lowerDirs: string[] }).lowerDirs[0]!;
  const passwd = 'root:x:0:0:root:/root:/bin/sh\nleaky:x:1000:1000::/h{box}{holder}:/bin/sh\n';
  const entries = [
    ...treeEntries(busyboxFs).filter((e) => e.name !== 'etc/passwd'),
    { name: 'etc/passwd', content: passwd },
    { name: 'w{box}/', type: 'directory' as const, mode: 0o777 },
  ];
  const file = join(base, 'placeholders.tar');
  await writeDockerSave(file, { layers: [entries], config: { Env: ['PATH=/bin', 'LEAK={script:NSBOX_HOST_SECRET}', 'B=x{box}{holder}y'], WorkingDir: '/w{box}', Cmd: ['sleep', '1000'] } });
  ok(run(['image', 'import', file, 'placeholders']), 'import');
  ok(run(['run', '-d', '--name', 'ph', 'placeholders']), 'run');
  const secret = `host-only-${process.pid}`;
  const probe = ['sh', '-c', 'echo "$LEAK|$B|$HOME|$(pwd)" > /tmp/seen; cat /tmp/seen'];
  const expected = '{script:NSBOX_HOST_SECRET}|x{box}{holder}y|/h{box}{holder}|/w{box}\n';
  const direct = ok(run(['exec', '-u', 'leaky', 'ph', ...probe]), 'exec');
  assert.is(direct, expected, 'exec itself passes the values as they are');
  const dry = ok(run(['exec', '--dry-run', '-u', 'leaky', 'ph', ...probe]), 'dry-run');
  const bySh = spawnSync('sh', [], { input: dry, encoding: 'utf8', env: { PATH: process.env.PATH, NSBOX_HOST_SECRET: secret, box: '1', holder: '2' } });
  assert.is(bySh.status, 0, bySh.stderr);
  assert.is(bySh.stdout, expected, 'the script run by sh gives the box the same values');
  // From the box's side: the file the command wrote holds no trace of the caller's secret.
  const seen = ok(run(['exec', 'ph', 'cat', '/tmp/seen']), 'cat');
  assert.ok(!seen.includes(secret), `the host's secret reached the box: ${seen}`);
  ok(run(['rm', '-f', 'ph']), 'rm');
  ok(run(['image', 'rm', 'placeholders']), 'image rm');
  await assertNoLeaks(before, 'exec --dry-run placeholders');
});

test.run();
