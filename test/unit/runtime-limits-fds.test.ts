// nsbox-runtime's --preserve-fds and process limits without root: where the fds travel and how perl moves them back
// (run for real with the host's perl), the init's last exec, the limits as host-side steps after the launch, and the
// explained plan with them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPreservedFds, execPassedFds, listenFdsOf, moveFdsArgv, MOVE_FDS_PROGRAM, parsePreserveFds, passedFds } from '../../src/runtime/preserve-fds.js';
import { execStdio } from '../../src/runtime/exec.js';
import { withPassedFds } from '../../src/exec/passed-fds.js';
import { processLimitSteps } from '../../src/runtime/create.js';
import { execLimitLines } from '../../src/runtime/process-limits.js';
import { buildInitScript, type InitInput } from '../../src/runtime/init-script.js';
import { renderRuntimePlan } from '../../src/runtime/render-plan.js';
import { parseConfig } from '../../src/oci/parse-bundle.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/oci', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'nsbox-rt-fds-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const toolbox = { loader: undefined, files: ['setpriv', 'env', 'umount', 'perl'].map((name) => ({ name, source: `/usr/bin/${name}` })) };

test('--preserve-fds: a count; fds travel from 10 and never over their targets 3 .. 2+N', () => {
  assert.is(parsePreserveFds(undefined), 0);
  assert.is(parsePreserveFds('2'), 2);
  for (const bad of ['-1', 'x', '1.5', '']) assert.throws(() => parsePreserveFds(bad), /invalid --preserve-fds/);
  assert.is(passedFds(0), undefined);
  assert.equal(passedFds(2), { count: 2, at: 10 });
  assert.equal(passedFds(7), { count: 7, at: 10 });
  assert.equal(passedFds(8), { count: 8, at: 11 }, 'targets 3..10: sources from 11');
});

test('exec: up to 5 preserved fds at their own numbers (the shells keep to 8 and 9: nothing moves them, no perl); more travel at 10.. for the mover', () => {
  assert.is(execPassedFds(0), undefined);
  assert.equal(execPassedFds(1), { count: 1, at: 3 });
  assert.equal(execPassedFds(5), { count: 5, at: 3 });
  assert.equal(execPassedFds(6), { count: 6, at: 10 });
  const I = 'inherit';
  const X = 'ignore';
  assert.equal(execStdio(undefined), [I, I, I, X, X, X, X, X, X, 'pipe'], 'fd 9: the messages pipe; nothing else');
  assert.equal(execStdio(execPassedFds(2)), [I, I, I, 3, 4, X, X, X, X, 'pipe']);
  assert.equal(execStdio(execPassedFds(5)), [I, I, I, 3, 4, 5, 6, 7, X, 'pipe'], 'fd 8 stays free for the shells');
  assert.equal(execStdio(execPassedFds(6)), [I, I, I, X, X, X, X, X, X, 'pipe', 3, 4, 5, 6, 7, 8]);
});

test('LISTEN_FDS counts only when LISTEN_PID is this process (sd_listen_fds)', () => {
  assert.is(listenFdsOf({ LISTEN_FDS: '2', LISTEN_PID: '42' }, 42), 2);
  assert.is(listenFdsOf({ LISTEN_FDS: '2', LISTEN_PID: '43' }, 42), 0);
  assert.is(listenFdsOf({ LISTEN_FDS: 'x', LISTEN_PID: '42' }, 42), 0);
  assert.is(listenFdsOf({}, 42), 0);
});

test('spawn\'s stdio: fds 3.. at the places `at`.., closed places between, nothing over the launch\'s own', () => {
  assert.equal(withPassedFds(['inherit', 'inherit', 'inherit', 'pipe'], undefined), ['inherit', 'inherit', 'inherit', 'pipe']);
  assert.equal(withPassedFds(['inherit', 'inherit', 'inherit', 'pipe'], { count: 2, at: 10 }), ['inherit', 'inherit', 'inherit', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 3, 4]);
  assert.throws(() => withPassedFds(['inherit', 'inherit', 'inherit', 'pipe', 'ignore'], { count: 1, at: 4 }), /overlap/);
});

test('the caller\'s fds: listed by bin/nsbox-runtime up to 9 (node\'s own fill the gaps), else open ones', () => {
  checkPreservedFds(2, '3 4 ');
  assert.throws(() => checkPreservedFds(3, '3 4 '), /--preserve-fds 3: fd 5 is not open/);
  assert.throws(() => checkPreservedFds(1, ''), /fd 3 is not open/);
});

