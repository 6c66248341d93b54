// Integration (root): nsbox-runtime with linux.uidMappings/gidMappings (podman --uidmap, --userns=auto; Kubernetes
// hostUsers: false). Checked from the host: the init's uid_map and gid_map, its host uid, a user namespace of its
// own; inside, `id` says root; a file it makes in a bound host directory belongs to the mapped uid on the host; a
// root-only host marker bound read-only into it stays unreadable; exec joins the same user namespace; delete leaves
// nothing behind.

import * as assert from 'uvu/assert';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { isRoot } from '../helpers/nsbox.js';
import { gatedTest } from '../helpers/suite.js';
import { snapshot, assertNoLeaks, type Snapshot } from '../helpers/leaks.js';
import { RUNTIME, buildBusyboxTar, has, runtimeWithFiles } from '../helpers/oci-clients.js';
import { spawnOnPty } from '../helpers/pty.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-oci-userns-'));
// The container's root (host uid 100000) opens its gate and the init's fstab files in the state dir: the runtime's
// root must be searchable, as nsbox-runtime's default root is (0711).
chmodSync(base, 0o711);
const root = join(base, 'state');
const parent = `nsbox-rt-userns-${process.pid}`;
const HOST_ROOT = 100000;
let before: Snapshot;

const rt = runtimeWithFiles(base, root);

const words = (text: string) => text.trim().split(/\s+/).join(' ');

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(check(), `timed out waiting for ${what}`);
}

test.before(() => {
  before = snapshot();
  buildBusyboxTar(base);
});

test.after(async () => {
  for (const id of existsSync(root) ? readdirSync(root) : []) if (existsSync(join(root, id, 'state.json'))) rt('delete', '--force', id);
  rmSync(base, { recursive: true, force: true });
  if (before) await assertNoLeaks(before, 'oci-runtime-userns');
});

