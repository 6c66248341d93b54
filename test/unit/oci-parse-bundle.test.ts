// Unit: config.json -> OciContainer over the configs podman 4.3 and containerd 1.6 really sent on this machine
// (fixtures/oci, recaptured by fixtures/oci/capture.sh), and every field nsbox refuses, each named by its JSON path.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OciInvalid, OciUnsupported } from '../../src/oci/config-errors.js';
import type { OciContainer, OciMount } from '../../src/oci/container.js';
import { parseBundle, parseConfig, parseConfigText } from '../../src/oci/parse-bundle.js';
import { parseProcess } from '../../src/oci/parse-process.js';
import { REFUSED_OPTIONS } from '../../src/oci/parse-mounts.js';
import { RUNC_DEFAULT_DEVICE_RULES, parseCgroupsPath, parseResources } from '../../src/oci/parse-resources.js';
import { compileProfile } from '../../src/seccomp/compile.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/oci', import.meta.url));
const BUNDLE = '/tmp/CAPTURE/bundle';

function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}
function fixture(name: string): OciContainer {
  return parseBundle(BUNDLE, fixtureText(`${name}.json`));
}
function mount(c: OciContainer, destination: string): OciMount {
  const m = c.mounts.find((x) => x.destination === destination);
  assert.ok(m, `no mount at ${destination}`);
  return m!;
}

test('every captured config.json parses, and every capture has its call log', () => {
  const configs = readdirSync(FIXTURES).filter((f) => f.endsWith('.json') && !f.includes('.process'));
  assert.ok(configs.length >= 11, `only ${configs.length} fixtures`);
  for (const f of configs) {
    const c = parseBundle(BUNDLE, fixtureText(f));
    assert.ok(c.process.args.length > 0, f);
    if (f !== 'runc-spec.json') assert.ok(readdirSync(FIXTURES).includes(f.replace(/\.json$/, '.calls')), `${f} has no .calls file`);
  }
});

