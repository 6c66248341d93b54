// Unit tests of `nsbox ns` on a fake /proc tree in a temp dir: comparison, fallback for PID 1, errors, rendering.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NAMESPACES, type NamespaceName } from '../../src/host/namespaces.js';
import type { NamespaceInodes } from '../../src/ns/inodes.js';
import { buildNsReport } from '../../src/ns/ns-report.js';
import { renderNsTable, toNsJson } from '../../src/ns/render-ns.js';
import { NsboxError } from '../../src/errors.js';

const HOST: Readonly<Record<NamespaceName, number>> = {
  mount: 4026531832, uts: 4026531838, ipc: 4026531839, net: 4026531833,
  pid: 4026531836, user: 4026531837, cgroup: 4026531835, time: 4026531834,
};

let root = '';

/** A fake /proc/<pid> with ns links, status, id maps and cgroup. */
function addProcess(pid: number, inodes: Partial<Record<NamespaceName, number>>, extra: { uidMap?: string; status?: string } = {}): void {
  const dir = join(root, String(pid));
  mkdirSync(join(dir, 'ns'), { recursive: true });
  for (const ns of NAMESPACES) {
    const inode = inodes[ns.name];
    if (inode !== undefined) symlinkSync(`${ns.procFile}:[${inode}]`, join(dir, 'ns', ns.procFile));
  }
  writeFileSync(join(dir, 'status'), extra.status ?? 'Name:\tsleep\nCapEff:\t000001ffffffffff\nNoNewPrivs:\t0\n');
  writeFileSync(join(dir, 'uid_map'), extra.uidMap ?? '         0          0 4294967295\n');
  writeFileSync(join(dir, 'gid_map'), extra.uidMap ?? '         0          0 4294967295\n');
  writeFileSync(join(dir, 'cgroup'), '4:memory:/box\n2:cpu,cpuacct:/\n0::/\n');
}

/** Reads inodes from the fake tree, like src/ns/inodes.ts does from /proc. */
function fakeInodes(pid: number): NamespaceInodes {
  const result = {} as Record<NamespaceName, number | undefined>;
  for (const ns of NAMESPACES) {
    try {
      result[ns.name] = Number(/\[(\d+)\]$/.exec(readlinkSync(join(root, String(pid), 'ns', ns.procFile)))![1]);
    } catch {
      result[ns.name] = undefined;
    }
  }
  return result;
}

const input = (pid: number, other?: number) => ({ pid, other, procRoot: root, selfPid: 500, readInodes: fakeInodes });

test.before.each(() => {
  root = mkdtempSync(join(tmpdir(), 'nsbox-ns-unit-'));
  mkdirSync(join(root, 'sys', 'kernel'), { recursive: true });
  writeFileSync(join(root, 'sys', 'kernel', 'cap_last_cap'), '40\n');
});
test.after.each(() => rmSync(root, { recursive: true, force: true }));

test('isolated exactly where the inodes differ, compared with PID 1 by default', () => {
  addProcess(1, HOST);
  addProcess(100, { ...HOST, uts: 4026532001, net: 4026532003 });
  const report = buildNsReport(input(100));
  assert.is(report.otherPid, 1);
  assert.is(report.otherNote, undefined);
  const isolated = report.namespaces.filter((r) => r.state === 'isolated').map((r) => r.namespace);
  assert.equal(isolated, ['uts', 'net']);
  assert.is(report.namespaces.find((r) => r.namespace === 'uts')!.inode, 4026532001);
  assert.is(report.namespaces.find((r) => r.namespace === 'uts')!.otherInode, HOST.uts);
  assert.is(report.namespaces.filter((r) => r.state === 'shared').length, 6);
});