test('the mover (host perl): fds 10, 11 become 3, 4, the same open files, and the carried copies are gone', () => {
  const input = join(tmp, 'in');
  const output = join(tmp, 'out');
  writeFileSync(input, 'from fd 3\n');
  const fds = [openSync(input, 'r'), openSync(output, 'w')];
  const stdio = ['ignore', 'pipe', 'pipe', ...Array(7).fill('ignore'), fds[0]!, fds[1]!] as const;
  const argv = moveFdsArgv({ loader: undefined, files: [] }, { count: 2, at: 10 }).slice(1);
  const r = spawnSync('perl', [...argv, 'sh', '-c', 'cat <&3; echo written >&4; ls /proc/self/fd'], { stdio: [...stdio], encoding: 'utf8' });
  for (const fd of fds) closeSync(fd);
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.split('\n')[0], 'from fd 3');
  assert.equal(readFileSync(output, 'utf8'), 'written\n');
  const open = r.stdout.split('\n').slice(1).filter(Boolean).map(Number);
  assert.ok(!open.includes(10) && !open.includes(11), `carried copies closed: ${open.join(' ')}`);
  assert.ok(open.includes(3) && open.includes(4));
});

test('the mover: a target in use is a set-up failure (125), never a silent extra fd', () => {
  const fd = openSync('/dev/null', 'r');
  const stdio = ['ignore', 'pipe', 'pipe', fd, ...Array(6).fill('ignore'), fd];
  const r = spawnSync('perl', ['-e', MOVE_FDS_PROGRAM, '10', '1', '--', 'true'], { stdio, encoding: 'utf8' });
  closeSync(fd);
  assert.is(r.status, 125);
  assert.match(r.stderr, /cannot pass the preserved fds: fd 3 is taken/);
});

function initInput(rawFile: string, extra: Partial<InitInput> = {}): InitInput {
  const raw = JSON.parse(readFileSync(join(FIXTURES, rawFile), 'utf8')) as Record<string, unknown>;
  const c = parseConfig(raw, '/tmp/bundle');
  return {
    container: c,
    stateDir: '/run/nsbox-runtime/ID',
    fifo: '/run/nsbox-runtime/ID/exec.fifo',
    targets: c.mounts.map((m) => m.destination),
    fileSources: c.mounts.map((m) => m.destination.startsWith('/etc/') || m.destination === '/run/.containerenv'),
    cgroupDirs: [],
    cgroupVersion: 1,
    cgroupRoot: '/sys/fs/cgroup',
    setHostname: true,
    toolbox,
    seccomp: undefined,
    cwd: '/',
    apparmor: false,
    lateFstabs: { withPreload: '/run/nsbox-runtime/ID/late.fstab', withoutPreload: '/run/nsbox-runtime/ID/late-no-preload.fstab' },
    ...extra,
  };
}

test('init: the preserved fds are moved by perl right after setpriv\'s drop in the last exec, after the gate; without the flag no perl there', () => {
  const script = buildInitScript(initInput('podman-default.json', { preservedFds: { count: 2, at: 10 } }));
  assert.equal(spawnSync('sh', ['-n', '-c', script]).status, 0, 'parses as sh');
  const last = script.split('\n').filter((l) => l.startsWith('exec /dev/.nsbox/setpriv'));
  assert.is(last.length, 1, 'one last exec');
  assert.match(last[0]!, /^exec \/dev\/.nsbox\/setpriv [^']* -- \/dev\/.nsbox\/perl -f -e '.*' 10 2 -- \/dev\/.nsbox\/setpriv --bounding-set=\S+ --reuid=\S+ --regid=\S+ [^']* -- \/dev\/.nsbox\/env -i /, 'setpriv, the mover, the user\'s setpriv, then env');
  assert.ok(script.indexOf('read -r _ <&5') < script.indexOf('exec /dev/.nsbox/setpriv'), 'only after start');
  const plain = buildInitScript(initInput('podman-default.json'));
  assert.not.match(plain, /\/dev\/.nsbox\/perl -e/);
});

