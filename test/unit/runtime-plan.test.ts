// The runtime's plan pieces without root: cgroup paths and knob writes, destinations resolved inside the root,
// the launch scripts' process tree, and the init script built from the config.json podman really sends.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cgroupPathOf, knobWrites, planCgroupSteps, resolveContainerCgroup } from '../../src/runtime/cgroups.js';
import { resolveInRoot, resolveParentInRoot } from '../../src/runtime/resolve-in-root.js';
import { forkerScript, outerScript } from '../../src/runtime/launch-scripts.js';
import { buildInitScript } from '../../src/runtime/init-script.js';
import { kernelPathEntries } from '../../src/runtime/batch-mounts.js';
import { parseConfig } from '../../src/oci/parse-bundle.js';
import { isFrozen, statusOf, type RuntimeState } from '../../src/runtime/state.js';
import { identify } from '../../src/state/proc-identity.js';
import type { CgroupHost } from '../../src/cgroup/detect.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/oci', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'nsbox-rt-unit-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('cgroupsPath: from the root, below the runtime\'s own cgroup, or "<id>" below it when absent', () => {
  assert.equal(cgroupPathOf({ path: 'a/libpod-x', base: 'root', form: 'cgroupfs', given: '/a/libpod-x' }, 'x'), '/a/libpod-x');
  assert.equal(cgroupPathOf({ path: 't/c', base: 'self', form: 'cgroupfs', given: 't/c' }, 'x'), 't/c');
  assert.equal(cgroupPathOf({ path: '', base: 'root', form: 'none', given: undefined }, 'cid'), 'cid');
});

test('v1 layout: one directory per hierarchy at the same path (absolute) or below each own cgroup (relative); only missing ones are made', () => {
  const root = join(tmp, 'cg');
  for (const h of ['memory', 'pids', 'cpu,cpuacct', 'freezer', 'devices']) mkdirSync(join(root, h, 'exists'), { recursive: true });
  const host: CgroupHost = {
    root,
    mode: 'v1',
    hierarchies: [
      { version: 1, mount: join(root, 'memory'), controllers: ['memory'] },
      { version: 1, mount: join(root, 'pids'), controllers: ['pids'] },
      { version: 1, mount: join(root, 'cpu,cpuacct'), controllers: ['cpu', 'cpuacct'] },
      { version: 1, mount: join(root, 'freezer'), controllers: ['freezer'] },
      { version: 1, mount: join(root, 'devices'), controllers: ['devices'] },
    ],
    self: [{ id: 4, controllers: ['memory'], path: '/exists' }, { id: 8, controllers: ['pids'], path: '/' }, { id: 1, controllers: ['cpu', 'cpuacct'], path: '/' }, { id: 6, controllers: ['freezer'], path: '/' }, { id: 5, controllers: ['devices'], path: '/' }],
    swapOn: false,
  };
  const abs = resolveContainerCgroup('/exists/c1', host);
  assert.equal(abs.dirs.map((d) => d.dir).sort(), ['cpu,cpuacct', 'devices', 'freezer', 'memory', 'pids'].map((h) => join(root, h, 'exists/c1')));
  assert.equal([...abs.created].sort(), ['cpu,cpuacct', 'devices', 'freezer', 'memory', 'pids'].map((h) => join(root, h, 'exists/c1')));
  const rel = resolveContainerCgroup('t/c2', host);
  assert.ok(rel.dirs.some((d) => d.dir === join(root, 'memory/exists/t/c2')), 'relative: below the own memory cgroup');
  assert.ok(rel.dirs.some((d) => d.dir === join(root, 'pids/t/c2')), 'relative: below the own pids cgroup (the root)');
  assert.equal(rel.created.filter((d) => d.startsWith(join(root, 'memory'))), [join(root, 'memory/exists/t'), join(root, 'memory/exists/t/c2')], 'parents first');
  const writes = knobWrites(abs, { memoryBytes: 1 << 24, memorySwapBytes: 1 << 25, cpuQuotaUs: 50000, cpuPeriodUs: 100000, cpuShares: 512, cpusetCpus: undefined, pidsLimit: 64 }, [{ allow: false, rule: 'a *:* rwm', origin: 'config' }, { allow: true, rule: 'c 1:3 rwm', origin: 'default' }]);
  const byFile = writes.map((w) => (w.kind === 'write-file' ? `${w.path.slice(root.length + 1)}=${w.content}` : ''));
  assert.ok(byFile.includes('memory/exists/c1/memory.limit_in_bytes=16777216'));
  assert.ok(byFile.includes('pids/exists/c1/pids.max=64'));
  assert.ok(byFile.includes('cpu,cpuacct/exists/c1/cpu.cfs_quota_us=50000'));
  assert.ok(byFile.indexOf('cpu,cpuacct/exists/c1/cpu.cfs_period_us=100000') < byFile.indexOf('cpu,cpuacct/exists/c1/cpu.cfs_quota_us=50000'), 'period before quota');
  assert.ok(byFile.indexOf('devices/exists/c1/devices.deny=a *:* rwm') < byFile.indexOf('devices/exists/c1/devices.allow=c 1:3 rwm'), 'deny all, then the allow-list');
  const noDevices = { ...abs, dirs: abs.dirs.filter((d) => !d.controllers.includes('devices')) };
  assert.throws(() => knobWrites(noDevices, { memoryBytes: undefined, memorySwapBytes: undefined, cpuQuotaUs: undefined, cpuPeriodUs: undefined, cpuShares: undefined, cpusetCpus: undefined, pidsLimit: undefined }, [{ allow: false, rule: 'a *:* rwm', origin: 'config' }]), /cannot apply device rule/, 'no devices hierarchy: device rules fail closed');
});

