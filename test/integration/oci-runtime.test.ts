// Integration (root): bin/nsbox-runtime driven directly with a bundle made here, as runc's own tests do. The gate
// (nothing of the process runs before start), the atomic pid file with the real host pid, the state machine, kill
// --all and ps, errors on stderr and as JSON lines in --log (nothing else there), delete --force of a missing id,
// a refused field or a failing mount leaving nothing behind, and a hostile root whose symlink points a mount at a
// host path: the mount lands inside the root and the host victim is untouched.

import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { NSBOX, isRoot } from '../helpers/nsbox.js';
import { eventually, gatedTest, skipPart } from '../helpers/suite.js';
import { snapshot, assertNoLeaks, type Snapshot } from '../helpers/leaks.js';
import { RUNTIME, buildBusyboxTar, runtimeWithFiles } from '../helpers/oci-clients.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-oci-rt-'));
const root = join(base, 'state');
const parent = `nsbox-rt-direct-${process.pid}`;
let before: Snapshot;

const rt = runtimeWithFiles(base, root);

/** A bundle whose process is `args`, its root a copy of the busybox root; `edit` changes config.json. */
function bundle(name: string, args: string[], edit: (c: Record<string, any>) => void = () => {}): string {
  const dir = join(base, name);
  mkdirSync(dir);
  spawnSync('cp', ['-a', join(base, 'bb-rootfs'), join(dir, 'rootfs')]);
  const config: Record<string, any> = {
    ociVersion: '1.0.2',
    process: { args, env: ['PATH=/bin', 'TERM=xterm'], cwd: '/', user: { uid: 0, gid: 0 }, capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] }, noNewPrivileges: true },
    root: { path: 'rootfs' },
    hostname: name,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }],
      cgroupsPath: `${parent}/${name}`,
      resources: { devices: [{ allow: false, access: 'rwm' }], pids: { limit: 100 } },
      maskedPaths: ['/proc/kcore'],
      readonlyPaths: ['/proc/sys'],
    },
  };
  edit(config);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** This test's container cgroups (below its own, on every hierarchy). */
function cgroupsLeft(): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean)) {
    const [, controllers, path] = line.split(':');
    if (!controllers || controllers.startsWith('name=')) continue;
    if (existsSync(join('/sys/fs/cgroup', controllers, path!, parent))) out.push(join('/sys/fs/cgroup', controllers, path!, parent));
  }
  return out;
}

test.before(() => {
  before = snapshot();
  buildBusyboxTar(base);
});

test.after(async () => {
  for (const id of existsSync(root) ? readdirSync(root) : []) if (existsSync(join(root, id, 'state.json'))) rt('delete', '--force', id);
  rmSync(base, { recursive: true, force: true });
  if (before) await assertNoLeaks(before, 'oci-runtime');
});

