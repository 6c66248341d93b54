// Unit: the argv of `nsbox exec` (cgroup join, nsenter, user, capability limits) and of the detached plan.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildHostExecArgv, buildImageExecArgv } from '../../src/lifecycle/exec-argv.js';
import { buildRunPlan } from '../../src/plan/build-run-plan.js';
import { buildBoxDescription } from '../../src/spec/run-flags.js';
import { splitExecWords } from '../../src/commands/exec.js';
import { execCheckScript } from '../../src/lifecycle/exec-check.js';

const FULL = '000001ffffffffff';
const procs = ['/sys/fs/cgroup/pids/x/nsbox-aaaaaaaaaaaa/tasks'];

const TOOLBOX = { loader: 'ld-linux-x86-64.so.2', files: [] };
const TOOLS = { nsenter: '/usr/bin/nsenter', unshare: '/usr/bin/unshare', mount: '/usr/bin/mount', sh: '/bin/sh' };
const LD = ['/dev/.nsbox/ld-linux-x86-64.so.2', '--library-path', '/dev/.nsbox'];
/** A host-root box's check of the command (exec-check.ts), in the box's root, as the command's user: then the command. */
const hostCheck = (label: string, program: string, workdir = '') => ['/bin/sh', '-c', execCheckScript(label, undefined, { enterWorkdir: true }), 'nsbox-exec', program, workdir];

test('host-root box: join the cgroup, then nsenter every namespace, root and cwd of PID 1', () => {
  const argv = buildHostExecArgv({ pid: 42, capBnd: FULL, ownCapBnd: FULL, noNewPrivs: false }, { command: ['ls', '-la'], workdir: undefined, runAs: undefined, cgroupJoinFiles: procs });
  assert.equal(argv.slice(argv.indexOf('nsenter')), ['nsenter', '--target', '42', '--all', '--root', '--wd', '--', 'setpriv', '--pdeathsig', 'KILL', '--', ...hostCheck('box', 'ls'), 'ls', '-la']);
  assert.equal(argv.slice(0, 6), ['setpriv', '--pdeathsig', 'KILL', '--', '/bin/sh', '-c'], 'dies with nsbox, then joins the cgroup');
  assert.ok(argv.includes(procs[0]!));
  // a self-move (0 = the writer: on v1 no RCU wait), not a move by PID
  assert.ok(argv.some((w) => w.includes('echo 0 >"$1"')), argv.join(' '));
});

test('host-root box: -u and -w', () => {
  const argv = buildHostExecArgv({ pid: 7, capBnd: FULL, ownCapBnd: FULL, noNewPrivs: false }, { command: ['id'], label: 'web', workdir: '/srv', runAs: { uid: 1000, gid: 100 }, cgroupJoinFiles: [] });
  assert.equal(argv, ['setpriv', '--pdeathsig', 'KILL', '--', 'nsenter', '--target', '7', '--all', '--root', '--wd', '--setuid', '1000', '--setgid', '100', '--', 'setpriv', '--pdeathsig', 'KILL', '--', ...hostCheck('web', 'id', '/srv'), 'id']);
});

test('host-root box with dropped capabilities and no_new_privs: the same through the host\'s setpriv', () => {
  const argv = buildHostExecArgv({ pid: 9, capBnd: '0000000000040021', ownCapBnd: FULL, noNewPrivs: true }, { command: ['sh'], workdir: undefined, runAs: undefined, cgroupJoinFiles: [] });
  assert.equal(argv, ['setpriv', '--pdeathsig', 'KILL', '--', 'nsenter', '--target', '9', '--all', '--root', '--wd', '--', 'setpriv', '--bounding-set=-all,+chown,+kill,+sys_chroot', '--inh-caps=-all', '--no-new-privs', '--pdeathsig=KILL', '--', ...hostCheck('box', 'sh'), 'sh']);
});