test('v2 layout: one directory; memory.max, swap alone in memory.swap.max, cpu.max, cpu.weight, pids.max; no device files', () => {
  const root = join(tmp, 'cg2');
  mkdirSync(join(root, 'own'), { recursive: true });
  const host: CgroupHost = { root, mode: 'v2', hierarchies: [{ version: 2, mount: root, controllers: ['memory', 'pids', 'cpu'] }], self: [{ id: 0, controllers: [], path: '/own' }], swapOn: true };
  const rel = resolveContainerCgroup('t/c1', host);
  assert.equal([rel.version, rel.dirs.map((d) => d.dir), rel.created], [2, [join(root, 'own/t/c1')], [join(root, 'own/t'), join(root, 'own/t/c1')]]);
  assert.equal(resolveContainerCgroup('/abs/c2', host).dirs[0]!.dir, join(root, 'abs/c2'));
  const writes = knobWrites(rel, { memoryBytes: 64 << 20, memorySwapBytes: 96 << 20, cpuQuotaUs: 50000, cpuPeriodUs: 100000, cpuShares: 1024, cpusetCpus: undefined, pidsLimit: 10 }, [{ allow: false, rule: 'a *:* rwm', origin: 'config' }]);
  const byFile = writes.map((w) => (w.kind === 'write-file' ? `${w.path.slice(root.length + 1)}=${w.content}` : ''));
  assert.equal(byFile, ['own/t/c1/memory.max=67108864', 'own/t/c1/memory.swap.max=33554432', 'own/t/c1/cpu.weight=39', 'own/t/c1/cpu.max=50000 100000', 'own/t/c1/pids.max=10']);
});