test('podman default run: root, mounts split by meaning, namespaces (net joined by path), process, cgroup, seccomp', () => {
  const c = fixture('podman-default');
  assert.is(c.ociVersion, '1.0.2-dev');
  assert.equal(c.root, { path: '/tmp/CAPTURE/podman/root/vfs/dir/CONTAINERID', readonly: false });
  assert.equal(mount(c, '/dev'), { destination: '/dev', type: 'tmpfs', source: 'tmpfs', bind: 'none', flags: ['nosuid', 'noexec', 'strictatime'], readonly: false, propagation: undefined, data: 'mode=755,size=65536k', tmpcopyup: false });
  assert.is(mount(c, '/dev/pts').data, 'newinstance,ptmxmode=0666,mode=0620,gid=5');
  assert.equal(mount(c, '/sys').flags, ['nosuid', 'noexec', 'nodev', 'ro']);
  assert.ok(mount(c, '/sys').readonly);
  const hosts = mount(c, '/etc/hosts');
  assert.equal([hosts.type, hosts.bind, hosts.propagation, hosts.flags, hosts.data], ['bind', 'bind', 'rprivate', [], '']);
  assert.is(hosts.source, '/tmp/CAPTURE/podman/run/vfs-containers/CONTAINERID/userdata/hosts');
  assert.equal(mount(c, '/dev/shm').flags, ['nosuid', 'noexec', 'nodev']);
  const cg = mount(c, '/sys/fs/cgroup');
  assert.equal([cg.type, cg.readonly, cg.propagation], ['cgroup', true, 'rprivate']);
  assert.equal(c.namespaces, [
    { name: 'pid', mode: 'new' }, { name: 'net', mode: 'join', path: '/run/netns/nsbox-capture' },
    { name: 'ipc', mode: 'new' }, { name: 'uts', mode: 'new' }, { name: 'mount', mode: 'new' },
  ]);
  assert.equal([c.uidMappings, c.gidMappings], [[], []]);
  assert.is(c.hostname, c.process.env.find((e) => e.startsWith('HOSTNAME='))!.slice('HOSTNAME='.length));
  const p = c.process;
  assert.equal([p.args, p.cwd, p.uid, p.gid, p.umask, p.additionalGids, p.terminal, p.noNewPrivileges], [['true'], '/', 0, 0, 0o22, [], false, false]);
  assert.equal(p.capabilities.bounding, ['chown', 'dac_override', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap', 'net_bind_service', 'sys_chroot', 'setfcap']);
  assert.equal(p.capabilities.effective, p.capabilities.bounding);
  assert.equal([p.capabilities.inheritable, p.capabilities.ambient], [[], []]);
  assert.equal(p.rlimits, [{ name: 'nofile', soft: 20000, hard: 20000 }, { name: 'nproc', soft: 32768, hard: 32768 }]);
  assert.equal(c.cgroupsPath, { path: 'nsbox-capture/libpod-CONTAINERID', base: 'root', form: 'cgroupfs', given: '/nsbox-capture/libpod-CONTAINERID' });
  assert.is(c.resources.pidsLimit, 2048);
  assert.is(c.resources.memoryBytes, undefined);
  assert.equal(c.resources.devicesDeny, ['a *:* rwm']);
  assert.equal(c.resources.devicesAllow, RUNC_DEFAULT_DEVICE_RULES);
  assert.equal(c.deviceRules.map((r) => r.origin), ['config', ...RUNC_DEFAULT_DEVICE_RULES.map(() => 'default')]);
  assert.equal(c.devices.map((d) => `${d.path} ${d.type} ${d.major}:${d.minor} ${d.fileMode.toString(8)} ${d.origin}`), [
    '/dev/null c 1:3 666 default', '/dev/zero c 1:5 666 default', '/dev/full c 1:7 666 default',
    '/dev/random c 1:8 666 default', '/dev/urandom c 1:9 666 default', '/dev/tty c 5:0 666 default',
  ]);
  assert.equal(c.sysctl, [['net.ipv4.ping_group_range', '0 0']]);
  assert.ok(c.maskedPaths.includes('/proc/kcore') && c.readonlyPaths.includes('/proc/sys'));
  assert.is(c.annotations['io.container.manager'], 'libpod');
  assert.is(c.rootfsPropagation, undefined);
  assert.equal(c.hooks.prestart, []);
  // podman's default seccomp profile is validated and compiles for this host's architecture.
  const s = c.seccomp!;
  assert.ok(s, 'podman sends a seccomp profile');
  assert.equal([s.profile.defaultAction, s.profile.defaultErrnoRet, s.profile.architectures], ['SCMP_ACT_ERRNO', 38, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']]);
  assert.is(s.what, `${BUNDLE}/config.json linux.seccomp`);
  const compiled = compileProfile(s.profile, { native: 'SCMP_ARCH_X86_64', capabilities: p.capabilities.bounding, kernel: [6, 1] });
  assert.equal(compiled.arches, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
  assert.ok(compiled.filters.length > 100, `${compiled.filters.length} instructions`);
});

test('podman flags: --read-only, --tmpfs (tmpcopyup), -v (rbind, ro), limits, seccomp=unconfined, -t, --user + --cap-add, --network none', () => {
  assert.is(fixture('podman-read-only').root.readonly, true);
  assert.equal(mount(fixture('podman-tmpfs'), '/scratch'), { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', bind: 'none', flags: ['rw', 'nosuid', 'nodev'], readonly: false, propagation: 'rprivate', data: 'size=64m,mode=1777', tmpcopyup: true });
  const v = fixture('podman-volume');
  assert.equal(mount(v, '/ro'), { destination: '/ro', type: 'bind', source: '/tmp/CAPTURE/vol', bind: 'rbind', flags: ['ro'], readonly: true, propagation: 'rprivate', data: '', tmpcopyup: false });
  assert.equal([mount(v, '/data').bind, mount(v, '/data').readonly], ['rbind', false]);
  const l = fixture('podman-limits').resources;
  assert.equal([l.memoryBytes, l.memorySwapBytes, l.cpuQuotaUs, l.cpuPeriodUs, l.pidsLimit, l.cpuShares], [64 << 20, 128 << 20, 50000, 100000, 100, undefined]);
  assert.is(fixture('podman-unconfined').seccomp, undefined);
  assert.is(fixture('podman-tty').process.terminal, true);
  const u = fixture('podman-user').process;
  assert.equal([u.uid, u.gid, u.additionalGids], [1000, 1000, [1000]]);
  // A non-root process keeps after exec only its ambient set: podman puts the added capability there too.
  assert.equal([u.capabilities.effective, u.capabilities.permitted, u.capabilities.inheritable, u.capabilities.ambient], [['net_admin'], ['net_admin'], ['net_admin'], ['net_admin']]);
  assert.ok(u.capabilities.bounding.includes('net_admin'));
  assert.equal(fixture('podman-network-none').namespaces.find((n) => n.name === 'net'), { name: 'net', mode: 'new' });
});

test('ctr: a bundle-relative root, noNewPrivileges, cpu shares, its explicit device rules before runc\'s; exec process files', () => {
  const c = fixture('ctr-default');
  assert.equal(c.root, { path: `${BUNDLE}/rootfs`, readonly: false });
  assert.equal([c.process.noNewPrivileges, c.process.additionalGids, c.resources.cpuShares], [true, [0], 1024]);
  assert.equal(c.process.rlimits, [{ name: 'nofile', soft: 1024, hard: 1024 }]);
  assert.ok(c.process.capabilities.bounding.includes('mknod') && c.process.capabilities.bounding.includes('audit_write'));
  assert.equal(c.resources.devicesDeny, ['a *:* rwm']);
  assert.equal(c.resources.devicesAllow!.slice(0, 3), ['c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm']);
  assert.ok(c.resources.devicesAllow!.includes('c 136:* rwm'));
  assert.is(c.seccomp, undefined);
  assert.equal(mount(c, '/run').data, 'mode=755,size=65536k');
  assert.is(c.cgroupsPath.path, 'nsbox-capture/ctr');
  assert.is(fixture('ctr-tty').process.terminal, true);
  const exec = parseProcess(parseConfigText(fixtureText('ctr-exec.process-1.json'), 'process'), 'process');
  assert.equal([exec.args, exec.noNewPrivileges], [['true'], true]);
  const podmanExec = parseProcess(parseConfigText(fixtureText('podman-exec.process-1.json'), 'process'), 'process');
  assert.equal([podmanExec.terminal, podmanExec.args], [false, ['true']]);
  const podmanExecTty = parseProcess(parseConfigText(fixtureText('podman-exec.process-2.json'), 'process'), 'process');
  assert.equal([podmanExecTty.terminal, podmanExecTty.env.includes('HOME=')], [true, true]);
});

test('parseBundle reads <bundle>/config.json; a missing one is one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsbox-oci-'));
  try {
    writeFileSync(join(dir, 'config.json'), fixtureText('ctr-default.json'));
    assert.is(parseBundle(dir).root.path, join(dir, 'rootfs'));
    rmSync(join(dir, 'config.json'));
    assert.throws(() => parseBundle(dir), (e: Error) => e.message === `cannot read ${dir}/config.json: no such file or directory`);
    writeFileSync(join(dir, 'config.json'), '{"ociVersion":');
    assert.throws(() => parseBundle(dir), (e: Error) => e.message.startsWith(`cannot parse ${dir}/config.json: `) && !e.message.includes('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A small valid config (ctr's), changed by `edit`, parsed. */
function withEdit(edit: (c: any) => void): () => OciContainer {
  const c = JSON.parse(fixtureText('ctr-default.json'));
  edit(c);
  return () => parseConfig(c, BUNDLE);
}

function refused(kind: typeof OciUnsupported | typeof OciInvalid, path: string, edit: (c: any) => void): void {
  const run = withEdit(edit);
  try {
    run();
  } catch (e) {
    assert.instance(e, kind, `${path}: ${(e as Error).message}`);
    assert.is((e as OciUnsupported).path, path, (e as Error).message);
    assert.ok(!(e as Error).message.includes('\n'), 'one line');
    return;
  }
  assert.unreachable(`${path} was accepted`);
}

test('every field nsbox cannot honour is refused, naming its JSON path', () => {
  const U = OciUnsupported;
  refused(U, 'linux.intelRdt', (c) => { c.linux.intelRdt = { closID: 'x' }; });
  refused(U, 'linux.personality', (c) => { c.linux.personality = { domain: 'LINUX32' }; });
  refused(U, 'linux.mountLabel', (c) => { c.linux.mountLabel = 'system_u:object_r:container_file_t:s0'; });
  refused(U, 'linux.memoryPolicy', (c) => { c.linux.memoryPolicy = { mode: 'MPOL_BIND' }; });
  refused(U, 'windows', (c) => { c.windows = { layerFolders: ['x'] }; });
  refused(U, 'vm', (c) => { c.vm = { kernel: { path: '/k' } }; });
  refused(U, 'solaris', (c) => { c.solaris = { milestone: 'x' }; });
  refused(U, 'zos', (c) => { c.zos = { devices: [] , x: 1 }; });
  refused(U, 'domainname', (c) => { c.domainname = 'example'; });
  refused(U, 'surprise', (c) => { c.surprise = 1; });
  refused(U, 'ociVersion', (c) => { c.ociVersion = '2.0.0'; });
  refused(U, 'root.mystery', (c) => { c.root.mystery = true; });
  refused(U, 'process.scheduler', (c) => { c.process.scheduler = { policy: 'SCHED_FIFO' }; });
  refused(U, 'process.ioPriority', (c) => { c.process.ioPriority = { class: 'IOPRIO_CLASS_RT' }; });
  refused(U, 'process.execCPUAffinity', (c) => { c.process.execCPUAffinity = { initial: '0' }; });
  refused(U, 'process.capabilities.bounding[14]', (c) => { c.process.capabilities.bounding.push('CAP_BOGUS'); });
  refused(U, 'process.user.foo', (c) => { c.process.user.foo = 1; });
  refused(U, 'mounts[0].uidMappings', (c) => { c.mounts[0].uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]; });
  refused(U, 'mounts[0].gidMappings', (c) => { c.mounts[0].gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]; });
  assert.ok(Object.keys(REFUSED_OPTIONS).length >= 20);
  for (const option of Object.keys(REFUSED_OPTIONS)) refused(U, 'mounts[0].options[3]', (c) => { c.mounts[0].options.push(option); });
  for (const option of ['remount', 'move', 'loop=/dev/loop0', 'offset=1', 'X-mount.mkdir', 'x-systemd.automount', 'nofail', 'defaults', 'user', 'owner', '_netdev', 'make-shared', 'comment=x']) {
    refused(U, 'mounts[1].options[0]', (c) => { c.mounts[1].options = [option]; });
  }
  refused(U, 'mounts[0].options', (c) => { c.mounts[0].options.push('tmpcopyup'); });
  refused(U, 'mounts[1].options', (c) => { c.mounts[1] = { destination: '/x', type: 'bind', source: '/y', options: ['rbind', 'size=1m'] }; });
  for (const key of ['blockIO', 'hugepageLimits', 'network', 'rdma', 'unified']) {
    refused(U, `linux.resources.${key}`, (c) => { c.linux.resources[key] = key === 'hugepageLimits' ? [{ pageSize: '2MB', limit: 1 }] : { x: '1' }; });
  }
  for (const key of ['reservation', 'kernel', 'kernelTCP', 'swappiness', 'disableOOMKiller', 'checkBeforeUpdate']) {
    refused(U, `linux.resources.memory.${key}`, (c) => { c.linux.resources.memory = { [key]: key === 'disableOOMKiller' || key === 'checkBeforeUpdate' ? true : 1 << 20 }; });
  }
  refused(U, 'linux.resources.memory.useHierarchy', (c) => { c.linux.resources.memory = { useHierarchy: false }; });
  for (const key of ['mems', 'burst', 'realtimeRuntime', 'realtimePeriod', 'idle']) {
    refused(U, `linux.resources.cpu.${key}`, (c) => { c.linux.resources.cpu[key] = key === 'mems' ? '0' : 1000; });
  }
  refused(U, 'linux.resources.devices[10]', (c) => { c.linux.resources.devices.push({ allow: false, type: 'c', major: 1, minor: 3, access: 'w' }); });
  refused(U, 'linux.seccomp.flags', (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG'] }; });
  refused(U, 'linux.seccomp.listenerPath', (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/l.sock' }; });
  refused(U, 'linux.seccomp.listenerMetadata', (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' }; });
  refused(U, 'linux.sysctl.vm.overcommit_memory', (c) => { c.linux.sysctl = { 'vm.overcommit_memory': '1' }; });
  refused(U, 'linux.sysctl.net.netfilter.nf_hooks_lwtunnel', (c) => { c.linux.sysctl = { 'net.netfilter.nf_hooks_lwtunnel': '1' }; });
  refused(U, 'linux.namespaces', (c) => { c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'mount'); });
  refused(U, 'linux.namespaces', (c) => { c.linux.namespaces.find((n: any) => n.type === 'mount').path = '/proc/1/ns/mnt'; });
  refused(U, 'process.selinuxLabel', (c) => { c.process.selinuxLabel = 'system_u:system_r:container_t:s0'; });
  refused(U, 'hooks.onFire', (c) => { c.hooks = { onFire: [{ path: '/bin/true' }] }; });
});

test('a time namespace with linux.timeOffsets (seconds and nanoseconds); offsets without one, for a joined one, out of range or of another clock are refused', () => {
  const c = withEdit((c) => {
    c.linux.namespaces.push({ type: 'time' });
    c.linux.timeOffsets = { monotonic: { secs: 3600, nanosecs: 0 }, boottime: { secs: -20 } };
  })();
  assert.equal(c.namespaces.at(-1), { name: 'time', mode: 'new' });
  assert.equal(c.timeOffsets, [{ clock: 'monotonic', secs: 3600, nanosecs: 0 }, { clock: 'boottime', secs: -20, nanosecs: 0 }]);
  assert.equal(withEdit((c) => { c.linux.namespaces.push({ type: 'time' }); c.linux.timeOffsets = { boottime: { secs: 1, nanosecs: 2718281 } }; })().timeOffsets, [{ clock: 'boottime', secs: 1, nanosecs: 2718281 }], 'nanoseconds too (runc\'s test values)');
  assert.equal(withEdit((c) => { c.linux.namespaces.push({ type: 'time' }); })().timeOffsets, [], 'a time namespace alone: the host\'s clocks');
  assert.equal(withEdit((c) => { c.linux.timeOffsets = { monotonic: null }; })().timeOffsets, [], 'null asks for nothing');
  const U = OciUnsupported;
  const I = OciInvalid;
  refused(I, 'linux.timeOffsets', (c) => { c.linux.timeOffsets = { monotonic: { secs: 1 } }; });
  refused(U, 'linux.timeOffsets', (c) => { c.linux.namespaces.push({ type: 'time', path: '/proc/1/ns/time' }); c.linux.timeOffsets = { boottime: { secs: 1 } }; });
  refused(I, 'linux.timeOffsets.boottime.nanosecs', (c) => { c.linux.namespaces.push({ type: 'time' }); c.linux.timeOffsets = { boottime: { secs: 1, nanosecs: 1e9 } }; });
  refused(I, 'linux.timeOffsets.boottime.secs', (c) => { c.linux.namespaces.push({ type: 'time' }); c.linux.timeOffsets = { boottime: { secs: 1.5 } }; });
  refused(U, 'linux.timeOffsets.realtime', (c) => { c.linux.namespaces.push({ type: 'time' }); c.linux.timeOffsets = { realtime: { secs: 1 } }; });
  refused(U, 'linux.timeOffsets.monotonic.when', (c) => { c.linux.namespaces.push({ type: 'time' }); c.linux.timeOffsets = { monotonic: { when: 1 } }; });
});

const MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];

test('a user namespace with uid/gid maps (podman --uidmap, hostUsers: false) is accepted; bad maps are refused', () => {
  const c = withEdit((c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [...MAP, { containerID: 65536, hostID: 300000, size: 10 }];
    c.linux.gidMappings = MAP;
  })();
  assert.equal(c.namespaces.at(-1), { name: 'user', mode: 'new' });
  assert.equal(c.uidMappings, [{ inside: 0, outside: 100000, count: 65536 }, { inside: 65536, outside: 300000, count: 10 }]);
  assert.equal(c.gidMappings, [{ inside: 0, outside: 100000, count: 65536 }]);
  const pod = withEdit((c) => c.linux.namespaces.push({ type: 'user', path: '/proc/77/ns/user' }))();
  assert.equal([pod.namespaces.at(-1), pod.uidMappings], [{ name: 'user', mode: 'join', path: '/proc/77/ns/user' }, []], 'a pod\'s user namespace is joined; create reads its maps');
  const I = OciInvalid;
  const user = (c: any) => c.linux.namespaces.push({ type: 'user' });
  refused(I, 'linux.uidMappings', (c) => { c.linux.uidMappings = MAP; c.linux.gidMappings = MAP; });
  refused(I, 'linux.gidMappings', (c) => { c.linux.gidMappings = MAP; });
  refused(I, 'linux.uidMappings', (c) => { user(c); c.linux.gidMappings = MAP; });
  refused(I, 'linux.gidMappings', (c) => { user(c); c.linux.uidMappings = MAP; });
  refused(I, 'linux.uidMappings[0].size', (c) => { user(c); c.linux.gidMappings = MAP; c.linux.uidMappings = [{ containerID: 0, hostID: 1, size: 0 }]; });
  refused(I, 'linux.uidMappings[0].hostID', (c) => { user(c); c.linux.gidMappings = MAP; c.linux.uidMappings = [{ containerID: 0, size: 1 }]; });
  refused(I, 'linux.uidMappings[0]', (c) => { user(c); c.linux.gidMappings = MAP; c.linux.uidMappings = [{ containerID: 0, hostID: 4294967290, size: 10 }]; });
  refused(I, 'linux.uidMappings', (c) => { user(c); c.linux.gidMappings = MAP; c.linux.uidMappings = [...MAP, { containerID: 10, hostID: 500000, size: 1 }]; });
  refused(I, 'linux.gidMappings', (c) => { user(c); c.linux.uidMappings = MAP; c.linux.gidMappings = [...MAP, { containerID: 70000, hostID: 100001, size: 1 }]; });
  refused(I, 'linux.uidMappings', (c) => { user(c); c.linux.gidMappings = MAP; c.linux.uidMappings = Array.from({ length: 341 }, (_, i) => ({ containerID: i, hostID: 100000 + i, size: 1 })); });
  refused(OciUnsupported, 'linux.uidMappings[0].mystery', (c) => { user(c); c.linux.gidMappings = MAP; c.linux.uidMappings = [{ ...MAP[0], mystery: 1 }]; });
});

test('invalid values are refused with the path and the reason', () => {
  const I = OciInvalid;
  refused(I, 'ociVersion', (c) => { delete c.ociVersion; });
  refused(I, 'root.path', (c) => { c.root.path = ''; });
  refused(I, 'process.args', (c) => { c.process.args = []; });
  refused(I, 'process.cwd', (c) => { c.process.cwd = 'relative'; });
  refused(I, 'process.env[1]', (c) => { c.process.env.push('NOEQUALS'); });
  refused(I, 'process.user.uid', (c) => { c.process.user.uid = -1; });
  refused(I, 'process.rlimits[1].type', (c) => { c.process.rlimits.push({ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }); });
  refused(I, 'process.rlimits[0]', (c) => { c.process.rlimits[0].soft = 2048; });
  refused(I, 'process.rlimits[0].type', (c) => { c.process.rlimits[0].type = 'RLIMIT_BOGUS'; });
  refused(I, 'process.oomScoreAdj', (c) => { c.process.oomScoreAdj = 1001; });
  refused(I, 'linux.namespaces[5].type', (c) => { c.linux.namespaces.push({ type: 'pid' }); });
  refused(I, 'linux.namespaces[5].type', (c) => { c.linux.namespaces.push({ type: 'bogus' }); });
  refused(I, 'linux.namespaces[0].path', (c) => { c.linux.namespaces[0].path = 'proc/1/ns/pid'; });
  refused(I, 'hostname', (c) => { c.hostname = 'h'; c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'uts'); });
  refused(I, 'mounts[0].type', (c) => { c.mounts[0].type = ''; });
  refused(I, 'mounts[0].destination', (c) => { delete c.mounts[0].destination; });
  refused(I, 'mounts[1].source', (c) => { c.mounts[1] = { destination: '/x', type: 'bind', options: ['rbind'] }; });
  refused(I, 'linux.resources.devices[0].access', (c) => { c.linux.resources.devices[0].access = 'rwx'; });
  refused(I, 'linux.resources.memory.swap', (c) => { c.linux.resources.memory = { limit: 2 << 20, swap: 1 << 20 }; });
  refused(I, 'linux.resources.cpu.cpus', (c) => { c.linux.resources.cpu.cpus = '3-1'; });
  refused(I, 'linux.devices[0].type', (c) => { c.linux.devices = [{ path: '/dev/x', type: 'q', major: 1, minor: 1 }]; });
  refused(I, 'linux.devices[1].path', (c) => { c.linux.devices = [{ path: '/dev/x', type: 'c', major: 1, minor: 1 }, { path: '/dev/x', type: 'c', major: 1, minor: 2 }]; });
  refused(I, 'linux.sysctl.net.ipv4.ip_forward', (c) => { c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'network'); });
  refused(I, 'linux.rootfsPropagation', (c) => { c.linux.rootfsPropagation = 'sideways'; });
  refused(I, 'linux.cgroupsPath', (c) => { c.linux.cgroupsPath = '/a/../../b'; });
  refused(I, 'hooks.prestart[0].path', (c) => { c.hooks = { prestart: [{ path: 'relative' }] }; });
});

test('what is accepted on purpose: Windows-only fields, consoleSize without a terminal, empty values, null', () => {
  const c = withEdit((c) => {
    c.process.commandLine = 'true';
    c.process.user.username = 'root';
    c.process.consoleSize = { height: 24, width: 80 };
    c.linux.mountLabel = '';
    c.linux.intelRdt = null;
    c.linux.resources.memory = { useHierarchy: true };
    c.hooks = { prestart: [{ path: '/usr/bin/hook', timeout: 5 }], poststop: [{ path: '/bin/x', args: ['x', '-v'], env: ['A=1'] }] };
    c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }, { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600 }];
  })();
  assert.is(c.process.consoleSize, undefined);
  assert.equal(c.hooks.prestart, [{ path: '/usr/bin/hook', args: ['/usr/bin/hook'], env: [], timeout: 5 }]);
  assert.equal(c.hooks.poststop, [{ path: '/bin/x', args: ['x', '-v'], env: ['A=1'], timeout: undefined }]);
  assert.equal(c.devices.map((d) => `${d.path} ${d.fileMode.toString(8)} ${d.origin}`), [
    '/dev/fuse 666 config', '/dev/null 600 config', '/dev/zero 666 default', '/dev/full 666 default', '/dev/random 666 default', '/dev/urandom 666 default', '/dev/tty 666 default',
  ]);
  const t = withEdit((c) => { c.process.terminal = true; c.process.consoleSize = { height: 24, width: 80 }; })();
  assert.equal(t.process.consoleSize, { rows: 24, columns: 80 });
});

test('big integers stay exact: RLIM_INFINITY is unlimited, 64-bit seccomp masks keep every bit', () => {
  const text = fixtureText('ctr-default.json').replace('"hard": 1024', '"hard": 18446744073709551615').replace(
    '"cgroupsPath"',
    '"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 18446744073709551615, "valueTwo": 18446744073709551614, "op": "SCMP_CMP_MASKED_EQ"}]}]}, "cgroupsPath"',
  );
  const c = parseBundle(BUNDLE, text);
  assert.equal(c.process.rlimits, [{ name: 'nofile', soft: 1024, hard: 'unlimited' }]);
  assert.equal(c.seccomp!.profile.syscalls[0]!.args[0], { index: 0, value: 18446744073709551615n, valueTwo: 18446744073709551614n, op: 'SCMP_CMP_MASKED_EQ' });
});

test('cgroupsPath: absolute and relative cgroupfs paths, systemd slice:prefix:name, none', () => {
  assert.equal(parseCgroupsPath(undefined, false), { path: '', base: 'root', form: 'none', given: undefined });
  assert.equal(parseCgroupsPath('/default/c1', false), { path: 'default/c1', base: 'root', form: 'cgroupfs', given: '/default/c1' });
  assert.equal(parseCgroupsPath('tests//c1/', false), { path: 'tests/c1', base: 'self', form: 'cgroupfs', given: 'tests//c1/' });
  assert.is(parseCgroupsPath('machine.slice:libpod:abc', true).path, 'machine.slice/libpod-abc.scope');
  assert.is(parseCgroupsPath('machine.slice:libpod:abc', false).form, 'systemd');
  assert.is(parseCgroupsPath('kubepods-besteffort-pod1.slice:cri-containerd:abc', true).path, 'kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-abc.scope');
  assert.is(parseCgroupsPath(':runc:abc', true).path, 'system.slice/runc-abc.scope');
  assert.is(parseCgroupsPath('-.slice::abc', true).path, 'abc.scope');
  assert.is(parseCgroupsPath('machine.slice::machine-x.slice', true).path, 'machine.slice/machine-x.slice');
  assert.throws(() => parseCgroupsPath('/a/b', true), (e: Error) => e instanceof OciInvalid && /slice:prefix:name/.test(e.message));
  assert.throws(() => parseCgroupsPath('bad-.slice:p:n', true), (e: Error) => e instanceof OciInvalid);
  assert.throws(() => parseCgroupsPath('/a/b c', false), (e: Error) => e instanceof OciInvalid);
});

test('update --resources reads the same object: limits in CgroupRequest units, -1 as unlimited', () => {
  const { resources } = parseResources({ memory: { limit: 1 << 30, swap: -1 }, cpu: { quota: -1, period: 100000, cpus: '1,0,2' }, pids: { limit: -1 } }, 'resources');
  assert.equal([resources.memoryBytes, resources.memorySwapBytes, resources.cpuQuotaUs, resources.cpusetCpus, resources.pidsLimit], [1 << 30, 'unlimited', undefined, '0-2', undefined]);
  assert.is(resources.devicesDeny, undefined);
  // Go's MaxInt64 as "no limit" (kept exact as a digit string by parseConfigText); cpu.shares 1 is the kernel's 2.
  const max = parseResources(parseConfigText('{"memory": {"limit": 9223372036854775807, "swap": 9223372036854775807}, "cpu": {"shares": 1}}', 'r'), 'resources').resources;
  assert.equal([max.memoryBytes, max.memorySwapBytes, max.cpuShares], [undefined, 'unlimited', 2]);
  assert.throws(() => parseResources(parseConfigText('{"memory": {"limit": 9223372036854775000}}', 'r'), 'resources'), (e: Error) => e instanceof OciInvalid && /^invalid config\.json: resources\.memory\.limit: must be from -1 to /.test(e.message));
});

test.run();
