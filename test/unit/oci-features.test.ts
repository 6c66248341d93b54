// Unit: `nsbox-runtime features` says exactly what parseBundle accepts, and `spec` writes runc's default config.json
// (fixtures/oci/runc-spec.json, from `runc spec` 1.1.5) but for the hostname, which parseBundle accepts as it is.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig, renderDefaultConfig } from '../../src/oci/default-config.js';
import { ociFeatures, probeFeatureHost } from '../../src/oci/features.js';
import { parseConfig } from '../../src/oci/parse-bundle.js';
import { compileProfile } from '../../src/seccomp/compile.js';
import type { ArchName } from '../../src/seccomp/arches.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/oci', import.meta.url));

test('spec: runc spec\'s config.json byte for byte, but hostname nsbox', () => {
  const runc = readFileSync(join(FIXTURES, 'runc-spec.json'), 'utf8');
  assert.is(renderDefaultConfig(), runc.replace('"hostname": "runc"', '"hostname": "nsbox"'));
});

test('spec: parseBundle accepts the default config as it is', () => {
  const c = parseConfig(defaultConfig(), '/b');
  assert.equal(c.root, { path: '/b/rootfs', readonly: true });
  assert.equal([c.process.terminal, c.process.noNewPrivileges, c.process.args, c.hostname], [true, true, ['sh'], 'nsbox']);
  assert.equal(c.process.capabilities.ambient, ['kill', 'net_bind_service', 'audit_write']);
  assert.equal(c.namespaces.map((n) => n.name), ['pid', 'net', 'ipc', 'uts', 'mount']);
});

const base = () => JSON.parse(JSON.stringify(defaultConfig()));

test('features: every mount option, namespace, capability and hook listed is accepted by parseBundle', () => {
  const f = ociFeatures({ apparmor: false, selinux: false }) as any;
  assert.equal([f.ociVersionMin, f.ociVersionMax], ['1.0.0', '1.1.0']);
  for (const option of f.mountOptions as string[]) {
    const c = base();
    c.mounts.push(option === 'tmpcopyup' ? { destination: '/t', type: 'tmpfs', source: 'tmpfs', options: [option] } : { destination: '/x', type: 'bind', source: '/y', options: ['rbind', option] });
    parseConfig(c, '/b');
  }
  for (const type of f.linux.namespaces as string[]) {
    const c = base();
    c.linux.namespaces = type === 'mount' ? [{ type }] : [{ type: 'mount' }, { type }];
    if (type === 'user') c.linux.uidMappings = c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    if (type !== 'uts') delete c.hostname;
    parseConfig(c, '/b');
  }
  const c = base();
  c.process.capabilities.bounding = f.linux.capabilities;
  assert.is(parseConfig(c, '/b').process.capabilities.bounding.length, 41);
  const hooks = base();
  hooks.hooks = Object.fromEntries((f.hooks as string[]).map((h) => [h, [{ path: '/bin/true' }]]));
  parseConfig(hooks, '/b');
  for (const action of f.linux.seccomp.actions as string[]) {
    const s = base();
    s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action, args: f.linux.seccomp.operators.map((op: string, index: number) => ({ index: index % 6, op, value: 1 })) }] };
    const parsed = parseConfig(s, '/b');
    for (const arch of f.linux.seccomp.archs as ArchName[]) assert.ok(compileProfile(parsed.seccomp!.profile, { native: arch, capabilities: [], kernel: [6, 1] }).filters.length > 0);
  }
});

test('features: nothing listed that parseBundle refuses; host-dependent parts from the host', () => {
  const f = ociFeatures({ apparmor: false, selinux: true }) as any;
  assert.equal(f.linux.namespaces, ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'], 'every type: time too');
  const label = base();
  label.process.selinuxLabel = 'x';
  assert.throws(() => parseConfig(label, '/b'), /process\.selinuxLabel/);
  for (const refused of ['rro', 'idmap', 'ridmap', 'copy-symlink']) assert.not.ok(f.mountOptions.includes(refused), refused);
  assert.equal(f.linux.seccomp.supportedFlags, []);
  const s = base();
  s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: [f.linux.seccomp.knownFlags[0]] };
  assert.throws(() => parseConfig(s, '/b'), /linux\.seccomp\.flags/);
  assert.equal([f.linux.cgroup.systemd, f.linux.intelRdt.enabled, f.linux.mountExtensions.idmap.enabled], [false, false, false]);
  assert.equal([f.linux.apparmor.enabled, f.linux.selinux.enabled], [false, false], 'SELinux labels are refused even where SELinux is on');
  assert.is((ociFeatures({ apparmor: true, selinux: false }) as any).linux.apparmor.enabled, true);
  assert.is(JSON.parse(JSON.stringify(f)).annotations['org.nsbox.version'], f.annotations['org.nsbox.version']);
});

test('probeFeatureHost: AppArmor as runc tests it (securityfs and the module saying Y), SELinux by selinuxfs', () => {
  const root = mkdtempSync(join(tmpdir(), 'nsbox-features-'));
  try {
    assert.equal(probeFeatureHost(root), { apparmor: false, selinux: false });
    mkdirSync(join(root, 'sys/kernel/security/apparmor'), { recursive: true });
    mkdirSync(join(root, 'sys/module/apparmor/parameters'), { recursive: true });
    writeFileSync(join(root, 'sys/module/apparmor/parameters/enabled'), 'N\n');
    assert.is(probeFeatureHost(root).apparmor, false);
    writeFileSync(join(root, 'sys/module/apparmor/parameters/enabled'), 'Y\n');
    mkdirSync(join(root, 'sys/fs/selinux'), { recursive: true });
    writeFileSync(join(root, 'sys/fs/selinux/enforce'), '1');
    assert.equal(probeFeatureHost(root), { apparmor: true, selinux: true });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