test('v2 placement: controllers enabled top-down in cgroup.subtree_control (only what a level lacks); a relative path starts beside a .scope; a parent with processes is refused', () => {
  const root = join(tmp, 'cg2-tree');
  mkdirSync(join(root, 'test.slice/run.scope'), { recursive: true });
  mkdirSync(join(root, 'busy'), { recursive: true });
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu memory pids\n');
  writeFileSync(join(root, 'cgroup.subtree_control'), 'cpu memory\n');
  for (const d of ['test.slice', 'busy']) writeFileSync(join(root, d, 'cgroup.controllers'), 'cpu memory\n');
  writeFileSync(join(root, 'test.slice/cgroup.subtree_control'), 'cpu\n');
  writeFileSync(join(root, 'test.slice/cgroup.procs'), '');
  writeFileSync(join(root, 'busy/cgroup.subtree_control'), '');
  writeFileSync(join(root, 'busy/cgroup.procs'), '42\n');
  const host: CgroupHost = { root, mode: 'v2', hierarchies: [{ version: 2, mount: root, controllers: ['cpuset', 'cpu', 'memory', 'pids'] }], self: [{ id: 0, controllers: [], path: '/test.slice/run.scope' }], swapOn: false };
  const none = { memoryBytes: undefined, memorySwapBytes: undefined, cpuQuotaUs: undefined, cpuPeriodUs: undefined, cpuShares: undefined, cpusetCpus: undefined, pidsLimit: undefined };
  const rel = resolveContainerCgroup('pod/c1', host);
  assert.equal(rel.dirs[0]!.dir, join(root, 'test.slice/pod/c1'), 'beside the runtime\'s own scope, as runc places it');
  const writes = planCgroupSteps(rel, { ...none, memoryBytes: 1 << 24 }, []).flatMap((s) => (s.kind === 'write-file' ? [`${s.path.slice(root.length)}=${s.content}`] : s.kind === 'mkdir' ? [`mkdir ${s.path.slice(root.length)}`] : []));
  assert.equal(writes, [
    'mkdir /test.slice/pod', 'mkdir /test.slice/pod/c1',
    '/cgroup.subtree_control=+cpuset +pids', '/test.slice/cgroup.subtree_control=+cpuset +memory +pids', '/test.slice/pod/cgroup.subtree_control=+cpuset +cpu +memory +pids',
    '/test.slice/pod/c1/memory.max=16777216',
  ]);
  assert.throws(() => planCgroupSteps(resolveContainerCgroup('/busy/c2', host), none, []), /cannot place the container below .*\/busy: it holds processes/);
});

test('a destination is resolved inside the root: absolute and relative links, "..", links below earlier mounts kept as they are', () => {
  const root = join(tmp, 'root');
  mkdirSync(join(root, 'var'), { recursive: true });
  mkdirSync(join(root, 'real'), { recursive: true });
  symlinkSync('/host/etc', join(root, 'etc'));
  symlinkSync('../run', join(root, 'var/run'));
  symlinkSync('../../../../../', join(root, 'up'));
  assert.equal(resolveInRoot(root, '/etc/resolv.conf'), '/host/etc/resolv.conf');
  assert.equal(resolveInRoot(root, '/var/run/x'), '/run/x');
  assert.equal(resolveInRoot(root, '/up/etc/shadow'), '/host/etc/shadow');
  assert.equal(resolveInRoot(root, '/../../real/./a'), '/real/a');
  assert.equal(resolveInRoot(root, '/etc/x', ['/etc']), '/etc/x', 'an earlier mount covers /etc: its link is not on disk any more');
  assert.equal(resolveInRoot(root, '/etc/x', ['/host/etc']), '/host/etc/x', 'a link to an earlier mount\'s target is still followed (a covered path is its resolved target)');
});

test('below an earlier bind, links are looked up in its source (a volume the container filled with links); a node\'s own name is not followed', () => {
  const root = join(tmp, 'croot');
  const volume = join(tmp, 'volume');
  mkdirSync(join(root, 'data'), { recursive: true });
  mkdirSync(volume, { recursive: true });
  symlinkSync('/etc', join(volume, 'sub'));
  symlinkSync('../../../../', join(volume, 'up'));
  symlinkSync('/host-dir', join(root, 'dev'));
  assert.equal(resolveInRoot(root, '/data/sub/x', [{ target: '/data', source: volume }]), '/etc/x');
  assert.equal(resolveInRoot(root, '/data/up/etc/x', [{ target: '/data', source: volume }]), '/etc/x');
  assert.equal(resolveInRoot(root, '/data/sub/x', [{ target: '/data' }]), '/data/sub/x', 'a new filesystem there: nothing to follow');
  assert.equal(resolveInRoot(root, '/data/sub/x', [{ target: '/data', source: volume }, { target: '/data/sub' }]), '/data/sub/x', 'the latest mount covering a path wins');
  assert.equal(resolveParentInRoot(root, '/dev/null', [{ target: '/host-dir' }]), '/host-dir/null', '/dev is the image\'s link: the node goes where it leads inside the root');
  symlinkSync('/etc/passwd', join(volume, 'last'));
  assert.equal(resolveParentInRoot(root, '/data/last', [{ target: '/data', source: volume }]), '/data/last', 'the last component is not followed');
});

