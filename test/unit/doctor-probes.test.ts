// Unit tests of `nsbox doctor`'s probes on fake hosts in temp dirs: each missing capability gives FAIL/warn and its fix.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NAMESPACES } from '../../src/host/namespaces.js';
import type { ProbeResult } from '../../src/host/probe-types.js';
import { probeHost } from '../../src/host/probe-host.js';
import { parseMounts, detectCgroupLayout } from '../../src/host/probe-cgroup.js';
import { extractVersion, probeTools, DOCTOR_TOOLS } from '../../src/host/probe-tools.js';
import { renderProbeLine, computeDoctorExit, toProbeJson } from '../../src/host/probe-render.js';

const HYBRID_MOUNTS = [
  'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
  'tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0',
  'cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0',
  'cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0',
  'cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0',
  'cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,xattr,name=systemd 0 0',
  'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0',
].join('\n');
const V2_MOUNTS = 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0\n';

let root = '';

function put(path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

/** A healthy host: all namespaces, a user-namespace limit, hybrid cgroups, overlay. */
function buildHealthyHost(): void {
  mkdirSync(join(root, 'proc/self/ns'), { recursive: true });
  for (const ns of NAMESPACES) symlinkSync(`${ns.procFile}:[4026531830]`, join(root, 'proc/self/ns', ns.procFile));
  put('/proc/sys/user/max_user_namespaces', '63000\n');
  put('/proc/mounts', `${HYBRID_MOUNTS}\n`);
  put('/sys/fs/cgroup/unified/cgroup.controllers', '\n');
  put('/proc/filesystems', 'nodev\tsysfs\nnodev\tproc\n\text4\nnodev\toverlay\n');
  put('/proc/sys/kernel/osrelease', '6.1.0-test\n');
}

const allTools = (name: string) => `/usr/bin/${name}`;
const versions = async (path: string, args: readonly string[]) => `${path.split('/').pop()} from util-linux 2.38.1 ${args.join(' ')}\n`;
const probe = (findTool: (n: string) => string | undefined = allTools) => probeHost({ root, findTool, runVersion: versions });
const find = (results: ProbeResult[], what: string) => {
  const found = results.find((r) => r.what === what);
  assert.ok(found, `no result for ${what}`);
  return found!;
};

test.before.each(() => {
  root = mkdtempSync(join(tmpdir(), 'nsbox-doctor-unit-'));
  buildHealthyHost();
});
test.after.each(() => rmSync(root, { recursive: true, force: true }));

test('a healthy host: every line ok, exit 0', async () => {
  const results = await probe();
  assert.equal(results.filter((r) => r.status !== 'ok'), []);
  assert.is(computeDoctorExit(results), 0);
  assert.is(results.filter((r) => r.what.startsWith('namespace ')).length, 8);
  assert.is(find(results, 'user namespaces limit').detail, 'user.max_user_namespaces = 63000');
  assert.match(find(results, 'cgroup version').detail, /^hybrid /);
  assert.is(find(results, 'cgroup v1 controllers').detail, 'cpu memory pids');
  assert.is(find(results, 'tool unshare').detail, 'util-linux 2.38.1 --version (/usr/bin/unshare)');
  assert.is(find(results, 'tool ip').detail, 'util-linux 2.38.1 -V (/usr/bin/ip)');
});

test('max_user_namespaces = 0: FAIL with the sysctl fix, exit 1', async () => {
  put('/proc/sys/user/max_user_namespaces', '0\n');
  const results = await probe();
  const line = find(results, 'user namespaces limit');
  assert.is(line.status, 'fail');
  assert.match(line.fix ?? '', /sysctl -w user\.max_user_namespaces=15000/);
  assert.not.match(line.fix ?? '', /user_namespace\.enable/);
  assert.is(computeDoctorExit(results), 1);
});

test('CentOS 7: boot switch off and limit 0, both name user_namespace.enable=1', async () => {
  put('/proc/sys/user/max_user_namespaces', '0\n');
  put('/sys/module/user_namespace/parameters/enable', 'N\n');
  const results = await probe();
  const boot = find(results, 'user namespaces boot switch');
  assert.is(boot.status, 'fail');
  assert.match(boot.fix ?? '', /user_namespace\.enable=1/);
  assert.match(find(results, 'user namespaces limit').fix ?? '', /user_namespace\.enable=1/);
});

test('Debian unprivileged_userns_clone = 0 is a warning only (root still can), exit 0', async () => {
  put('/proc/sys/kernel/unprivileged_userns_clone', '0\n');
  const results = await probe();
  const line = find(results, 'unprivileged user namespaces');
  assert.is(line.status, 'warn');
  assert.match(line.fix ?? '', /kernel\.unprivileged_userns_clone=1/);
  assert.is(computeDoctorExit(results), 0);
});

test('a kernel without time namespaces: FAIL naming CONFIG_TIME_NS', async () => {
  unlinkSync(join(root, 'proc/self/ns/time'));
  const results = await probe();
  const line = find(results, 'namespace time');
  assert.is(line.status, 'fail');
  assert.match(line.fix ?? '', /CONFIG_TIME_NS/);
  assert.is(find(results, 'namespace uts').status, 'ok');
});

test('no overlay: FAIL with modprobe overlay; module on disk but not loaded: warn', async () => {
  put('/proc/filesystems', 'nodev\tproc\n\text4\n');
  let line = find(await probe(), 'overlayfs');
  assert.is(line.status, 'fail');
  assert.match(line.fix ?? '', /^modprobe overlay/);
  mkdirSync(join(root, 'lib/modules/6.1.0-test/kernel/fs/overlayfs'), { recursive: true });
  line = find(await probe(), 'overlayfs');
  assert.is(line.status, 'warn');
  assert.is(line.fix, 'modprobe overlay');
});

test('cgroup layouts from /proc/mounts: v1, v2, hybrid, none', () => {
  assert.is(detectCgroupLayout(parseMounts(HYBRID_MOUNTS)), 'hybrid');
  assert.is(detectCgroupLayout(parseMounts(V2_MOUNTS)), 'v2');
  assert.is(detectCgroupLayout(parseMounts(HYBRID_MOUNTS.split('\n').filter((l) => !l.startsWith('cgroup2')).join('\n'))), 'v1');
  assert.is(detectCgroupLayout(parseMounts('proc /proc proc rw 0 0\n')), 'none');
  assert.is(parseMounts('/dev/sda1 /mnt/my\\040disk ext4 rw 0 0')[0]!.target, '/mnt/my disk');
});

test('cgroup v2 host: controllers from cgroup.controllers; a missing memory controller warns', async () => {
  put('/proc/mounts', V2_MOUNTS);
  put('/sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io pids\n');
  const results = await probe();
  assert.match(find(results, 'cgroup version').detail, /^v2 /);
  assert.match(find(results, 'cgroup v2 controllers').detail, /^cpuset cpu io pids /);
  assert.not.ok(results.some((r) => r.what === 'cgroup v1 controllers'));
  const missing = find(results, 'cgroup controllers');
  assert.is(missing.status, 'warn');
  assert.match(missing.detail, /missing memory/);
});

test('no cgroup filesystem at all: FAIL', async () => {
  put('/proc/mounts', 'proc /proc proc rw 0 0\n');
  const line = find(await probe(), 'cgroup version');
  assert.is(line.status, 'fail');
  assert.match(line.fix ?? '', /mount -t cgroup2/);
});

test('a missing required tool FAILs naming its package; a missing optional one warns', async () => {
  const without = (...missing: string[]) => (name: string) => (missing.includes(name) ? undefined : `/usr/bin/${name}`);
  const results = await probe(without('ip', 'newuidmap'));
  const ip = find(results, 'tool ip');
  assert.is(ip.status, 'fail');
  assert.is(ip.fix, 'apt-get install iproute2');
  const newuidmap = find(results, 'tool newuidmap');
  assert.is(newuidmap.status, 'warn');
  assert.is(newuidmap.fix, 'apt-get install uidmap');
  assert.is(computeDoctorExit(results), 1);
  assert.is(computeDoctorExit(await probe(without('busybox', 'cgcreate'))), 0);
});

test('tool versions run in parallel', async () => {
  let running = 0;
  let peak = 0;
  const slow = async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 20));
    running--;
    return 'x from util-linux 1.0\n';
  };
  await probeTools(allTools, slow);
  assert.is(peak, DOCTOR_TOOLS.filter((t) => t.versionArgs).length);
});

