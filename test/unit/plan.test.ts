// Plans as data: order of steps, what each runs, and golden --explain scripts (fixtures/plans/*.sh).
// UPDATE_GOLDEN=1 npm run test:unit rewrites the golden files; review the diff like any code change.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { buildBoxDescription } from '../../src/spec/run-flags.js';
import { buildRunPlan } from '../../src/plan/build-run-plan.js';
import { renderShell } from '../../src/plan/render-shell.js';
import type { BoxDescription } from '../../src/spec/box-description.js';

const ID = '0123456789abcdef'.repeat(4);
const make = (args: Record<string, unknown>, argv: string[]): BoxDescription => ({ ...buildBoxDescription(args, argv, { interactive: false, hostEnv: {} }), id: ID });

function golden(name: string, text: string): void {
  const path = `fixtures/plans/${name}.sh`;
  if (process.env.UPDATE_GOLDEN || !existsSync(path)) writeFileSync(path, text);
  assert.fixture(text, readFileSync(path, 'utf8'));
}

test('uts + hostname: launch gated, check, set hostname from outside, release, wait', () => {
  const plan = buildRunPlan(make({ hostname: 'demo' }, ['hostname']), 'nsbox run --hostname demo -- hostname');
  assert.equal(plan.steps.map((s) => s.kind), ['launch', 'await-namespaces', 'exec', 'release', 'wait']);
  const launch = plan.steps[0]!;
  assert.ok(launch.kind === 'launch' && launch.gated);
  if (launch.kind === 'launch') {
    assert.equal(launch.argv, ['env', 'NSBOX_INIT={script:init}', 'setsid', '--', 'setpriv', '--pdeathsig', 'KILL', '--', 'unshare', '--uts', '--', '/bin/sh', '-c', 'eval "$NSBOX_INIT"', 'nsbox-init', 'hostname']);
  }
  const exec = plan.steps[2]!;
  assert.ok(exec.kind === 'exec');
  if (exec.kind === 'exec') assert.equal(exec.argv, ['nsenter', '--target', '{box}', '--uts', '--', 'hostname', 'demo']);
  golden('uts-hostname', renderShell(plan));
});