test('launch: cgroups joined before anything forks; unshare without --fork; create\'s forker exits, run\'s waits', () => {
  const input = { cgroupJoinFiles: ['/sys/fs/cgroup/pids/c/tasks'], join: [{ type: 'net' as const, path: '/run/netns/n1' }], unshare: ['mount', 'uts', 'ipc', 'pid'] as const, foreground: false };
  const outer = outerScript({ ...input, unshare: [...input.unshare] });
  assert.ok(outer.indexOf('echo 0 > "$f"') < outer.indexOf('exec nsenter'), 'join the cgroups first (a self-move)');
  assert.match(outer, /exec nsenter --net=\/run\/netns\/n1 -- unshare --mount --uts --ipc --pid --propagation private -- \/bin\/sh/);
  assert.not.match(outer, /--fork/);
  const forker = forkerScript({ ...input, unshare: [...input.unshare] });
  assert.match(forker, /&\necho "pid \$!" >&3/);
  assert.match(forker, /exit 0$/);
  assert.match(forkerScript({ ...input, unshare: [...input.unshare], foreground: true }), /wait \$!\nexit \$\?$/);
  for (const script of [outer, forker]) assert.equal(spawnSync('sh', ['-n', '-c', script]).status, 0, 'parses as sh');
});

test('launch with a time namespace: unshare --time with linux.timeOffsets as --monotonic/--boottime (written before its exec enters the namespace), in a user namespace too; none without offsets', () => {
  const base = { cgroupJoinFiles: [], join: [], unshare: ['mount', 'pid', 'time'] as ('mount' | 'pid' | 'time' | 'user')[], foreground: false };
  const outer = outerScript({ ...base, timeOffsets: [{ clock: 'monotonic', secs: 3600, nanosecs: 0 }, { clock: 'boottime', secs: -20, nanosecs: 0 }] });
  assert.match(outer, /exec unshare --mount --pid --time --monotonic 3600 --boottime -20 --propagation private -- \/bin\/sh/);
  assert.match(outerScript(base), /exec unshare --mount --pid --time --propagation private -- /);
  const userns = outerScript({ ...base, unshare: [...base.unshare, 'user'], timeOffsets: [{ clock: 'boottime', secs: 7, nanosecs: 0 }], userns: { uidMap: '0 1 1\n', gidMap: '0 1 1\n', gate: '/g' } });
  assert.match(userns, /nsenter "--user=\/proc\/\$holder\/ns\/user" -- unshare --mount --pid --time --boottime 7 --propagation private -- /, 'made inside the user namespace, which owns it');
  // Nanoseconds, which unshare cannot set: perl-base's unshare(2) right before the forker, each clock's line written.
  const nanos = outerScript({ ...base, timeOffsets: [{ clock: 'monotonic', secs: 3600, nanosecs: 500 }] });
  assert.match(nanos, /exec unshare --mount --pid --propagation private -- perl -e '.*' 272 'monotonic 3600 500' -- \/bin\/sh -c "\$fork"/s);
  assert.not.match(nanos, /--time|--monotonic/, 'the program makes the namespace, not unshare');
  for (const script of [outer, userns, nanos]) assert.equal(spawnSync('sh', ['-n', '-c', script]).status, 0, 'parses as sh');
});

test('launch into a joined user namespace with a terminal: the console socket is connected on the host first (fd 8), then nsenter joins the pod\'s namespaces', () => {
  const input = { cgroupJoinFiles: [], join: [{ type: 'user' as const, path: '/proc/7/ns/user' }], unshare: ['mount', 'pid'] as ('mount' | 'pid')[], foreground: false, connectConsole: '/run/shim/console.sock' };
  const outer = outerScript(input);
  assert.match(outer, /\nexec perl -e '.*' \/run\/shim\/console\.sock 8 nsenter --user=\/proc\/7\/ns\/user -- unshare --mount --pid --propagation private -- \/bin\/sh -c "\$fork"/s);
  assert.not.match(outerScript({ ...input, connectConsole: undefined }), /perl/, 'no terminal: no connection');
  assert.equal(spawnSync('sh', ['-n', '-c', outer]).status, 0, 'parses as sh');
});