test('image box: read-only nsenter in a private mount namespace, no --root/--wd, then the toolbox\'s setpriv and env', () => {
  const argv = buildImageExecArgv(
    { pid: 9, capBnd: '0000000000040021', ownCapBnd: FULL, noNewPrivs: true },
    { command: ['sh'], workdir: '/srv', runAs: { uid: 5, gid: 6 }, cgroupJoinFiles: [], toolbox: TOOLBOX, env: { PATH: '/bin', LD_PRELOAD: '/x.so' }, tools: TOOLS },
  );
  assert.equal(argv, [
    'setpriv', '--pdeathsig', 'KILL', '--',
    '/usr/bin/unshare', '--mount', '--propagation', 'private', '--',
    '/bin/sh', '-c', 'mount --bind -o ro -- "$0" "$0" || exit 125; exec "$0" "$@"', '/usr/bin/nsenter',
    '--mount=/proc/9/ns/mnt', '--target', '9', '--all', '--',
    // setuid, setgid and setpcap stay until the second setpriv has changed the user
    ...LD, '/dev/.nsbox/setpriv', '--bounding-set=-all,+chown,+kill,+sys_chroot,+setuid,+setgid,+setpcap', '--inh-caps=-all', '--no-new-privs', '--',
    // the user only after the drop: setpriv looks ids up through the box's NSS modules (final-exec.ts)
    ...LD, '/dev/.nsbox/setpriv', '--bounding-set=-all,+chown,+kill,+sys_chroot', '--reuid=5', '--regid=6', '--clear-groups', '--pdeathsig=KILL', '--',
    ...LD, '/dev/.nsbox/env', '-i', '--chdir=/srv', '--', 'PATH=/bin', 'LD_PRELOAD=/x.so',
    'sh',
  ]);
  // the box's environment is only ever an argument of the last env, after the drop
  assert.is(argv.findIndex((w) => w.startsWith('LD_PRELOAD=')) > argv.indexOf('--no-new-privs'), true);
});

test('exec -t: setsid --ctty runs inside the box\'s pid namespace, just before the command (host-root) or the drop (image)', () => {
  const plain = buildHostExecArgv({ pid: 7, capBnd: FULL, ownCapBnd: FULL, noNewPrivs: false }, { command: ['sh'], workdir: undefined, runAs: undefined, cgroupJoinFiles: [], ctty: true });
  assert.equal(plain.slice(plain.indexOf('nsenter')), ['nsenter', '--target', '7', '--all', '--root', '--wd', '--', 'setsid', '--ctty', '--', 'setpriv', '--pdeathsig', 'KILL', '--', ...hostCheck('box', 'sh'), 'sh']);
  const limited = buildHostExecArgv({ pid: 9, capBnd: '0000000000040021', ownCapBnd: FULL, noNewPrivs: true }, { command: ['sh'], workdir: undefined, runAs: undefined, cgroupJoinFiles: [], ctty: true });
  const at = limited.indexOf('setsid');
  assert.ok(at > limited.indexOf('nsenter'), 'setsid runs after nsenter (inside the box)');
  assert.equal(limited.slice(at, at + 4), ['setsid', '--ctty', '--', 'setpriv']);
  const image = buildImageExecArgv({ pid: 9, capBnd: '0000000000040021', ownCapBnd: FULL, noNewPrivs: true }, { command: ['sh'], workdir: undefined, runAs: undefined, cgroupJoinFiles: [], toolbox: TOOLBOX, env: {}, tools: TOOLS, ctty: true });
  const start = image.indexOf('--all') + 2;
  assert.equal(image.slice(start, start + 6), [...LD, '/dev/.nsbox/setsid', '--ctty', '--']);
  assert.equal(image.slice(start + 6, start + 10), [...LD, '/dev/.nsbox/setpriv'], 'the capability drop follows');
});