test('create runs nothing of the process; the pid file has the init\'s host pid; start lets it run; state follows', async () => {
  const b = bundle('gate', ['sh', '-c', 'echo ran > /tmp/../ran-marker 2>/dev/null; touch /ran; exec sleep 100']);
  const pidFile = join(base, 'gate.pid');
  const created = rt('create', '--bundle', b, '--pid-file', pidFile, 'gate');
  assert.equal(created.code, 0, created.stderr);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(existsSync(`/proc/${pid}`), 'the pid file holds a live host pid');
  assert.equal(/^NSpid:\s+\d+\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1], '1', 'it is PID 1 of the new pid namespace');
  assert.not.equal(readlinkSync(`/proc/${pid}/ns/pid`), readlinkSync('/proc/self/ns/pid'));
  const state = JSON.parse(rt('state', 'gate').stdout) as { status: string; pid: number; bundle: string; ociVersion: string };
  assert.equal([state.status, state.pid, state.bundle], ['created', pid, b]);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(!existsSync(join(b, 'rootfs/ran')), 'the process has not run before start');
  assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'sh', 'the init waits at the gate');
  const started = rt('start', 'gate');
  assert.equal(started.code, 0, started.stderr);
  for (let i = 0; i < 50 && !existsSync(join(b, 'rootfs/ran')); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(existsSync(join(b, 'rootfs/ran')), 'the process ran after start');
  assert.equal(JSON.parse(rt('state', 'gate').stdout).status, 'running');
  // nsbox ns reads the container like any box: its own namespaces, compared with the host's.
  const ns = spawnSync(NSBOX, ['ns', String(pid)], { encoding: 'utf8' });
  assert.equal(ns.status, 0, ns.stderr);
  for (const name of ['mount', 'uts', 'ipc', 'net', 'pid']) assert.match(ns.stdout, new RegExp(`^${name}\\s+\\d+\\s+\\d+\\s+isolated$`, 'm'));
  assert.match(ns.stdout, /^NoNewPrivs\s+1$/m);
  assert.match(rt('start', 'gate').stderr, /cannot start an already running container/);
  // ps: host pids of every process; kill --all reaches them.
  const ps = JSON.parse(rt('ps', '--format', 'json', 'gate').stdout) as number[];
  assert.ok(ps.includes(pid), `ps lists the init: ${ps}`);
  assert.match(rt('delete', 'gate').stderr, /cannot delete container gate that is not stopped: running/);
  assert.equal(rt('kill', '--all', 'gate', 'KILL').code, 0);
  for (let i = 0; i < 50 && existsSync(`/proc/${pid}/stat`) && !/\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(JSON.parse(rt('state', 'gate').stdout).status, 'stopped');
  assert.equal(rt('delete', 'gate').code, 0);
  assert.equal(cgroupsLeft(), [], 'delete removed the cgroups');
  assert.ok(!existsSync(join(root, 'gate')), 'delete removed the state');
});

