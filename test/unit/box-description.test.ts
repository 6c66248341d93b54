// Flags -> BoxDescription: namespaces implied by other flags, id maps, env, hostname, run-as, and every bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { buildBoxDescription } from '../../src/spec/run-flags.js';
import { parseIdMap } from '../../src/spec/id-map.js';
import { validateHostname } from '../../src/spec/hostname.js';
import { rewriteUserFlag } from '../../src/spec/user-flag.js';
import { splitCommandLine } from '../../src/spec/command-line.js';
import { RUN_OPTIONS } from '../../src/spec/run-flags.js';
import { NsboxError } from '../../src/errors.js';

const spec = (args: Record<string, unknown>, argv = ['true']) => buildBoxDescription(args, argv, { interactive: false, hostEnv: { HOME: '/root', TERM: 'xterm' } });

function throwsNsbox(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (error) {
    assert.instance(error, NsboxError);
    assert.is((error as NsboxError).exitCode, 125);
    assert.match((error as Error).message, pattern);
    assert.not.match((error as Error).message, /\n/);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

test('only the namespaces asked for', () => {
  assert.equal(spec({}).namespaces, []);
  assert.equal(spec({ uts: true, net: true }).namespaces, ['uts', 'net']);
  assert.equal(spec({ all: true }).namespaces, ['mount', 'uts', 'ipc', 'net', 'pid', 'user', 'cgroup', 'time']);
});

test('a user namespace without a map maps the caller to root (like unshare -r)', () => {
  assert.equal(spec({ user: true }).idMapping, { kind: 'root-user' });
  assert.equal(spec({ all: true }).idMapping, { kind: 'root-user' });
  assert.equal(spec({ user: true, 'map-current-user': true }).idMapping, { kind: 'current-user' });
  assert.equal(spec({ uts: true }).idMapping, { kind: 'none' });
});

test('implied namespaces: --hostname, --mount-proc, id maps', () => {
  assert.equal(spec({ hostname: 'demo' }).namespaces, ['uts']);
  assert.equal(spec({ 'mount-proc': true }).namespaces, ['mount', 'pid']);
  assert.equal(spec({ 'map-root-user': true }).namespaces, ['user']);
  assert.equal(spec({ 'uid-map': ['0:100000:65536'] }).namespaces, ['user']);
});

test('uid map without gid map uses the same ranges for groups', () => {
  const s = spec({ 'uid-map': ['0:100000:65536'] });
  assert.equal(s.idMapping, { kind: 'explicit', uid: [{ inside: 0, outside: 100000, count: 65536 }], gid: [{ inside: 0, outside: 100000, count: 65536 }] });
});

test('bad id maps', () => {
  throwsNsbox(() => parseIdMap('--uid-map', ['0:100000']), /--uid-map.*INNER:OUTER:COUNT/);
  throwsNsbox(() => parseIdMap('--uid-map', ['a:b:c']), /--uid-map/);
  throwsNsbox(() => parseIdMap('--uid-map', ['0:100000:0']), /COUNT must be at least 1/);
  throwsNsbox(() => parseIdMap('--uid-map', ['-1:100000:5']), /--uid-map/);
  throwsNsbox(() => parseIdMap('--uid-map', ['0:4294967290:100']), /largest id/);
  throwsNsbox(() => parseIdMap('--uid-map', ['0:1000:10', '5:2000:10']), /overlap inside/);
  throwsNsbox(() => parseIdMap('--uid-map', ['0:1000:10', '100:1005:10']), /overlap on the host/);
  throwsNsbox(() => spec({ 'map-root-user': true, 'uid-map': ['0:1:1'] }), /choose one way/);
  throwsNsbox(() => spec({ 'gid-map': ['0:1:1'] }), /needs --uid-map/);
  assert.equal(parseIdMap('--uid-map', ['0:1000:10', '10:2000:10']).length, 2);
});

test('hostnames', () => {
  assert.is(validateHostname('box-1.example'), 'box-1.example');
  assert.is(validateHostname('a'.repeat(63)), 'a'.repeat(63));
  throwsNsbox(() => validateHostname('a'.repeat(65)), /longer than 64 bytes/);
  throwsNsbox(() => validateHostname(''), /empty/);
  for (const bad of ['bad_name', '-lead', 'trail-', 'a..b', 'sp ace', 'semi;colon', 'ünï']) throwsNsbox(() => validateHostname(bad), /--hostname/);
});

test('env: -e KEY=VAL, bare KEY copies, env files, later wins', () => {
  const dir = mkdtempSync(`${tmpdir()}/nsbox-env-`);
  try {
    writeFileSync(`${dir}/env`, '# comment\n\nA=from-file\nB=b=with=equals\nTERM\n');
    const s = spec({ env: ['A=from-flag', 'HOME', 'UNSET_VAR', 'EMPTY='], 'env-file': [`${dir}/env`] });
    assert.equal(s.process.env, { A: 'from-flag', B: 'b=with=equals', TERM: 'xterm', HOME: '/root', EMPTY: '' });
    throwsNsbox(() => spec({ 'env-file': [`${dir}/missing`] }), /cannot read --env-file .*no such file/);
    throwsNsbox(() => spec({ env: ['1BAD=x'] }), /-e/);
    throwsNsbox(() => spec({ env: ['=x'] }), /-e/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('argv is kept exactly, and a missing command is an error', () => {
  assert.equal(spec({}, ['sh', '-c', 'echo "$1"', 'x', 'a b', '', '--flag']).process.argv, ['sh', '-c', 'echo "$1"', 'x', 'a b', '', '--flag']);
  throwsNsbox(() => spec({}, []), /missing command/);
});

test('run-as and workdir', () => {
  assert.equal(spec({ 'run-as': '1000:1001' }).process.runAs, { uid: 1000, gid: 1001 });
  assert.equal(spec({ 'run-as': 'root' }).process.runAs, { uid: 0, gid: 0 });
  throwsNsbox(() => spec({ 'run-as': 'no-such-user-here' }), /--user.*no user/);
  throwsNsbox(() => spec({ workdir: 'relative' }), /--workdir.*absolute/);
  throwsNsbox(() => spec({ init: true }), /--init.*needs --pid/);
});

test('--user: bare is the namespace, with a value it is who runs the command', () => {
  assert.equal(rewriteUserFlag(['--user', '--pid']), ['--user', '--pid']);
  assert.equal(rewriteUserFlag(['--user', '1000:1000', '--pid']), ['--run-as', '1000:1000', '--pid']);
  assert.equal(rewriteUserFlag(['--user=nobody']), ['--run-as=nobody']);
  assert.equal(rewriteUserFlag(['--', '--user=x']), ['--', '--user=x']);
  assert.equal(rewriteUserFlag(['--user', 'sh']), ['--user', 'sh']);
  // run: host-root commands come after --, so a word after --user is its value (Docker's --user alice busybox id).
  assert.equal(rewriteUserFlag(['--user', 'alice', 'busybox', 'id'], 'run'), ['--run-as', 'alice', 'busybox', 'id']);
  assert.equal(rewriteUserFlag(['--user', 'alice:staff', '--', 'id'], 'run'), ['--run-as', 'alice:staff', '--', 'id']);
  assert.equal(rewriteUserFlag(['--user', '--pid', '--', 'id'], 'run'), ['--user', '--pid', '--', 'id']);
  assert.equal(rewriteUserFlag(['--user', '--', 'id'], 'run'), ['--user', '--', 'id']);
  assert.equal(rewriteUserFlag(['--userns', 'busybox'], 'run'), ['--userns', 'busybox']);
});

test('the command starts at the first non-flag word or after --', () => {
  assert.equal(splitCommandLine(['--uts', 'sh', '-c', 'x'], RUN_OPTIONS), [['--uts'], ['sh', '-c', 'x'], false]);
  assert.equal(splitCommandLine(['--hostname', 'h', '-e', 'A=1', 'ls', '-l'], RUN_OPTIONS), [['--hostname', 'h', '-e', 'A=1'], ['ls', '-l'], false]);
  assert.equal(splitCommandLine(['--hostname=h', '--', '--not-a-flag'], RUN_OPTIONS), [['--hostname=h'], ['--not-a-flag'], true]);
  assert.equal(splitCommandLine(['--pid'], RUN_OPTIONS), [['--pid'], [], false]);
});

test.run();
