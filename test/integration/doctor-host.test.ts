// Integration: `nsbox doctor` on this real host; each line must agree with what /proc, /sys and the tools say.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NAMESPACES } from '../../src/host/namespaces.js';

const NSBOX = fileURLToPath(new URL('../../../bin/nsbox', import.meta.url));

interface Check {
  status: 'ok' | 'warn' | 'fail';
  what: string;
  detail: string;
  fix: string | null;
}

function doctor(...args: string[]) {
  const started = Date.now();
  const result = spawnSync(NSBOX, ['doctor', ...args], { encoding: 'utf8' });
  return { ...result, ms: Date.now() - started };
}

const json = doctor('--json');
const report = JSON.parse(json.stdout) as { ok: boolean; checks: Check[] };
const check = (what: string): Check => {
  const found = report.checks.find((c) => c.what === what);
  assert.ok(found, `no check "${what}"`);
  return found!;
};

test('exit code is 1 exactly when a check FAILs, and --json agrees with the text lines', () => {
  const text = doctor();
  const failed = report.checks.some((c) => c.status === 'fail');
  assert.is(json.status, failed ? 1 : 0, json.stderr);
  assert.is(text.status, json.status);
  assert.is(report.ok, !failed);
  const lines = text.stdout.trimEnd().split('\n');
  assert.is(lines.length, report.checks.length);
  lines.forEach((line, i) => {
    const c = report.checks[i]!;
    const label = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' }[c.status];
    const fix = c.status !== 'ok' && c.fix ? ` -> fix: ${c.fix}` : '';
    assert.is(line, `${label} ${c.what}: ${c.detail}${fix}`);
  });
});

test('one line per namespace type, ok exactly when /proc/self/ns has it', () => {
  for (const ns of NAMESPACES) {
    assert.is(check(`namespace ${ns.name}`).status, existsSync(`/proc/self/ns/${ns.procFile}`) ? 'ok' : 'fail', ns.name);
  }
});

test('the user namespace limit is the value in /proc/sys/user/max_user_namespaces', () => {
  const path = '/proc/sys/user/max_user_namespaces';
  if (!existsSync(path)) return;
  const value = Number(readFileSync(path, 'utf8'));
  const c = check('user namespaces limit');
  assert.is(c.status, value > 0 ? 'ok' : 'fail');
  assert.ok(c.detail.includes(`= ${value}`), c.detail);
});

test('the cgroup version agrees with the filesystem at /sys/fs/cgroup (stat -f) and the cgroup mounts', () => {
  const fsType = spawnSync('stat', ['-f', '-c', '%T', '/sys/fs/cgroup'], { encoding: 'utf8' }).stdout.trim();
  const mounts = readFileSync('/proc/mounts', 'utf8');
  const hasV1 = / cgroup /.test(mounts);
  const hasV2 = / cgroup2 /.test(mounts);
  const expected = fsType === 'cgroup2fs' ? 'v2' : hasV1 && hasV2 ? 'hybrid' : hasV1 ? 'v1' : 'none';
  const version = check('cgroup version');
  assert.ok(version.detail.startsWith(`${expected} `) || (expected === 'none' && version.status === 'fail'), version.detail);
  if (hasV1) {
    const memoryMounted = /^cgroup \S+ cgroup \S*\bmemory\b/m.test(mounts);
    assert.is(check('cgroup v1 controllers').detail.split(' ').includes('memory'), memoryMounted);
  }
});

test('overlayfs is ok exactly when /proc/filesystems lists it', () => {
  const listed = /\toverlay$/m.test(readFileSync('/proc/filesystems', 'utf8'));
  assert.is(check('overlayfs').status === 'ok', listed);
});

test('each tool line carries the version the tool itself prints', () => {
  // Both are tools nsbox needs (CI installs them): their version must be checked, never skipped.
  const unshare = spawnSync('unshare', ['--version'], { encoding: 'utf8' });
  assert.is(unshare.status, 0, `unshare --version: ${unshare.stderr}`);
  const version = /util-linux [\d.]+/.exec(unshare.stdout)![0];
  assert.ok(check('tool unshare').detail.startsWith(version), check('tool unshare').detail);
  const ip = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  assert.is(ip.status, 0, `ip -V: ${ip.stderr}`);
  assert.ok(check('tool ip').detail.includes(/iproute2-[\w.]+/.exec(ip.stdout)![0]), check('tool ip').detail);
  for (const name of ['unshare', 'nsenter', 'setpriv', 'lsns', 'prlimit', 'mount', 'hostname', 'ip']) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
    assert.is(check(`tool ${name}`).status, found ? 'ok' : 'fail', name);
  }
});

test('fast: the version probes run in parallel (well under 2 s)', () => {
  assert.ok(json.ms < 2000, `took ${json.ms} ms`);
});

test('unknown flags: a one-line error naming the flag (and at most a hint line), exit 125', () => {
  const result = doctor('--bogus');
  assert.is(result.status, 125);
  const [error, ...rest] = result.stderr.trim().split('\n');
  assert.is(error, 'nsbox: unknown flag --bogus for nsbox doctor', result.stderr);
  assert.ok(rest.length <= 1 && rest.every((l) => l.startsWith('nsbox: hint: ')), result.stderr);
});

test.run();