test('/dev\'s nodes from the host: the default six and linux.devices (a nested one owned 1000:1001, mode 0600; a FIFO), each its type, numbers, mode and owner', () => {
  const b = bundle('nodes', ['sleep', '100'], (c) => {
    c.linux.devices = [
      { path: '/dev/sub/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 1000, gid: 1001 },
      { path: '/dev/myfifo', type: 'p', fileMode: 0o640 },
    ];
  });
  const pidFile = join(base, 'nodes.pid');
  const created = rt('create', '--bundle', b, '--pid-file', pidFile, 'nodes');
  assert.equal(created.code, 0, created.stderr);
  const dev = `/proc/${Number(readFileSync(pidFile, 'utf8'))}/root/dev`;
  const seen = (name: string) => {
    const st = statSync(join(dev, name));
    return [name, st.isCharacterDevice() ? 'c' : st.isFIFO() ? 'p' : '?', st.isFIFO() ? '' : `${Math.floor(st.rdev / 256)}:${st.rdev % 256}`, (st.mode & 0o7777).toString(8), `${st.uid}:${st.gid}`];
  };
  assert.equal(['null', 'zero', 'full', 'random', 'urandom', 'tty'].map(seen), [
    ['null', 'c', '1:3', '666', '0:0'], ['zero', 'c', '1:5', '666', '0:0'], ['full', 'c', '1:7', '666', '0:0'],
    ['random', 'c', '1:8', '666', '0:0'], ['urandom', 'c', '1:9', '666', '0:0'], ['tty', 'c', '5:0', '666', '0:0'],
  ]);
  assert.equal(seen('sub/mynull'), ['sub/mynull', 'c', '1:3', '600', '1000:1001']);
  assert.equal(seen('myfifo'), ['myfifo', 'p', '', '640', '0:0']);
  assert.equal(readlinkSync(join(dev, 'fd')), '/proc/self/fd');
  assert.equal(rt('delete', '--force', 'nodes').code, 0);
});

test('exec --detach: the process runs only once nsbox-runtime has exited, its pid file written (containerd 1.6\'s shim loses an exit whose pid it has not read yet)', async () => {
  const b = bundle('detached', ['sleep', '100']);
  assert.equal(rt('create', '--bundle', b, '--pid-file', join(base, 'detached.pid'), 'detached').code, 0);
  assert.equal(rt('start', 'detached').code, 0);
  for (let i = 0; i < 5; i++) {
    // The pid file is in the container's root: the process reads it the moment it runs.
    const pidFile = join(b, 'rootfs', `exec${i}.pid`);
    const seen = join(b, 'rootfs', `seen${i}`);
    const r = rt('exec', '--detach', '--pid-file', pidFile, 'detached', 'sh', '-c', `cat /exec${i}.pid > /seen${i}.tmp 2>&1; mv /seen${i}.tmp /seen${i}`);
    assert.equal(r.code, 0, r.stderr);
    await eventually(() => existsSync(seen), `exec ${i} to run`);
    assert.equal(readFileSync(seen, 'utf8'), readFileSync(pidFile, 'utf8'), `exec ${i}: the pid file was there when the process ran`);
  }
  assert.equal(rt('delete', '--force', 'detached').code, 0);
});

test('errors: one line on stderr and JSON lines in --log (level error, msg, time) and nothing else; delete --force of a missing id is 0', () => {
  const log = join(base, 'log.json');
  const r = spawnSync(RUNTIME, ['--root', root, '--log', log, '--log-format', 'json', 'state', 'nope'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /container "nope" does not exist/);
  spawnSync(RUNTIME, ['--root', root, '--log', log, '--log-format=json', 'kill', 'nope', 'KILL'], { encoding: 'utf8' });
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.equal(lines.length, 2);
  for (const line of lines) {
    const entry = JSON.parse(line) as Record<string, string>;
    assert.equal(Object.keys(entry).sort(), ['level', 'msg', 'time']);
    assert.equal(entry.level, 'error');
    assert.match(entry.msg!, /does not exist/);
  }
  assert.equal(rt('delete', '--force', 'nope').code, 0);
  assert.match(rt('delete', 'nope').stderr, /does not exist/);
});

test('a refused field and a failing mount: a one-line error, no state, no cgroup, no process', () => {
  const refused = bundle('refused', ['true'], (c) => (c.linux.intelRdt = { closID: 'x' }));
  const r1 = rt('create', '--bundle', refused, 'refused');
  assert.equal(r1.code, 1);
  assert.match(r1.stderr, /linux\.intelRdt/);
  const failing = bundle('failing', ['true'], (c) => c.mounts.push({ destination: '/mnt', type: 'nosuchfs', source: 'x' }));
  const r2 = rt('create', '--bundle', failing, '--pid-file', join(base, 'failing.pid'), 'failing');
  assert.equal(r2.code, 1);
  // The mount is one of a run of mounts made by one mount(8), whose own message names it.
  assert.match(r2.stderr, /cannot create the container: mount -n --all --fstab \S+: mount: \S+\/mnt: /);
  assert.ok(!existsSync(join(base, 'failing.pid')), 'no pid file');
  const missing = bundle('missing', ['no-such-cmd']);
  const r3 = rt('create', '--bundle', missing, 'missing');
  assert.match(r3.stderr, /exec: "no-such-cmd": executable file not found in \$PATH/);
  assert.equal(readdirSync(root).filter((e) => ['refused', 'failing', 'missing'].includes(e)), [], 'no state');
  assert.equal(cgroupsLeft(), [], 'no cgroup');
});

test('a hostile root: /etc is a symlink to a host path; the mount onto /etc/x lands inside the root, the host victim is untouched', () => {
  const victim = join(base, 'victim');
  mkdirSync(victim);
  writeFileSync(join(victim, 'x'), 'host secret\n');
  const hash = () => createHash('sha256').update(readdirSync(victim).sort().map((f) => `${f}:${readFileSync(join(victim, f), 'utf8')}`).join('|')).digest('hex');
  const beforeHash = hash();
  const b = bundle('hostile', ['sh', '-c', 'cat /etc/x; echo mounted > /etc/x 2>/dev/null; ls /etc'], (c) => c.mounts.push({ destination: '/etc/x', type: 'tmpfs', source: 'tmpfs' }));
  rmSync(join(b, 'rootfs/etc'), { recursive: true, force: true });
  symlinkSync(victim, join(b, 'rootfs/etc'));
  const run = rt('run', '--bundle', b, 'hostile');
  assert.equal(hash(), beforeHash, 'the host directory the link names is unchanged');
  assert.not.match(run.stdout, /host secret/, 'the process never sees the host file');
  assert.equal(run.code, 0, run.stderr);
});

/** A host directory with one file, and its fingerprint (names, types and contents of everything below it). */
function hostVictim(name: string): { dir: string; hash: () => string } {
  const dir = join(base, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'null'), 'host file named like a device\n');
  writeFileSync(join(dir, 'console'), 'host file named like the console\n');
  const hash = () => {
    const out = spawnSync('sh', ['-c', 'cd "$1" && find . -printf "%p %y %l\\n" | sort && find . -type f -exec cat {} +', 'sh', dir], { encoding: 'utf8' });
    return createHash('sha256').update(out.stdout).digest('hex');
  };
  return { dir, hash };
}

test('a hostile root: /dev is a link to a host directory; it is replaced by a directory of the root, where its nodes, links and the toolbox are made; the host directory is untouched', () => {
  const victim = hostVictim('dev-victim');
  const beforeHash = victim.hash();
  // No /tmp tmpfs: the victim is below /tmp, so one would hide the /dev tmpfs where the link leads.
  const b = bundle('devlink', ['sh', '-c', 'echo hi > /dev/null && echo null-opens; ls -a /dev/ | tr "\\n" " "'], (c) => (c.mounts = c.mounts.filter((m: { destination: string }) => m.destination !== '/tmp')));
  rmSync(join(b, 'rootfs/dev'), { recursive: true, force: true });
  symlinkSync(victim.dir, join(b, 'rootfs/dev'));
  const run = rt('run', '--bundle', b, 'devlink');
  assert.equal(victim.hash(), beforeHash, `the host directory /dev links to is unchanged: ${spawnSync('ls', ['-la', victim.dir], { encoding: 'utf8' }).stdout}`);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /null-opens/, 'the container\'s /dev has the nodes');
  assert.ok(lstatSync(join(b, 'rootfs/dev')).isDirectory(), 'the link at /dev was replaced by a directory (a container process could repoint a link)');
  assert.not.ok(existsSync(join(b, 'rootfs', victim.dir)), 'nothing was made where the link led');
});