test('an explicit OTHER is used, and a namespace type missing on one side is unavailable', () => {
  addProcess(1, HOST);
  addProcess(100, { ...HOST, time: undefined });
  addProcess(200, { ...HOST, pid: 4026532100 });
  const report = buildNsReport(input(100, 200));
  assert.is(report.otherPid, 200);
  assert.is(report.namespaces.find((r) => r.namespace === 'pid')!.state, 'isolated');
  assert.is(report.namespaces.find((r) => r.namespace === 'time')!.state, 'unavailable');
});

test('PID 1 unreadable and no OTHER: compares with nsbox itself and says so', () => {
  mkdirSync(join(root, '1')); // a /proc/1 whose ns links cannot be read
  addProcess(500, HOST);
  addProcess(100, { ...HOST, ipc: 4026532050 });
  const report = buildNsReport(input(100));
  assert.is(report.otherPid, 500);
  assert.match(report.otherNote ?? '', /PID 1 cannot be read/);
  assert.equal(report.namespaces.filter((r) => r.state === 'isolated').map((r) => r.namespace), ['ipc']);
});

test('a PID that does not exist, or has exited, is a one-line error with exit 125', () => {
  addProcess(1, HOST);
  mkdirSync(join(root, '300')); // zombie: /proc entry without namespaces
  for (const [pid, other, pattern] of [
    [4242, undefined, /^cannot inspect PID 4242: no such process$/],
    [300, undefined, /^cannot inspect PID 300: the process has exited/],
    [1, 4343, /^cannot inspect OTHER_PID 4343: no such process$/],
  ] as const) {
    try {
      buildNsReport(input(pid, other));
      assert.unreachable('no error');
    } catch (error) {
      assert.instance(error, NsboxError);
      assert.is((error as NsboxError).exitCode, 125);
      assert.match((error as Error).message, pattern);
    }
  }
});

test('process details: maps in a user namespace, capabilities, no_new_privs, cgroups', () => {
  addProcess(1, HOST);
  addProcess(100, { ...HOST, user: 4026532200 }, {
    uidMap: '         0     100000      65536\n',
    status: 'Name:\tsh\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n',
  });
  const { process: p } = buildNsReport(input(100));
  assert.ok(p.inUserNamespace);
  assert.equal(p.uidMap, [{ inside: 0, outside: 100000, count: 65536 }]);
  assert.is(p.capabilitySummary, 'none');
  assert.is(p.noNewPrivs, true);
  assert.equal(p.cgroups.map((c) => c.path), ['/box', '/', '/']);
  const table = renderNsTable(buildNsReport(input(100)));
  assert.match(table, /^uid_map\s+0 100000 65536$/m);
  assert.match(table, /^NoNewPrivs\s+1$/m);
  assert.match(table, /^Seccomp\s+2 \(filter, 1 program\)$/m);
  assert.match(table, /^cgroup\s+\/box \(memory\)$/m);
  assert.match(table, /^user\s+4026532200\s+4026531837\s+isolated$/m);
});

test('JSON has stable keys and nulls for what is unknown', () => {
  addProcess(1, { ...HOST, time: undefined });
  addProcess(100, HOST);
  const json = toNsJson(buildNsReport(input(100))) as Record<string, any>;
  assert.equal(Object.keys(json), ['pid', 'other', 'otherNote', 'namespaces', 'process']);
  assert.equal(Object.keys(json.namespaces[0]), ['namespace', 'inode', 'otherInode', 'isolated', 'state']);
  assert.equal(json.namespaces.map((n: any) => n.namespace), ['mount', 'uts', 'ipc', 'net', 'pid', 'user', 'cgroup', 'time']);
  assert.equal(json.namespaces[7], { namespace: 'time', inode: HOST.time, otherInode: null, isolated: false, state: 'unavailable' });
  assert.equal(Object.keys(json.process), ['inUserNamespace', 'uidMap', 'gidMap', 'capEff', 'capabilities', 'noNewPrivs', 'seccomp', 'seccompFilters', 'cgroups', 'limits', 'addresses']);
  assert.is(json.otherNote, null);
  assert.is(JSON.parse(JSON.stringify(json)).pid, 100);
});

test.run();
