// Unit tests of the /proc parsers behind `nsbox ns`: capabilities, id maps, status fields, cgroup lines, PID arguments.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCapabilities, summarizeCapabilities } from '../../src/ns/cap-names.js';
import { parseIdMap, isIdentityMap, formatIdMap } from '../../src/ns/id-map.js';
import { parseProcStatus } from '../../src/ns/proc-status.js';
import { parseProcCgroup } from '../../src/ns/proc-cgroup.js';
import { parsePidArgument } from '../../src/ns/parse-pid.js';
import { NsboxError } from '../../src/errors.js';

test('decodeCapabilities reads each set bit as a name', () => {
  assert.equal(decodeCapabilities('0000000000000000'), []);
  assert.equal(decodeCapabilities('0000000000000001'), ['cap_chown']);
  assert.equal(decodeCapabilities('0000000000200000'), ['cap_sys_admin']);
  assert.equal(decodeCapabilities('000001ffffffffff').length, 41);
  assert.equal(decodeCapabilities('0000040000000000'), ['cap_42']);
  assert.throws(() => decodeCapabilities('zz'));
});

test('summarizeCapabilities: none, all, all except, a list', () => {
  assert.is(summarizeCapabilities([], 40), 'none');
  assert.is(summarizeCapabilities(decodeCapabilities('000001ffffffffff'), 40), 'all 41');
  assert.is(summarizeCapabilities(decodeCapabilities('000001fffeffffff'), 40), 'all except cap_sys_resource');
  assert.is(summarizeCapabilities(decodeCapabilities('0000000000003000'), 40), 'cap_net_admin, cap_net_raw');
});

test('parseIdMap reads the kernel format and spots the initial namespace', () => {
  const initial = parseIdMap('         0          0 4294967295\n');
  assert.equal(initial, [{ inside: 0, outside: 0, count: 4294967295 }]);
  assert.ok(isIdentityMap(initial));
  const mapped = parseIdMap('         0       1000          1\n         1     100000      65536\n');
  assert.equal(mapped, [
    { inside: 0, outside: 1000, count: 1 },
    { inside: 1, outside: 100000, count: 65536 },
  ]);
  assert.not.ok(isIdentityMap(mapped));
  assert.is(formatIdMap(mapped), '0 1000 1, 1 100000 65536');
  assert.equal(parseIdMap(''), []);
  assert.not.ok(isIdentityMap([]));
  assert.throws(() => parseIdMap('0 1000\n'), /malformed/);
});

test('parseProcStatus picks CapEff, NoNewPrivs and Seccomp', () => {
  const status = 'Name:\tsleep\nState:\tS (sleeping)\nCapInh:\t0000000000000000\nCapEff:\t00000000a80425fb\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n';
  assert.equal(parseProcStatus(status), { capEff: '00000000a80425fb', noNewPrivs: true, seccomp: 2, seccompFilters: 1 });
  assert.equal(parseProcStatus('Name:\tx\nNoNewPrivs:\t0\nSeccomp:\t0\n'), { capEff: undefined, noNewPrivs: false, seccomp: 0, seccompFilters: undefined });
  assert.equal(parseProcStatus('Name:\told-kernel\n'), { capEff: undefined, noNewPrivs: undefined, seccomp: undefined, seccompFilters: undefined });
});

test('parseProcCgroup reads v1 hierarchies and the v2 line, paths with colons intact', () => {
  const text = '9:name=systemd:/\n4:memory:/box/a:b\n2:cpu,cpuacct:/x\n0::/user.slice\n';
  assert.equal(parseProcCgroup(text), [
    { hierarchy: 9, controllers: ['name=systemd'], path: '/' },
    { hierarchy: 4, controllers: ['memory'], path: '/box/a:b' },
    { hierarchy: 2, controllers: ['cpu', 'cpuacct'], path: '/x' },
    { hierarchy: 0, controllers: [], path: '/user.slice' },
  ]);
  assert.throws(() => parseProcCgroup('garbage\n'), /malformed/);
});

test('parsePidArgument accepts positive integers and rejects the rest with exit 125', () => {
  assert.is(parsePidArgument('1', 'PID'), 1);
  assert.is(parsePidArgument(4242, 'PID'), 4242);
  for (const bad of ['0', '-1', 'abc', '12x', '', '1.5', '99999999']) {
    try {
      parsePidArgument(bad, 'PID');
      assert.unreachable(`accepted ${bad}`);
    } catch (error) {
      assert.instance(error, NsboxError);
      assert.is((error as NsboxError).exitCode, 125);
      assert.match((error as Error).message, /^invalid PID /);
      assert.not.match((error as Error).message, /\n/);
    }
  }
});

test.run();