test('a hostile volume: a link a container left in a bound directory does not take a later mount (nor its mkdir) out of the root', () => {
  const victim = hostVictim('volume-victim');
  const volume = join(base, 'volume');
  mkdirSync(volume);
  symlinkSync(victim.dir, join(volume, 'sub'));
  const beforeHash = victim.hash();
  const b = bundle('vollink', ['sh', '-c', 'echo x > /data/sub/deeper/file && echo wrote'], (c) => c.mounts.push(
    { destination: '/data', type: 'bind', source: volume, options: ['rbind'] },
    { destination: '/data/sub/deeper', type: 'tmpfs', source: 'tmpfs' },
  ));
  const run = rt('run', '--bundle', b, 'vollink');
  assert.equal(victim.hash(), beforeHash, `the host directory the volume's link names is unchanged: ${spawnSync('ls', ['-laR', victim.dir], { encoding: 'utf8' }).stdout}`);
  assert.equal(run.code, 0, run.stderr);
});

test('hooks get the state JSON on stdin at their phase; update --resources writes the new limits into the cgroup', async () => {
  const log = join(base, 'hooks.log');
  const hook = join(base, 'hook.sh');
  writeFileSync(hook, `#!/bin/sh\nprintf '%s %s\\n' "$1" "$(cat)" >> ${log}\n`, { mode: 0o755 });
  const phases = ['prestart', 'createRuntime', 'poststart', 'poststop'];
  const b = bundle('hooked', ['sleep', '100'], (c) => (c.hooks = Object.fromEntries(phases.map((p) => [p, [{ path: hook, args: ['hook.sh', p] }]]))));
  assert.equal(rt('create', '--bundle', b, 'hooked').code, 0);
  assert.equal(rt('start', 'hooked').code, 0);
  const update = spawnSync(RUNTIME, ['--root', root, 'update', '--resources', '-', 'hooked'], { input: JSON.stringify({ pids: { limit: 42 } }), encoding: 'utf8' });
  assert.equal(update.status, 0, update.stderr);
  const pidsDir = readFileSync('/proc/self/cgroup', 'utf8').split('\n').map((l) => l.split(':')).find(([, c]) => c === 'pids')!;
  assert.equal(readFileSync(join('/sys/fs/cgroup/pids', pidsDir[2]!, parent, 'hooked', 'pids.max'), 'utf8').trim(), '42');
  assert.equal(rt('delete', '--force', 'hooked').code, 0);
  const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), JSON.parse(l.slice(l.indexOf(' ') + 1)) as { id: string; status: string }] as const);
  assert.equal(lines.map(([p, st]) => `${p}:${st.id}:${st.status}`), ['prestart:hooked:created', 'createRuntime:hooked:created', 'poststart:hooked:running', 'poststop:hooked:stopped']);
});