test('launch with linux.uidMappings: a holder makes the user namespace, root writes its maps, the pod\'s namespaces are joined before it, the rest is made inside', () => {
  const userns = { uidMap: '0 100000 65536\n', gidMap: '0 100000 65536\n', gate: '/run/nsbox-runtime/ID/userns.fifo' };
  const input = { cgroupJoinFiles: ['/sys/fs/cgroup/pids/c/tasks'], join: [{ type: 'net' as const, path: '/run/netns/n1' }], unshare: ['mount', 'pid', 'user'] as ('mount' | 'pid' | 'user')[], foreground: false, userns };
  const outer = outerScript(input);
  const at = (text: string) => {
    const i = outer.indexOf(text);
    assert.ok(i >= 0, `has ${text}`);
    return i;
  };
  assert.ok(at('pids/c/tasks') < at('unshare --user --'), 'the holder starts inside the cgroups (a failed create kills it)');
  assert.ok(at('unshare --user --') < at('holder=$!') && at('holder=$!') < at("exec 7>/run/nsbox-runtime/ID/userns.fifo"));
  assert.ok(at('exec 7>') < at("> /proc/$holder/uid_map") && at("> /proc/$holder/uid_map") < at("> /proc/$holder/gid_map"), 'maps written once the holder is in its namespace');
  assert.not.match(outer.split('\n').filter((l) => !l.startsWith('#')).join('\n'), /newuidmap|setgroups/, 'root writes the maps itself; setgroups stays allowed (runc)');
  assert.match(outer, /exec nsenter --net=\/run\/netns\/n1 -- nsenter "--user=\/proc\/\$holder\/ns\/user" -- unshare --mount --pid --propagation private -- \/bin\/sh/);
  assert.not.match(outer.slice(at('exec nsenter')), /unshare [^\n]*--user/, 'the user namespace is not made twice');
  const forker = forkerScript(input);
  assert.ok(forker.indexOf('exec 7>&-') < forker.indexOf('/bin/sh -c "$init"'), 'the forker lets the holder go before the init starts');
  assert.not.match(forkerScript({ ...input, userns: undefined }), /exec 7>&-/);
  for (const script of [outer, forker]) assert.equal(spawnSync('sh', ['-n', '-c', script]).status, 0, 'parses as sh');
});

test('init from podman\'s config.json: gate opened first, every mount, masks, pivot, "ready", then the gate, then the exec', () => {
  const raw = JSON.parse(readFileSync(join(FIXTURES, 'podman-default.json'), 'utf8')) as Record<string, unknown>;
  const c = parseConfig(raw, '/tmp/bundle');
  const script = buildInitScript({
    container: c,
    stateDir: '/run/nsbox-runtime/ID',
    fifo: '/run/nsbox-runtime/ID/exec.fifo',
    targets: c.mounts.map((m) => m.destination),
    fileSources: c.mounts.map((m) => m.destination.startsWith('/etc/') || m.destination === '/run/.containerenv'),
    cgroupDirs: ['/sys/fs/cgroup/memory/nsbox-capture/libpod-ID', '/sys/fs/cgroup/pids/nsbox-capture/libpod-ID'],
    cgroupVersion: 1,
    cgroupRoot: '/sys/fs/cgroup',
    setHostname: true,
    toolbox: { loader: undefined, files: [{ name: 'setpriv', source: '/usr/bin/setpriv' }, { name: 'env', source: '/usr/bin/env' }, { name: 'umount', source: '/usr/bin/umount' }] },
    seccomp: { loader: 'perl', file: '/dev/.nsbox/seccomp.bpf', arch: 'SCMP_ARCH_X86_64', profile: 'config.json', instructions: 100 },
    cwd: '/',
    apparmor: false,
    lateFstabs: { withPreload: '/run/nsbox-runtime/ID/late.fstab', withoutPreload: '/run/nsbox-runtime/ID/late-no-preload.fstab' },
  });
  assert.equal(spawnSync('sh', ['-n', '-c', script]).status, 0, 'parses as sh');
  const at = (text: string) => {
    const i = script.indexOf(text);
    assert.ok(i >= 0, `has ${text}`);
    return i;
  };
  assert.ok(at('exec 5<>') < at('step mount -n --rbind "$R" "$R"'), 'the gate is opened before pivot_root hides its path');
  for (const m of c.mounts) assert.ok(script.includes(`"$R${m.destination}"`), `mounts ${m.destination}`);
  assert.ok(at('step mount -n -t proc -o nosuid,noexec,nodev proc "$R/proc"') < at('step mount -n --all --fstab "$late"'), 'masks (in the late fstab) after /proc');
  assert.ok(at('late=/run/nsbox-runtime/ID/late.fstab; else late=/run/nsbox-runtime/ID/late-no-preload.fstab') < at('step mount -n --all --fstab "$late"'), 'the late fstab chosen first');
  assert.ok(at('step mkfile "$T/setpriv"') < at('step mount -n --all --fstab "$late"'), 'the toolbox\'s mount points before its binds');
  assert.ok(at('step mount -n --all --fstab "$late"') < at('step pivot_root . .'), 'the toolbox before pivot_root');
  assert.ok(at('step pivot_root . .') < at('echo ready >&3'));
  assert.ok(at('echo ready >&3') < at('read -r _ <&5'), 'create returns before the gate opens');
  assert.ok(at('read -r _ <&5') < at('exec /dev/.nsbox/setpriv'), 'the process runs only after start');
  assert.match(script, /--bounding-set=-all,\+chown,/);
  assert.not.match(script, /prlimit/, 'rlimits are set from the host (create.ts processLimitSteps)');
  assert.match(script, /put \/proc\/sys\/net\/ipv4\/ping_group_range '0 0'/);
  assert.not.match(script, /pdeathsig/, 'the init must outlive its parent (the forker exits at once)');
});