test('newlines in the title, a why or a script (even a "NSBOX_EOF" line) keep the script valid sh', () => {
  const argv = ['sh', '-c', 'echo a\necho b'];
  const plan = buildRunPlan(make({ pid: true, env: ['X=1\nNSBOX_EOF\necho injected'] }, argv), "nsbox run --pid -- sh -c 'echo a\necho b'");
  const text = renderShell(plan);
  assert.match(text, /^# nsbox run --pid -- sh -c 'echo a\n# echo b'$/m);
  assert.match(text, /<<'NSBOX_EOF_1'$/m);
  const check = spawnSync('sh', ['-n'], { input: text, encoding: 'utf8' });
  assert.is(check.status, 0, check.stderr);
});

test('pid namespace: a reaper outside, the init as PID 1, proc mounted inside', () => {
  const plan = buildRunPlan(make({ 'mount-proc': true }, ['ps', 'ax']), 'nsbox run --mount-proc -- ps ax');
  assert.equal(plan.scripts.map((s) => s.name), ['reaper', 'init']);
  const launch = plan.steps.find((s) => s.kind === 'launch');
  assert.ok(launch && launch.kind === 'launch');
  if (launch?.kind === 'launch') {
    assert.ok(launch.argv.includes('--propagation'));
    assert.equal(launch.argv.slice(0, 3), ['env', 'NSBOX_REAPER={script:reaper}', 'NSBOX_INIT={script:init}'], 'the scripts travel in the environment');
    assert.equal(launch.argv.slice(-4), ['eval "$NSBOX_REAPER"', 'nsbox-reaper 0123456789ab', 'ps', 'ax'], 'the reaper\'s title names it and the box');
  }
  assert.match(plan.scripts[1]!.text, /step mount -t proc -o nosuid,nodev,noexec proc \/proc/);
  golden('mount-proc', renderShell(plan));
});

test('nothing set up from outside: the init\'s steps (ip beside mount) come before its gate, which the reaper leaves to it; any outside step keeps the gate first', () => {
  const lines = (text: string) => text.split('\n').filter((l) => !l.startsWith('#'));
  const early = buildRunPlan(make({ pid: true, net: true, 'mount-proc': true }, ['true']), 'nsbox run --pid --net --mount-proc -- true');
  assert.equal(lines(early.scripts.find((s) => s.name === 'init')!.text).slice(2), [
    'ip link set lo up 2>&3 & lo=$!',
    'step mount -t proc -o nosuid,nodev,noexec proc /proc',
    'wait "$lo" || { echo "failed: ip link set lo up" >&3; exit 125; }  # as step would report it',
    'echo ready >&3',
    'until read -r word <&3 || exit 125; [ "$word" = go ]; do :; done',
    'exec "$@" 3>&-',
  ]);
  assert.not.match(early.scripts.find((s) => s.name === 'reaper')!.text, /<&3/);
  assert.equal(early.steps.map((s) => s.kind), ['launch', 'await-namespaces', 'release', 'wait']);
  assert.ok(early.steps.some((s) => s.kind === 'release' && s.closesGate === true));
  // Its script's release never waits for a reader: the box may have failed a step and ended just after the check.
  const release = renderShell(early).split('\n').find((l) => l.startsWith('echo go '))!;
  const alone = spawnSync('sh', ['-c', `d=$(mktemp -d); gate=$d/gate; mkfifo "$gate"; ${release}; rm -r "$d"; echo released`], { encoding: 'utf8', timeout: 5000 });
  assert.is(alone.stdout, 'released\n', `${release}: ${alone.error ?? alone.stderr}`);
  // ip alone: no job beside it; without a pid namespace the init is the box's first shell, the same order.
  assert.equal(lines(buildRunPlan(make({ net: true }, ['true']), 't').scripts.find((s) => s.name === 'init')!.text).slice(2, 5), ['step ip link set lo up', 'echo ready >&3', 'until read -r word <&3 || exit 125; [ "$word" = go ]; do :; done']);
  // A step from outside (the hostname, a limit, a cgroup): the gate comes first, as before, and nsbox keeps its end.
  for (const args of [{ hostname: 'h' }, { ulimit: ['nofile=64'] }, { memory: '100m' }]) {
    const plan = buildRunPlan(make({ pid: true, net: true, 'mount-proc': true, ...args }, ['true']), 't');
    const reaper = plan.scripts.find((s) => s.name === 'reaper')!.text;
    assert.match(reaper, /^read -r _ <&3 \|\| exit 125$/m, JSON.stringify(args));
    assert.not.match(plan.scripts.find((s) => s.name === 'init')!.text, /echo ready|<&3/, JSON.stringify(args));
    assert.not.ok(plan.steps.some((s) => s.kind === 'release' && s.closesGate), JSON.stringify(args));
  }
});

test('explicit id maps: a holder owns the user namespace, root writes the maps, nsenter joins it', () => {
  const plan = buildRunPlan(make({ 'uid-map': ['0:100000:65536'], 'gid-map': ['0:100000:65536'], net: true }, ['id']), 'nsbox run --uid-map 0:100000:65536 --net -- id');
  assert.equal(plan.steps.map((s) => s.kind), ['launch', 'await-namespaces', 'write-file', 'write-file', 'launch', 'await-namespaces', 'kill', 'release', 'wait']);
  const write = plan.steps[2]!;
  assert.ok(write.kind === 'write-file' && write.path === '/proc/{holder}/uid_map' && write.content === '0 100000 65536\n');
  const box = plan.steps[4]!;
  assert.is(box.kind, 'launch', 'step 5 launches the box');
  if (box.kind === 'launch') {
    assert.equal(box.argv.slice(0, 13), ['env', 'NSBOX_INIT={script:init}', 'setsid', '--', 'nsenter', '--target', '{holder}', '--user', '--', 'setpriv', '--pdeathsig', 'KILL', '--']);
    assert.not.ok(box.argv.includes('--user') && box.argv.indexOf('--user', 11) !== -1, 'unshare must not make a second user namespace');
  }
  golden('uid-map-net', renderShell(plan));
});

test('process: env, workdir, run-as and --init shape the init script; argv stays separate words', () => {
  const plan = buildRunPlan(make({ pid: true, init: true, env: ['A=1 2'], workdir: '/tmp', 'run-as': '1000:1000' }, ['sh', '-c', 'echo "$A"']), 'nsbox run ...');
  const init = plan.scripts.find((s) => s.name === 'init')!.text;
  assert.match(init, /step cd \/tmp/);
  assert.match(init, /setpriv --reuid=1000 --regid=1000 --clear-groups --pdeathsig KILL -- env 'A=1 2' "\$@" <&4 4<&- 3>&- &/);
  const launch = plan.steps.find((s) => s.kind === 'launch');
  assert.ok(launch?.kind === 'launch', 'the plan has a launch step');
  if (launch?.kind === 'launch') assert.equal(launch.argv.slice(-3), ['sh', '-c', 'echo "$A"']);
  golden('init-env-workdir-user', renderShell(plan));
});

test('map-root-user and map-auto are unshare flags', () => {
  const root = buildRunPlan(make({ 'map-root-user': true }, ['id']), 't').steps[0]!;
  assert.is(root.kind, 'launch', 'map-root-user: the first step launches the box');
  if (root.kind === 'launch') assert.ok(root.argv.includes('--map-root-user') && root.argv.includes('--user'));
  const auto = buildRunPlan(make({ 'map-auto': true }, ['id']), 't').steps[0]!;
  assert.is(auto.kind, 'launch', 'map-auto: the first step launches the box');
  if (auto.kind === 'launch') assert.ok(auto.argv.includes('--map-auto') && auto.argv.includes('--setuid'));
});

test.run();