test('createContainer runs in the container\'s namespaces after its mounts, before pivot_root (host path); startContainer in the container just before the process', () => {
  const log = join(base, 'cc.log');
  const cc = join(base, 'cc.sh');
  // A host path (the runtime's view): it sees the container's namespaces, and its mounts below the root.
  writeFileSync(cc, `#!/bin/sh\nprintf '%s|%s|%s|%s|%s\\n' "$(readlink /proc/self/ns/mnt)" "$(hostname)" "$(grep -c " $2/tmp " /proc/self/mountinfo)" "$1" "$(cat)" > ${log}\n`, { mode: 0o755 });
  const b = bundle('inhooks', ['sh', '-c', 'test -e /start-hook.out && echo seen > /process.out; exec sleep 100'], (c) => {
    c.hooks = {
      createContainer: [{ path: cc, args: ['cc', 'first-arg', join(base, 'inhooks', 'rootfs')], env: ['X=1'] }],
      // A path inside the container (it does not exist on the host).
      startContainer: [{ path: '/start-hook.sh', args: ['start-hook.sh'] }],
    };
  });
  writeFileSync(join(b, 'rootfs/start-hook.sh'), '#!/bin/sh\nprintf \'%s|%s\\n\' "$(readlink /proc/self/ns/mnt)" "$(cat)" > /start-hook.out\n', { mode: 0o755 });
  assert.ok(!existsSync('/start-hook.sh'), 'the startContainer path exists only in the container');
  const pidFile = join(base, 'inhooks.pid');
  const created = rt('create', '--bundle', b, '--pid-file', pidFile, 'inhooks');
  assert.equal(created.code, 0, created.stderr);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  const hostMnt = readlinkSync('/proc/self/ns/mnt');
  const initMnt = readlinkSync(`/proc/${pid}/ns/mnt`);
  assert.is.not(initMnt, hostMnt, 'the init has a mount namespace of its own');
  const [mnt, hostname, tmpMounted, arg, stateText] = readFileSync(log, 'utf8').trim().split('|');
  assert.is(mnt, initMnt, 'createContainer ran in the container\'s mount namespace');
  assert.is(hostname, 'inhooks', 'and its uts namespace');
  assert.is(tmpMounted, '1', 'after the container\'s mounts (its /tmp tmpfs is there, below the root: before pivot_root)');
  assert.is(arg, 'first-arg');
  const state = JSON.parse(stateText!) as { id: string; pid: number; status: string };
  assert.equal([state.id, state.pid, state.status], ['inhooks', pid, 'creating'], 'the state JSON with the init\'s host pid');
  assert.ok(!existsSync(join(b, 'rootfs/start-hook.out')), 'startContainer has not run at create');
  const started = rt('start', 'inhooks');
  assert.equal(started.code, 0, started.stderr);
  const [startMnt, startState] = readFileSync(join(b, 'rootfs/start-hook.out'), 'utf8').trim().split('|');
  assert.is(startMnt, initMnt, 'startContainer ran in the container\'s mount namespace');
  assert.equal((JSON.parse(startState!) as { id: string; status: string }).status, 'created');
  for (let i = 0; i < 100 && !existsSync(join(b, 'rootfs/process.out')); i++) spawnSync('sleep', ['0.05']);
  assert.is(readFileSync(join(b, 'rootfs/process.out'), 'utf8').trim(), 'seen', 'the process ran after the startContainer hook');
  assert.equal(rt('delete', '--force', 'inhooks').code, 0);
});