test('extractVersion keeps the first line, without "<tool> from" and build details', () => {
  assert.is(extractVersion('unshare', 'unshare from util-linux 2.38.1\n'), 'util-linux 2.38.1');
  assert.is(extractVersion('mount', 'mount from util-linux 2.38.1 (libmount 2.38.1: selinux, btrfs)\n'), 'util-linux 2.38.1');
  assert.is(extractVersion('busybox', 'BusyBox v1.35.0 (Debian 1:1.35.0-4) multi-call binary.\nUsage: ...'), 'BusyBox v1.35.0');
  assert.is(extractVersion('ip', 'ip utility, iproute2-6.1.0, libbpf 1.1.2\n'), 'ip utility, iproute2-6.1.0, libbpf 1.1.2');
  assert.is(extractVersion('x', 'x: unrecognized option\n'), undefined);
  assert.is(extractVersion('x', ''), undefined);
});

test('line format and JSON', () => {
  assert.is(renderProbeLine({ status: 'ok', what: 'tool ip', detail: 'iproute2-6.1.0', fix: 'ignored' }), 'ok   tool ip: iproute2-6.1.0');
  assert.is(
    renderProbeLine({ status: 'fail', what: 'overlayfs', detail: 'absent', fix: 'modprobe overlay' }),
    'FAIL overlayfs: absent -> fix: modprobe overlay',
  );
  assert.is(renderProbeLine({ status: 'warn', what: 'tool busybox', detail: 'not found' }), 'warn tool busybox: not found');
  const json = toProbeJson([{ status: 'warn', what: 'a', detail: 'b' }]) as any;
  assert.equal(json, { ok: true, checks: [{ status: 'warn', what: 'a', detail: 'b', fix: null }] });
});

