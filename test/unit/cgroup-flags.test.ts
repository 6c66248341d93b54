// Unit tests of the resource-limit flags: every bad input of issue 3 is a one-line NsboxError naming the flag;
// valid sizes give exact byte counts.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NsboxError } from '../../src/errors.js';
import { cgroupRequestFromFlags, parseCgroupParent } from '../../src/cgroup/flags.js';
import { parseSize, formatSize } from '../../src/cgroup/size.js';
import { parseCpuList, formatCpuList } from '../../src/cgroup/cpu-list.js';

const TWO_CPUS = () => ({ online: [0, 1] });
const request = (args: Record<string, unknown>, env: Record<string, string> = {}) => cgroupRequestFromFlags(args, env, TWO_CPUS);

function rejects(args: Record<string, unknown>, flag: string): void {
  try {
    request(args);
  } catch (error) {
    assert.instance(error, NsboxError);
    const message = (error as Error).message;
    assert.ok(message.includes(flag), `"${message}" should name ${flag}`);
    assert.not.ok(message.includes('\n'), 'one line');
    assert.is((error as NsboxError).exitCode, 125);
    return;
  }
  assert.unreachable(`${JSON.stringify(args)} should be rejected`);
}

test('no limit and no parent: no cgroup at all', () => {
  assert.is(request({}), undefined);
  assert.is(request({}, { NSBOX_CGROUP_PARENT: 'x' }), undefined);
});

test('bad --memory values from the issue', () => {
  for (const value of ['', '-1', '12bogus', '1.5.5m', '0x10', '18446744073709551616', '5m', '6291455', '0', '1e9', 'm', '100 mb x']) {
    rejects({ memory: value }, '--memory');
  }
});

test('valid sizes give exact bytes', () => {
  const cases: [string, number][] = [
    ['6m', 6291456], ['100m', 104857600], ['100M', 104857600], ['100mb', 104857600], ['100MiB', 104857600],
    ['1g', 1073741824], ['1.5g', 1610612736], ['6291456', 6291456], ['8192k', 8388608], ['0.5g', 536870912],
    ['1.1g', 1181116006], ['2t', 2199023255552], ['7340032b', 7340032],
  ];
  for (const [text, bytes] of cases) assert.is(request({ memory: text })!.memoryBytes, bytes, text);
});

test('parseSize floors fractions exactly and formatSize shortens', () => {
  const r = parseSize('0.3k');
  assert.ok(r.ok && r.bytes === 307n);
  assert.is(formatSize(104857600), '100M');
  assert.is(formatSize(104443904), '99.6M');
  assert.is(formatSize(1536), '1.5K');
  assert.is(formatSize(512), '512B');
  assert.is(formatSize(2 ** 30), '1G');
});

test('--memory-swap: -1, totals, and its bad values', () => {
  assert.is(request({ memory: '100m', 'memory-swap': '-1' })!.memorySwapBytes, 'unlimited');
  assert.is(request({ memory: '100m', 'memory-swap': '200m' })!.memorySwapBytes, 209715200);
  assert.is(request({ memory: '100m' })!.memorySwapBytes, undefined);
  rejects({ 'memory-swap': '200m' }, '--memory-swap');
  rejects({ memory: '100m', 'memory-swap': '50m' }, '--memory-swap');
  rejects({ memory: '100m', 'memory-swap': 'lots' }, '--memory-swap');
});

test('--cpus: 0, negative, more than the host has', () => {
  for (const value of ['0', '-1', '-0.5', '3', '2.01', 'abc', '', '0.001', '1/2']) rejects({ cpus: value }, '--cpus');
  const r = request({ cpus: '0.5' })!;
  assert.is(r.cpuQuotaUs, 50000);
  assert.is(r.cpuPeriodUs, 100000);
  assert.is(request({ cpus: '2' })!.cpuQuotaUs, 200000);
  assert.is(request({ cpus: '.25' })!.cpuQuotaUs, 25000);
});

test('--pids-limit: abc and -2 rejected, a count accepted', () => {
  for (const value of ['abc', '-2', '0', '1.5', '', '4194305']) rejects({ 'pids-limit': value }, '--pids-limit');
  assert.is(request({ 'pids-limit': '20' })!.pidsLimit, 20);
});

test('--cpu-shares range', () => {
  for (const value of ['1', '262145', 'x', '-5']) rejects({ 'cpu-shares': value }, '--cpu-shares');
  assert.is(request({ 'cpu-shares': '512' })!.cpuShares, 512);
});

test('--cpuset-cpus: a CPU that does not exist, bad syntax; canonical form', () => {
  for (const value of ['2', '0-2', '7', 'a', '1-0', '', '0,,1']) rejects({ 'cpuset-cpus': value }, '--cpuset-cpus');
  assert.is(request({ 'cpuset-cpus': '1,0' })!.cpusetCpus, '0-1');
  assert.equal(parseCpuList('0-2,4,6-7'), [0, 1, 2, 4, 6, 7]);
  assert.is(formatCpuList([0, 1, 2, 4, 6, 7]), '0-2,4,6-7');
});

test('a flag given twice is rejected', () => {
  rejects({ memory: ['100m', '200m'] }, '--memory');
});

test('--cgroup-parent: default, env, self-relative, and escapes rejected', () => {
  const viaFlag = request({ 'cgroup-parent': '/a/b/' })!;
  assert.equal([viaFlag.parent, viaFlag.parentBase, viaFlag.memoryBytes], ['a/b', 'root', undefined]);
  assert.equal([request({ memory: '8m' })!.parent, request({ memory: '8m' })!.parentBase], ['nsbox', 'root']);
  const fromEnv = request({ memory: '8m' }, { NSBOX_CGROUP_PARENT: './tests' })!;
  assert.equal([fromEnv.parent, fromEnv.parentBase], ['tests', 'self']);
  assert.equal(parseCgroupParent('.'), { parent: '', parentBase: 'self' });
  assert.equal(parseCgroupParent('/'), { parent: '', parentBase: 'root' });
  for (const bad of ['..', '../x', 'a/../../b', './..', 'a/./b', 'a//b', '', 'a b', 'memory.max', 'x/tasks', 'a\nb', '.hidden']) {
    rejects({ 'cgroup-parent': bad }, '--cgroup-parent');
  }
  try {
    request({ memory: '8m' }, { NSBOX_CGROUP_PARENT: '../up' });
    assert.unreachable('env parent escaping');
  } catch (error) {
    assert.match((error as Error).message, /NSBOX_CGROUP_PARENT/);
  }
});

test.run();