test('a failing createContainer hook fails create with nothing left; a failing startContainer hook fails start and stops the container', () => {
  const bad = bundle('badcc', ['true'], (c) => (c.hooks = { createContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo no way >&2; exit 3'] }] }));
  const r = rt('create', '--bundle', bad, 'badcc');
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /createContainer hook #0 \(\/bin\/sh\).*no way/);
  assert.ok(!existsSync(join(root, 'badcc')), 'no state left');
  const badStart = bundle('badstart', ['sh', '-c', 'echo ran > /ran; exec sleep 100'], (c) => (c.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo refused >&2; exit 4'] }] }));
  assert.equal(rt('create', '--bundle', badStart, 'badstart').code, 0);
  const s = rt('start', 'badstart');
  assert.is.not(s.code, 0);
  assert.match(s.stderr, /startContainer hook #0 \(\/bin\/sh\) failed: refused/);
  for (let i = 0; i < 100 && JSON.parse(rt('state', 'badstart').stdout).status !== 'stopped'; i++) spawnSync('sleep', ['0.05']);
  assert.is(JSON.parse(rt('state', 'badstart').stdout).status, 'stopped', 'the container is stopped');
  assert.ok(!existsSync(join(badStart, 'rootfs/ran')), 'its process never ran');
  assert.equal(rt('delete', 'badstart').code, 0);
  assert.equal(cgroupsLeft().filter((d) => /badcc|badstart/.test(readdirSync(d).join(' '))), []);
});

test('a v1 cgroup view: the container reads its own limits at /sys/fs/cgroup, and the view is read-only (nothing can be added beside them)', () => {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return skipPart('the v1 cgroup view', 'this host has cgroup v2: the test checks the v1 view (no test checks nsbox-runtime\'s v2 view yet)');
  const script = 'cat /sys/fs/cgroup/pids/pids.max; ls /sys/fs/cgroup; touch /sys/fs/cgroup/x; mkdir /sys/fs/cgroup/y; ln -s pids /sys/fs/cgroup/z; ls /sys/fs/cgroup; echo end';
  const dir = bundle('view', ['/bin/sh', '-c', `(${script}) 2>&1`], (c) => {
    c.mounts.push(
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    );
  });
  const r = rt('run', '--bundle', dir, 'view');
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.is(lines[0], '100', `the container's own pids.max: ${r.stdout}`);
  assert.ok(lines.includes('pids'), r.stdout);
  assert.is(r.stdout.match(/Read-only file system/g)?.length, 3, `touch, mkdir and ln -s refused: ${r.stdout}`);
  assert.not.ok(/^(x|y|z)$/m.test(r.stdout), `nothing was added: ${r.stdout}`);
  assert.match(r.stdout, /end\n$/);
});

test('spec writes a config.json this runtime runs (once the process has no terminal); features is runtime-spec JSON', () => {
  const dir = join(base, 'spec');
  mkdirSync(dir);
  assert.equal(rt('spec', '--bundle', dir).code, 0);
  assert.match(rt('spec', '--bundle', dir).stderr, /exists/);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, any>;
  spawnSync('cp', ['-a', join(base, 'bb-rootfs'), join(dir, 'rootfs')]);
  config.process.terminal = false;
  config.process.args = ['sh', '-c', 'hostname; exit 5'];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const run = rt('run', '--bundle', dir, 'from-spec');
  assert.equal([run.code, run.stdout], [5, 'nsbox\n'], run.stderr);
  assert.equal(cgroupsLeft(), [], 'no cgroup left');
  const features = JSON.parse(rt('features').stdout) as { ociVersionMin: string; hooks: string[] };
  assert.equal(features.ociVersionMin, '1.0.0');
  assert.ok(features.hooks.includes('poststop'));
});

test('a time namespace with linux.timeOffsets: from the host, the init\'s /proc/PID/ns/time is its own and /proc/PID/timens_offsets has the offsets; inside, the clocks moved; exec joins it', async () => {
  const MONO = 3 * 86400;
  const BOOT = 10 * 86400;
  const b = bundle('timens', ['sleep', '100'], (c) => {
    c.linux.namespaces.push({ type: 'time' });
    c.linux.timeOffsets = { monotonic: { secs: MONO, nanosecs: 0 }, boottime: { secs: BOOT } };
  });
  const pidFile = join(base, 'timens.pid');
  const created = rt('create', '--bundle', b, '--pid-file', pidFile, 'timens');
  assert.equal(created.code, 0, created.stderr);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.not.equal(readlinkSync(`/proc/${pid}/ns/time`), readlinkSync('/proc/self/ns/time'), 'a time namespace of its own');
  assert.equal(readFileSync(`/proc/${pid}/timens_offsets`, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/)), [['monotonic', String(MONO), '0'], ['boottime', String(BOOT), '0']]);
  assert.match(rt('explain', 'timens').stdout, new RegExp(`unshare [^\\n]*--time --monotonic ${MONO} --boottime ${BOOT} `), 'the plan says how');
  assert.equal(rt('start', 'timens').code, 0);
  const hostUptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const inside = rt('exec', 'timens', 'cat', '/proc/uptime');
  assert.equal(inside.code, 0, inside.stderr);
  const uptime = Number(inside.stdout.split(' ')[0]);
  assert.ok(uptime >= hostUptime + BOOT && uptime < hostUptime + BOOT + 60, `boot time moved by ${BOOT} s: ${uptime} vs the host's ${hostUptime}`);
  const execPid = join(base, 'timens-exec.pid');
  assert.equal(rt('exec', '--detach', '--pid-file', execPid, 'timens', 'sleep', '50').code, 0);
  const exec = Number(readFileSync(execPid, 'utf8'));
  assert.equal(readlinkSync(`/proc/${exec}/ns/time`), readlinkSync(`/proc/${pid}/ns/time`), 'the exec is in the container\'s time namespace');
  // Another container joins it by path (as a pod's would), with its offsets.
  const joiner = bundle('timens-join', ['sleep', '100'], (c) => c.linux.namespaces.push({ type: 'time', path: `/proc/${pid}/ns/time` }));
  const joinPid = join(base, 'timens-join.pid');
  const joined = rt('create', '--bundle', joiner, '--pid-file', joinPid, 'timens-join');
  assert.equal(joined.code, 0, joined.stderr);
  const pid2 = Number(readFileSync(joinPid, 'utf8'));
  assert.equal(readlinkSync(`/proc/${pid2}/ns/time`), readlinkSync(`/proc/${pid}/ns/time`), 'the joined time namespace');
  assert.match(readFileSync(`/proc/${pid2}/timens_offsets`, 'utf8'), new RegExp(`^monotonic\\s+${MONO}\\s+0\\n`));
  for (const id of ['timens-join', 'timens']) assert.equal(rt('delete', '--force', id).code, 0);

  // Nanoseconds (runc's own test values), which unshare cannot set: a perl-base unshare(2) sets them.
  const nanos = bundle('timens-ns', ['sleep', '100'], (c) => {
    c.linux.namespaces.push({ type: 'time' });
    c.linux.timeOffsets = { monotonic: { secs: 7881, nanosecs: 2718281 }, boottime: { secs: 1337, nanosecs: 3141519 } };
  });
  const nsCreated = rt('create', '--bundle', nanos, '--pid-file', pidFile, 'timens-ns');
  assert.equal(nsCreated.code, 0, nsCreated.stderr);
  const pidNs = Number(readFileSync(pidFile, 'utf8'));
  assert.not.equal(readlinkSync(`/proc/${pidNs}/ns/time`), readlinkSync('/proc/self/ns/time'));
  assert.equal(readFileSync(`/proc/${pidNs}/timens_offsets`, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/)), [['monotonic', '7881', '2718281'], ['boottime', '1337', '3141519']]);
  assert.match(rt('explain', 'timens-ns').stdout, /-- perl -e 'use strict;.*\/proc\/self\/timens_offsets.*' \d+ 'monotonic 7881 2718281' 'boottime 1337 3141519' -- \/bin\/sh /s, 'the plan says how');
  assert.equal(rt('start', 'timens-ns').code, 0);
  assert.equal(rt('exec', 'timens-ns', 'true').code, 0, 'exec joins it');
  assert.equal(rt('delete', '--force', 'timens-ns').code, 0);

  // No offsets: a namespace of its own with the host's clocks.
  const plain = bundle('timens0', ['sleep', '100'], (c) => c.linux.namespaces.push({ type: 'time' }));
  assert.equal(rt('create', '--bundle', plain, '--pid-file', pidFile, 'timens0').code, 0);
  const pid0 = Number(readFileSync(pidFile, 'utf8'));
  assert.not.equal(readlinkSync(`/proc/${pid0}/ns/time`), readlinkSync('/proc/self/ns/time'));
  assert.match(readFileSync(`/proc/${pid0}/timens_offsets`, 'utf8'), /^monotonic\s+0\s+0\nboottime\s+0\s+0\n$/);
  assert.equal(rt('delete', '--force', 'timens0').code, 0);

  // Offsets without the namespace, and a clock the kernel refuses (below zero): one line, nothing left.
  const orphan = bundle('timens-bad', ['true'], (c) => (c.linux.timeOffsets = { monotonic: { secs: 5 } }));
  const refused = rt('create', '--bundle', orphan, 'timens-bad');
  assert.equal([refused.code, refused.stderr], [1, 'nsbox-runtime: invalid config.json: linux.timeOffsets: needs a time namespace in linux.namespaces\n']);
  const negative = bundle('timens-neg', ['true'], (c) => {
    c.linux.namespaces.push({ type: 'time' });
    c.linux.timeOffsets = { boottime: { secs: -100 * 365 * 86400 } };
  });
  const kernel = rt('create', '--bundle', negative, 'timens-neg');
  assert.equal(kernel.code, 1);
  assert.match(kernel.stderr, /^nsbox-runtime: cannot create the container: .*timens_offsets.*\n$/);
  for (const id of ['timens-bad', 'timens-neg']) assert.not.ok(existsSync(join(root, id)), `${id}: no state left`);
});

test.run();