test('masked and read-only paths: kinds read at plan time, missing ones skipped, destinations kept inside the root', () => {
  const root = join(tmp, 'kroot');
  mkdirSync(join(root, 'data'), { recursive: true });
  symlinkSync('/host-etc', join(root, 'etc')); // /host-etc/shadow does not exist inside the root
  const entries = kernelPathEntries(root, ['/proc/version', '/sys/kernel', '/proc/no-such-thing', '/etc/shadow'], ['/proc/sys', '/data'], ['/proc', '/sys']);
  const rows = entries.map((e) => `${e.source} ${e.target.slice(root.length)} ${e.type} ${e.options}`);
  assert.ok(rows.includes('/dev/null /proc/version none bind,ro'), rows.join('\n'));
  // The same entries as an image box's (src/init/mounts.ts makes both).
  assert.ok(rows.includes('tmpfs /sys/kernel tmpfs ro,nosuid,nodev,noexec'), rows.join('\n'));
  assert.ok(!rows.some((r) => r.includes('no-such-thing')));
  assert.ok(!rows.some((r) => r.includes('shadow')), 'a masked path through a link is looked up inside the root, where it does not exist');
  assert.ok(rows.includes(`${root}/data /data none bind,ro,nosuid,nodev,noexec`), 'not recursive: a mount below would stay writable under a read-only top');
  for (const e of entries) assert.ok(e.target.startsWith(`${root}/`), `${e.target} is inside the root`);
});

test('status: stopped when the init is gone, created while the gate exists, running after, paused when frozen', () => {
  const root = join(tmp, 'state');
  mkdirSync(join(root, 'c1'), { recursive: true });
  const freezer = join(tmp, 'freezer');
  mkdirSync(freezer, { recursive: true });
  writeFileSync(join(freezer, 'freezer.state'), 'THAWED\n');
  const state = { id: 'c1', init: identify(process.pid)!, cgroup: { version: 1, dirs: [{ dir: freezer, controllers: ['freezer'] }], created: [] } } as unknown as RuntimeState;
  writeFileSync(join(root, 'c1', 'exec.fifo'), '');
  assert.equal(statusOf(root, state), 'created');
  rmSync(join(root, 'c1', 'exec.fifo'));
  assert.equal(statusOf(root, state), 'running');
  writeFileSync(join(freezer, 'freezer.state'), 'FROZEN\n');
  assert.equal([isFrozen(state.cgroup), statusOf(root, state)], [true, 'paused']);
  assert.equal(statusOf(root, { ...state, init: { ...state.init, startTime: state.init.startTime + 1 } }), 'stopped', 'a reused pid is not the init');
});

test.run();