// seccomp: the kernel's actions, then setpriv --seccomp-filter, else a real perl try (faked here).
const seccompHost = (help: string, perl: string | undefined) => ({ setprivHelp: async () => help, tryPerl: async () => perl });
const probeSeccompHost = (help: string, perl: string | undefined, findTool: (n: string) => string | undefined = allTools) => probeHost({ root, findTool, runVersion: versions, seccomp: seccompHost(help, perl) });

test('seccomp: the kernel actions and the loader that works (setpriv 2.41, else perl), each failure with its fix', async () => {
  put('/proc/self/status', 'Name:\tnode\nSeccomp:\t0\nSeccomp_filters:\t0\n');
  put('/proc/sys/kernel/seccomp/actions_avail', 'kill_process kill_thread trap errno user_notif trace log allow\n');
  let results = await probeSeccompHost('Usage: setpriv [options] <program>\n --seccomp-filter <file>  load seccomp filter from file\n', undefined);
  assert.is(find(results, 'seccomp filters').status, 'ok');
  assert.equal(find(results, 'seccomp loader'), { status: 'ok', what: 'seccomp loader', detail: '/usr/bin/setpriv --seccomp-filter' });
  results = await probeSeccompHost('Usage: setpriv [options] <program>\n', undefined);
  assert.match(find(results, 'seccomp loader').detail, /^\/usr\/bin\/perl \(setpriv has no --seccomp-filter/);
  assert.is(computeDoctorExit(results), 0);
  results = await probeSeccompHost('', 'Operation not permitted');
  assert.is(find(results, 'seccomp loader').status, 'fail');
  assert.match(find(results, 'seccomp loader').detail, /cannot load a filter: Operation not permitted/);
  results = await probeSeccompHost('', undefined, (n) => (n === 'perl' ? undefined : allTools(n)));
  assert.is(find(results, 'seccomp loader').status, 'fail');
  assert.match(find(results, 'seccomp loader').fix!, /apt-get install perl-base.*seccomp=unconfined/);
  assert.is(computeDoctorExit(results), 1);
  put('/proc/sys/kernel/seccomp/actions_avail', 'kill_thread trap errno trace allow\n');
  results = await probeSeccompHost('', undefined);
  assert.is(find(results, 'seccomp filters').status, 'fail');
  assert.match(find(results, 'seccomp filters').detail, /no kill_process/);
});

test.run();