test('uid/gid maps 0 -> 100000: host uid 100000, own user namespace, root inside, files owned by 100000, a root-only marker unreadable, exec joins it', async () => {
  const b = join(base, 'b');
  mkdirSync(b);
  spawnSync('cp', ['-a', join(base, 'bb-rootfs'), join(b, 'rootfs')]);
  // As podman does for --uidmap: the root belongs to the mapped root (the init makes mount points in it).
  assert.is(spawnSync('chown', ['-R', `${HOST_ROOT}:${HOST_ROOT}`, join(b, 'rootfs')]).status, 0);
  const out = join(base, 'out');
  mkdirSync(out);
  chownSync(out, HOST_ROOT, HOST_ROOT);
  const marker = join(base, 'marker');
  writeFileSync(marker, 'host-secret\n');
  chmodSync(marker, 0o600);
  const script = 'id > /out/id; echo made > /out/made; cat /marker > /out/marker 2>&1; echo "rc=$?" >> /out/marker; readlink /proc/self/ns/user > /out/ns; exec sleep 100';
  const config = {
    ociVersion: '1.0.2',
    process: { args: ['sh', '-c', script], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, capabilities: { bounding: ['CAP_KILL', 'CAP_DAC_OVERRIDE', 'CAP_CHOWN'], effective: ['CAP_KILL', 'CAP_DAC_OVERRIDE', 'CAP_CHOWN'], permitted: ['CAP_KILL', 'CAP_DAC_OVERRIDE', 'CAP_CHOWN'] }, noNewPrivileges: true },
    root: { path: 'rootfs' },
    hostname: 'userns',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] },
      { destination: '/out', type: 'bind', source: out, options: ['rbind'] },
      { destination: '/marker', type: 'bind', source: marker, options: ['bind', 'ro'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }, { type: 'user' }, { type: 'time' }],
      uidMappings: [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }],
      // A time namespace made inside the user namespace (which owns it), an offset in nanoseconds set there too.
      timeOffsets: { boottime: { secs: 60, nanosecs: 1000 } },
      cgroupsPath: `${parent}/userns`,
      resources: { devices: [{ allow: false, access: 'rwm' }], pids: { limit: 100 } },
      maskedPaths: ['/proc/kcore'],
      readonlyPaths: ['/proc/sys'],
    },
  };
  writeFileSync(join(b, 'config.json'), JSON.stringify(config));
  const pidFile = join(base, 'userns.pid');
  const created = rt('create', '--bundle', b, '--pid-file', pidFile, 'userns');
  assert.equal(created.code, 0, created.stderr);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.equal(words(readFileSync(`/proc/${pid}/uid_map`, 'utf8')), `0 ${HOST_ROOT} 65536`);
  assert.equal(words(readFileSync(`/proc/${pid}/gid_map`, 'utf8')), `0 ${HOST_ROOT} 65536`);
  assert.equal(readFileSync(`/proc/${pid}/setgroups`, 'utf8').trim(), 'allow', 'root wrote the maps: setgroups stays allowed, as under runc');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  assert.equal(/^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/), Array(4).fill(String(HOST_ROOT)), 'the init is uid 100000 on the host');
  assert.equal(/^Gid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/), Array(4).fill(String(HOST_ROOT)));
  const userNs = readlinkSync(`/proc/${pid}/ns/user`);
  assert.not.equal(userNs, readlinkSync('/proc/self/ns/user'), 'a user namespace of its own');
  for (const ns of ['pid', 'mnt', 'net', 'uts', 'ipc', 'time']) assert.not.equal(readlinkSync(`/proc/${pid}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`), ns);
  assert.match(readFileSync(`/proc/${pid}/timens_offsets`, 'utf8'), /^monotonic\s+0\s+0\nboottime\s+60\s+1000\n$/);
  assert.not.ok(existsSync(join(out, 'id')), 'nothing ran before start');
  assert.equal(JSON.parse(rt('ps', '--format', 'json', 'userns').stdout), [pid], 'the user namespace\'s holder is gone: the init holds it');
  assert.equal(JSON.parse(rt('state', 'userns').stdout).status, 'created');
  const explained = rt('explain', 'userns');
  assert.match(explained.stdout, /> \/proc\/\$holder\/uid_map/, `explain shows the map writes: ${explained.stderr}`);
  assert.equal(spawnSync('sh', ['-n', '-c', explained.stdout]).status, 0, 'the explained plan parses as sh');

  const started = rt('start', 'userns');
  assert.equal(started.code, 0, started.stderr);
  await until('the process to write /out/ns', () => existsSync(join(out, 'ns')) && readFileSync(join(out, 'ns'), 'utf8').trim() !== '');
  assert.match(readFileSync(join(out, 'id'), 'utf8'), /^uid=0\b.* gid=0\b/, 'root inside');
  assert.equal([statSync(join(out, 'made')).uid, statSync(join(out, 'made')).gid], [HOST_ROOT, HOST_ROOT], 'a file it makes belongs to the mapped uid on the host');
  const seen = readFileSync(join(out, 'marker'), 'utf8');
  assert.not.match(seen, /host-secret/, 'the root-only marker stays unreadable, CAP_DAC_OVERRIDE notwithstanding');
  assert.match(seen, /Permission denied[\s\S]*rc=1/);
  assert.equal(readFileSync(join(out, 'ns'), 'utf8').trim(), userNs, 'the process is in the init\'s user namespace');

  // exec: the same user namespace, root inside, uid 100000 outside.
  const e = rt('exec', 'userns', 'sh', '-c', 'readlink /proc/self/ns/user; id -u; cat /proc/self/uid_map; cat /marker');
  assert.equal(e.stdout.split('\n')[0], userNs, `exec joins the user namespace: ${e.stdout} ${e.stderr}`);
  assert.equal(e.stdout.split('\n')[1], '0');
  assert.equal(words(e.stdout.split('\n')[2]!), `0 ${HOST_ROOT} 65536`);
  assert.not.match(e.stdout, /host-secret/);
  assert.match(e.stderr, /Permission denied/);
  // The uts namespace is named (sethostname in the user namespace); sysfs is mounted read-only (its new net namespace).
  const h = rt('exec', 'userns', 'sh', '-c', 'hostname; grep " /sys " /proc/mounts');
  assert.equal(h.stdout.split('\n')[0], 'userns', h.stderr);
  assert.match(h.stdout, /^sysfs \/sys sysfs ro,/m);
  const d = rt('exec', '--detach', '--pid-file', join(base, 'exec.pid'), 'userns', 'sleep', '30');
  assert.equal(d.code, 0, d.stderr);
  const execPid = Number(readFileSync(join(base, 'exec.pid'), 'utf8'));
  assert.equal(readlinkSync(`/proc/${execPid}/ns/user`), userNs);
  assert.equal(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${execPid}/status`, 'utf8'))?.[1], String(HOST_ROOT), 'the exec\'d process is uid 100000 on the host');

  assert.equal(rt('kill', '--all', 'userns', 'KILL').code, 0);
  await until('the container to stop', () => JSON.parse(rt('state', 'userns').stdout).status === 'stopped');
  assert.equal(rt('delete', 'userns').code, 0);
  assert.ok(!existsSync(join(root, 'userns')), 'delete removed the state');
});

test('without a net namespace of its own, /sys is the host\'s bound read-only (sysfs needs the net namespace\'s owner)', async () => {
  const b = join(base, 'nonet');
  mkdirSync(b);
  spawnSync('cp', ['-a', join(base, 'bb-rootfs'), join(b, 'rootfs')]);
  assert.is(spawnSync('chown', ['-R', `${HOST_ROOT}:${HOST_ROOT}`, join(b, 'rootfs')]).status, 0);
  const c = {
    ociVersion: '1.0.2',
    process: { args: ['sleep', '100'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 } },
    root: { path: 'rootfs' },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'user' }], uidMappings: [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }], gidMappings: [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }], cgroupsPath: `${parent}/nonet` },
  };
  writeFileSync(join(b, 'config.json'), JSON.stringify(c));
  const created = rt('create', '--bundle', b, 'nonet');
  assert.equal(created.code, 0, created.stderr);
  assert.equal(rt('start', 'nonet').code, 0);
  const pid = JSON.parse(rt('state', 'nonet').stdout).pid as number;
  assert.equal(readlinkSync(`/proc/${pid}/ns/net`), readlinkSync('/proc/self/ns/net'), 'the host\'s net namespace (none asked for)');
  const e = rt('exec', 'nonet', 'sh', '-c', 'grep " /sys " /proc/mounts; ls /sys/kernel >/dev/null && echo listed; touch /sys/x 2>&1');
  assert.match(e.stdout, /^sysfs \/sys sysfs ro,/m, e.stderr);
  assert.match(e.stdout, /listed/);
  assert.match(e.stdout, /Read-only file system/);
  assert.equal(rt('kill', 'nonet', 'KILL').code, 0);
  await until('the container to stop', () => JSON.parse(rt('state', 'nonet').stdout).status === 'stopped');
  assert.equal(rt('delete', 'nonet').code, 0);
});

test('a pod: a second container joins the first one\'s user and net namespaces by path (maps read from the sandbox), the rest made inside', async () => {
  const make = (name: string, namespaces: object[], maps: boolean) => {
    const b = join(base, name);
    mkdirSync(b);
    spawnSync('cp', ['-a', join(base, 'bb-rootfs'), join(b, 'rootfs')]);
    assert.is(spawnSync('chown', ['-R', `${HOST_ROOT}:${HOST_ROOT}`, join(b, 'rootfs')]).status, 0);
    const c = {
      ociVersion: '1.0.2',
      process: { args: ['sleep', '100'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 } },
      root: { path: 'rootfs' },
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] },
        { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      ],
      linux: {
        namespaces,
        ...(maps ? { uidMappings: [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }], gidMappings: [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }] } : {}),
        cgroupsPath: `${parent}/${name}`,
      },
    };
    writeFileSync(join(b, 'config.json'), JSON.stringify(c));
    const created = rt('create', '--bundle', b, name);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(rt('start', name).code, 0);
    return JSON.parse(rt('state', name).stdout).pid as number;
  };
  const sandbox = make('sandbox', [{ type: 'pid' }, { type: 'mount' }, { type: 'network' }, { type: 'user' }], true);
  const app = make('app', [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: `/proc/${sandbox}/ns/net` }, { type: 'user', path: `/proc/${sandbox}/ns/user` }], false);
  for (const ns of ['user', 'net']) assert.equal(readlinkSync(`/proc/${app}/ns/${ns}`), readlinkSync(`/proc/${sandbox}/ns/${ns}`), `the sandbox's ${ns} namespace`);
  for (const ns of ['pid', 'mnt']) assert.not.equal(readlinkSync(`/proc/${app}/ns/${ns}`), readlinkSync(`/proc/${sandbox}/ns/${ns}`), `an own ${ns} namespace`);
  assert.not.equal(readlinkSync(`/proc/${app}/ns/user`), readlinkSync('/proc/self/ns/user'));
  assert.equal(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${app}/status`, 'utf8'))?.[1], String(HOST_ROOT));
  const e = rt('exec', 'app', 'sh', '-c', 'id -u; readlink /proc/self/ns/user; grep " /sys " /proc/mounts');
  assert.equal(e.stdout.split('\n').slice(0, 2), ['0', readlinkSync(`/proc/${app}/ns/user`)], e.stderr);
  assert.match(e.stdout, /^sysfs \/sys sysfs ro,/m);
  for (const id of ['app', 'sandbox']) {
    assert.equal(rt('kill', id, 'KILL').code, 0);
    await until(`${id} to stop`, () => JSON.parse(rt('state', id).stdout).status === 'stopped');
    assert.equal(rt('delete', id).code, 0);
  }
});

test('a terminal in a joined user namespace (a pod\'s, maps read from it): run -t on a real pty, the pty of the container\'s devpts reached through a console connection made on the host', async () => {
  assert.ok(has('python3'), 'needs python3 (the pty driver)');
  const bundleOf = (name: string, args: string[], namespaces: object[], extra: object = {}) => {
    const b = join(base, name);
    mkdirSync(b);
    spawnSync('cp', ['-a', join(base, 'bb-rootfs'), join(b, 'rootfs')]);
    assert.is(spawnSync('chown', ['-R', `${HOST_ROOT}:${HOST_ROOT}`, join(b, 'rootfs')]).status, 0);
    writeFileSync(join(b, 'config.json'), JSON.stringify({
      ociVersion: '1.0.2',
      process: { args, env: ['PATH=/bin', 'TERM=xterm'], cwd: '/', user: { uid: 0, gid: 0 }, ...extra },
      root: { path: 'rootfs' },
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] },
        { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      ],
      linux: { namespaces, cgroupsPath: `${parent}/${name}`, ...(args[0] === 'sleep' ? { uidMappings: [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }], gidMappings: [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }] } : {}) },
    }));
    return b;
  };
  const sandboxBundle = bundleOf('tsandbox', ['sleep', '100'], [{ type: 'pid' }, { type: 'mount' }, { type: 'user' }]);
  assert.equal(rt('create', '--bundle', sandboxBundle, 'tsandbox').code, 0);
  assert.equal(rt('start', 'tsandbox').code, 0);
  const sandbox = JSON.parse(rt('state', 'tsandbox').stdout).pid as number;
  const app = bundleOf('tapp', ['sh', '-c', 'tty; id -u; readlink /proc/self/ns/user; echo READY; read -r line; echo "got $line"; exit 5'], [{ type: 'pid' }, { type: 'mount' }, { type: 'user', path: `/proc/${sandbox}/ns/user` }], { terminal: true });
  const pidFile = join(base, 'tapp.pid');
  const session = spawnOnPty([RUNTIME, '--root', root, 'run', '--bundle', app, '--pid-file', pidFile, 'tapp'], { rows: 24, cols: 80 });
  try {
    await session.ready;
    const screen = await session.waitFor('READY', 20_000);
    assert.match(screen.replace(/\r/g, ''), new RegExp(`^/dev/pts/0\\n0\\n${readlinkSync(`/proc/${sandbox}/ns/user`).replace(/[[\]]/g, '\\$&')}\\n`), 'a terminal, root inside, the sandbox\'s user namespace');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(readlinkSync(`/proc/${pid}/ns/user`), readlinkSync(`/proc/${sandbox}/ns/user`), 'from the host: the joined user namespace');
    const stdin = statSync(`/proc/${pid}/fd/0`);
    assert.equal(stdin.dev, statSync(`/proc/${pid}/root/dev/pts/ptmx`).dev, 'its terminal is a pty of its own devpts');
    assert.equal(Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[4]), stdin.rdev, 'the controlling terminal');
    assert.equal(stdin.uid, HOST_ROOT, 'the slave belongs to the container\'s root (host uid 100000)');
    session.type('hi\r');
    await session.waitFor('got hi', 10_000);
    const exited = await Promise.race([session.exited, new Promise<{ code: null }>((r) => setTimeout(() => r({ code: null }), 20_000).unref())]);
    assert.equal(exited.code, 5, 'the exit code came back');
    assert.not.ok(existsSync(join(root, 'tapp')), 'run deleted it');
  } finally {
    session.child.kill('SIGKILL');
    rt('delete', '--force', 'tapp');
    rt('delete', '--force', 'tsandbox');
  }
});

test('a create that fails in the user namespace (a mount the init cannot make) rolls back: no holder, init, cgroup or state left', () => {
  const b = join(base, 'fails');
  mkdirSync(b);
  spawnSync('cp', ['-a', join(base, 'bb-rootfs'), join(b, 'rootfs')]);
  assert.is(spawnSync('chown', ['-R', `${HOST_ROOT}:${HOST_ROOT}`, join(b, 'rootfs')]).status, 0);
  const c = {
    ociVersion: '1.0.2',
    process: { args: ['true'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 } },
    root: { path: 'rootfs' },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }, { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=lots'] }],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'user' }], uidMappings: [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }], gidMappings: [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }], cgroupsPath: `${parent}/fails` },
  };
  writeFileSync(join(b, 'config.json'), JSON.stringify(c));
  const r = rt('create', '--bundle', b, 'fails');
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /cannot create the container: .*tmpfs/);
  assert.ok(!existsSync(join(root, 'fails')), 'no state left');
  const left = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(join(root, 'fails'));
    } catch {
      return false;
    }
  });
  assert.equal(left, [], 'no holder or init of it is left');
});

test('bad maps are refused at create with nothing left: a map without a user namespace, uid 0 unmapped', () => {
  for (const [name, edit, message] of [
    ['nouserns', (c: any) => { c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'user'); }, /linux\.uidMappings.*needs a user namespace/],
    ['noroot', (c: any) => { c.linux.uidMappings = [{ containerID: 1, hostID: HOST_ROOT, size: 10 }]; }, /uid 0 is not mapped/],
  ] as const) {
    const b = join(base, name);
    mkdirSync(b);
    spawnSync('cp', ['-a', join(base, 'bb-rootfs'), join(b, 'rootfs')]);
    const c: any = {
      ociVersion: '1.0.2',
      process: { args: ['true'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 } },
      root: { path: 'rootfs' },
      mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
      linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'user' }], uidMappings: [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }], gidMappings: [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }], cgroupsPath: `${parent}/${name}` },
    };
    edit(c);
    writeFileSync(join(b, 'config.json'), JSON.stringify(c));
    const r = rt('create', '--bundle', b, name);
    assert.is.not(r.code, 0);
    assert.match(r.stderr, message);
    assert.ok(!existsSync(join(root, name)), 'no state left');
  }
});

test.run();