test('limits: prlimit and oom_score_adj from the host on {box} once the init waits; the init sets rlimits itself only when told', () => {
  const c = parseConfig(JSON.parse(readFileSync(join(FIXTURES, 'podman-default.json'), 'utf8')) as Record<string, unknown>, '/tmp/bundle');
  const p = { ...c.process, oomScoreAdj: -500 };
  assert.equal(processLimitSteps(p).map((s) => [s.kind, s.kind === 'exec' ? s.argv.join(' ') : s.kind === 'write-file' ? `${s.path}=${s.content}` : '']), [
    ['exec', 'prlimit --pid {box} --nofile=20000:20000 --nproc=32768:32768'],
    ['write-file', '/proc/{box}/oom_score_adj=-500'],
  ]);
  assert.equal(processLimitSteps(p, false).map((s) => s.kind), ['write-file'], 'rlimits left to the init');
  assert.equal(processLimitSteps({ ...c.process, rlimits: [], oomScoreAdj: undefined }), []);
  const inside = buildInitScript(initInput('podman-default.json', { rlimits: c.process.rlimits }));
  assert.match(inside, /step prlimit --pid \$\$ --nofile=20000:20000 --nproc=32768:32768/);
  assert.ok(inside.indexOf('step prlimit') < inside.indexOf('echo ready >&3'));
  const outside = buildInitScript(initInput('podman-default.json'));
  assert.not.match(outside, /prlimit|oom_score_adj/, 'the init leaves both to the host');
});

test('exec: the same limits as lines of its host-side shell on itself ($$), each failure a set-up failure on fd 3; run for real (lowering needs no privilege)', () => {
  const c = parseConfig(JSON.parse(readFileSync(join(FIXTURES, 'podman-default.json'), 'utf8')) as Record<string, unknown>, '/tmp/bundle');
  assert.equal(execLimitLines({ ...c.process, rlimits: [], oomScoreAdj: undefined }), [], 'nothing asked: no lines');
  const p = { ...c.process, rlimits: [{ name: 'nofile' as const, soft: 700, hard: 800 }, { name: 'core' as const, soft: 0, hard: 'unlimited' as const }], oomScoreAdj: 900 };
  const lines = execLimitLines(p);
  assert.equal(lines.filter((l) => !l.startsWith('#')), [
    'box=$$',
    'prlimit --pid "${box}" --nofile=700:800 --core=0:unlimited || { echo "failed: set process.rlimits" >&3; exit 125; }',
    'printf \'%s\\n\' 900 > "/proc/${box}/oom_score_adj" || { echo "failed: set process.oomScoreAdj" >&3; exit 125; }',
  ]);
  const lowered = { ...p, rlimits: [{ name: 'nofile' as const, soft: 700, hard: 800 }] };
  const r = spawnSync('sh', ['-c', `${execLimitLines(lowered).join('\n')}\nexec cat /proc/self/limits /proc/self/oom_score_adj`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Max open files\s+700\s+800\s/m, 'the process the shell becomes has the limit');
  assert.match(r.stdout, /\n900\n$/, 'and the score');
  // Above fs.nr_open even root cannot: exit 125 and the reason on fd 3.
  const nrOpen = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8'));
  const bad = spawnSync('sh', ['-c', `${execLimitLines({ ...p, rlimits: [{ name: 'nofile', soft: nrOpen + 1, hard: nrOpen + 1 }], oomScoreAdj: undefined }).join('\n')}\necho ran`, 'sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  assert.is(bad.status, 125);
  assert.is(bad.stdout, '', 'nothing after it ran');
  assert.is((bad.output[3] as unknown as string), 'failed: set process.rlimits\n');
});

test('explain: the steps after the launch take the init\'s pid from the launch\'s fd 3 and parse as sh', () => {
  const text = renderRuntimePlan({
    title: 't',
    steps: [{ kind: 'mkdir', path: '/run/x', why: 'state' }],
    scripts: [{ name: 'outer', why: 'o', text: 'echo "pid $$" >&3; echo ready >&3' }],
    launch: ['/bin/sh', '-c', '$outer'],
    launchWhy: 'launch',
    afterReady: processLimitSteps({ ...parseConfig(JSON.parse(readFileSync(join(FIXTURES, 'podman-default.json'), 'utf8')) as Record<string, unknown>, '/b').process, oomScoreAdj: 5 }),
  });
  assert.equal(spawnSync('sh', ['-n', '-c', text]).status, 0, text);
  assert.match(text, /box=\$\( \{ \/bin\/sh -c "\$outer" 3>&1 1>&9 9>&-; \} \| sed -n/);
  assert.match(text, /prlimit --pid "\$\{box\}" --nofile=20000:20000/);
  assert.match(text, /printf '%s\\n' 5 > "\/proc\/\$\{box\}\/oom_score_adj"/);
  // The capture works: run the launch part with a stand-in for the outer script.
  const r = spawnSync('sh', ['-c', `outer='echo "pid 77" >&3; echo ready >&3'\nexec 9>&1\nbox=$( { /bin/sh -c "$outer" 3>&1 1>&9 9>&-; } | sed -n 's/^pid //p; /^failed: /w /dev/stderr')\necho "box=$box"`], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), 'box=77');
});

test.run();