test('image box: the toolbox\'s sh checks the command as the box\'s user, in its PATH, just before env', () => {
  const toolbox = { ...TOOLBOX, shell: 'dash' };
  const argv = buildImageExecArgv(
    { pid: 9, capBnd: '0000000000040021', ownCapBnd: FULL, noNewPrivs: true },
    { command: ['nosuch', 'x'], label: 'web', workdir: '/srv', runAs: { uid: 5, gid: 6 }, cgroupJoinFiles: [], toolbox, env: { PATH: '/usr/bin:/bin', A: '1' }, tools: TOOLS },
  );
  const check = argv.indexOf('/dev/.nsbox/dash');
  assert.ok(check > argv.indexOf('--reuid=5'), 'after the change of user');
  assert.equal(argv.slice(check - 3, check + 6), [...LD, '/dev/.nsbox/dash', '-c', execCheckScript('web', '/usr/bin:/bin'), 'nsbox-exec', 'nosuch', '/srv']);
  assert.equal(argv.slice(check + 6), [...LD, '/dev/.nsbox/env', '-i', '--chdir=/srv', '--', 'PATH=/usr/bin:/bin', 'A=1', 'nosuch', 'x']);
  assert.match(execCheckScript('web', '/usr/bin:/bin'), /path='\/usr\/bin:\/bin'|path=\/usr\/bin:\/bin/);
  assert.match(execCheckScript('web', '/bin'), /executable file not found in \\\$PATH/);
  assert.match(execCheckScript("it's", undefined), /^box='it'\\''s' /, 'the label is quoted');
  // without a PATH, execvp's default; a toolbox without sh (an older box): env's own message
  assert.ok(buildImageExecArgv({ pid: 9, capBnd: FULL, ownCapBnd: FULL, noNewPrivs: false }, { command: ['ls'], workdir: undefined, runAs: undefined, cgroupJoinFiles: [], toolbox, env: {}, tools: TOOLS }).includes(execCheckScript('box', '/bin:/usr/bin')));
  assert.not.ok(buildImageExecArgv({ pid: 9, capBnd: FULL, ownCapBnd: FULL, noNewPrivs: false }, { command: ['ls'], workdir: undefined, runAs: undefined, cgroupJoinFiles: [], toolbox: TOOLBOX, env: {}, tools: TOOLS }).includes('nsbox-exec'));
});

test('exec words: flags before the box are nsbox\'s, everything after is the command\'s', () => {
  const [args, command] = splitExecWords(['-e', 'A=1', '-w', '/tmp', 'web', 'ls', '-la', '-e', 'x']);
  assert.equal(args.env, ['A=1']);
  assert.is(args.workdir, '/tmp');
  assert.is(args.box, 'web');
  assert.equal(command, ['ls', '-la', '-e', 'x']);
  assert.equal(splitExecWords(['web', '--', 'ls'])[1], ['ls']);
  assert.throws(() => splitExecWords([]), /missing box/);
});

test('detached plan: a supervisor in its own session, the box dying with it, log and exit files, no wait step', () => {
  const spec = buildBoxDescription({ pid: true }, ['sleep', '1'], { interactive: false, hostEnv: {} });
  const plan = buildRunPlan(spec, 't', { detach: { log: '/s/log', exitFile: '/s/exit' } });
  const launch = plan.steps.find((s) => s.kind === 'launch' && s.as === 'box');
  assert.ok(launch && launch.kind === 'launch');
  assert.equal(launch.argv.slice(-6, -4), ['setsid', '--']);
  assert.match(launch.argv.at(-1)!, /^nsbox-supervisor [0-9a-f]{12}$/);
  assert.is(launch.supervised, true);
  const chain = launch.argv.find((w) => w.startsWith('NSBOX_BOX='));
  assert.match(chain ?? '', /^NSBOX_BOX=setpriv --pdeathsig KILL -- unshare /, 'the box dies with its supervisor, not with nsbox');
  assert.equal(launch.detach, { log: '/s/log', exitFile: '/s/exit' });
  assert.not.ok(plan.steps.some((s) => s.kind === 'wait'));
  assert.match(plan.scripts.find((s) => s.name === 'supervisor')!.text, /echo "\$status" >&4/);
  // without --pid, a detached box still gets a reaper to record its exit
  const plain = buildRunPlan(buildBoxDescription({}, ['true'], { interactive: false, hostEnv: {} }), 't', { detach: { log: '/l', exitFile: '/e' } });
  assert.ok(plain.scripts.some((s) => s.name === 'reaper'));
  // the foreground plan is unchanged
  const fg = buildRunPlan(spec, 't');
  assert.ok(fg.steps.some((s) => s.kind === 'wait'));
  assert.ok(fg.steps.some((s) => s.kind === 'launch' && s.argv.includes('--pdeathsig')));
});

test('exec -d: nothing dies with nsbox (no parent-death signal anywhere), and the check says when the command was found, then gives it /dev/null', () => {
  const facts = { pid: 9, capBnd: '0000000000040021', ownCapBnd: FULL, noNewPrivs: true };
  const toolbox = { ...TOOLBOX, shell: 'dash' };
  const request = { command: ['sleep', '9'], workdir: undefined, runAs: undefined, cgroupJoinFiles: [], toolbox, env: {}, tools: TOOLS };
  for (const argv of [buildImageExecArgv(facts, { ...request, detached: true }), buildHostExecArgv(facts, { ...request, detached: true }), buildHostExecArgv({ ...facts, capBnd: FULL, noNewPrivs: false }, { ...request, detached: true })]) {
    assert.not.ok(argv.some((w) => w.includes('pdeathsig')), argv.join(' '));
    const script = argv.find((w) => w.includes('nsbox-exec-started'));
    assert.ok(script, 'the check writes the mark');
    assert.match(script!, /\) \|\| exit\n(.*\n)?printf '%s\\n' nsbox-exec-started >&2\nexec <\/dev\/null >\/dev\/null 2>&1\nexec "\$@"$/, 'only after the check passed, then /dev/null');
  }
  assert.ok(buildImageExecArgv(facts, request).some((w) => w.includes('pdeathsig')), 'without -d: as before');
  assert.not.ok(buildImageExecArgv(facts, request).some((w) => w.includes('nsbox-exec-started')));
  assert.equal(splitExecWords(['-d', 'web', 'sleep', '-d'])[0].detach, true);
  assert.equal(splitExecWords(['web', 'sleep', '-d'])[0].detach, false, 'the command\'s -d is its own');
});

test.run();
