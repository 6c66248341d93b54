// Integration (root, v1 and v2): which devices a container can open when cgroup v2 cannot enforce device rules (it
// needs eBPF). The victim is a loop device backed by a host file holding a marker: its node shipped in the image's
// root, made with CAP_MKNOD (containerd's and Docker's default capability) in /dev, in a tmpfs (one even asking for
// `dev`) and in a bound directory, must never give the marker back nor let a write reach the file (hashed before
// and after). The allowed nodes (/dev/null, /dev/urandom, an allowed linux.devices entry) still open; a listed but
// not allowed one does not (as under runc's v2 program). Image boxes: a --rootfs that ships the node, and a
// `--tmpfs :dev`, open nothing either. Named cgroup-* so that the CI's v2 VM stage runs it:
//   /work/shared/vm/run-cgroup2 --share "$PWD" -- node test/run.js integration cgroup-device-guard

import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroupHost } from '../../src/cgroup/detect.js';
import { isRoot, nsbox } from '../helpers/nsbox.js';
import { buildBusyboxTar, runtimeWithFiles } from '../helpers/oci-clients.js';
import { gatedTest } from '../helpers/suite.js';
import { snapshot, assertNoLeaks, removeCgroupParents, type Snapshot } from '../helpers/leaks.js';

const hasLosetup = spawnSync('losetup', ['--version']).status === 0;
const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : !hasLosetup ? 'needs losetup (util-linux)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-devguard-'));
const root = join(base, 'state');
const marker = `nsbox-loop-marker-${randomBytes(6).toString('hex')}`;
const backing = join(base, 'disk.img');
let loop = '';
let major = 0;
let minor = 0;
let before: Snapshot;
const PARENT = `./devguard-${process.pid}`;

const hashBacking = () => createHash('sha256').update(readFileSync(backing)).digest('hex');

const rt = runtimeWithFiles(base, root, 120_000);

/** The probe: for each path, make the loop device's node there unless one exists, read it, try to write it. */
function probe(paths: readonly string[]): string {
  return [
    ...paths.map((p) => `[ -e ${p} ] || mknod ${p} b ${major} ${minor} || echo "mknod-failed ${p}"; head -c 64 ${p} 2>/dev/null; echo; [ -b ${p} ] && echo overwritten 2>/dev/null > ${p} && echo "wrote ${p}"`),
    'echo hi > /dev/null && echo null-opens',
    '[ "$(head -c 8 /dev/urandom | wc -c)" = 8 ] && echo urandom-opens',
    'head -c 4 /dev/allowed-zero | wc -c | grep -q 4 && echo listed-allowed-opens',
    'head -c 4 /dev/listed-loop 2>/dev/null; echo listed-loop-tried',
    'sed "s/^/mountinfo: /" /proc/self/mountinfo',
  ].join('\n');
}

function bundle(name: string, args: string[]): string {
  const dir = join(base, name);
  mkdirSync(dir);
  spawnSync('cp', ['-a', join(base, 'bb-rootfs'), join(dir, 'rootfs')]);
  const volume = join(dir, 'volume');
  mkdirSync(volume);
  // The image ships the victim's node.
  spawnSync('mknod', [join(dir, 'rootfs/shipped'), 'b', String(major), String(minor)]);
  const caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];
  const config = {
    ociVersion: '1.0.2',
    process: { args, env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, capabilities: { bounding: caps, effective: caps, permitted: caps }, noNewPrivileges: true },
    root: { path: 'rootfs' },
    hostname: name,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'dev'] },
      { destination: '/data', type: 'bind', source: volume, options: ['rbind'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }],
      cgroupsPath: `nsbox-devguard-${process.pid}-${name}`,
      // containerd's and podman's shape: deny everything, then allow some (runc's defaults are appended).
      resources: { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }] },
      devices: [
        { path: '/dev/allowed-zero', type: 'c', major: 1, minor: 5, fileMode: 0o666 },
        { path: '/dev/listed-loop', type: 'b', major, minor, fileMode: 0o666 },
      ],
    },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

test.before(() => {
  if (skipReason) return;
  before = snapshot();
  buildBusyboxTar(base);
  writeFileSync(backing, Buffer.concat([Buffer.from(`${marker}\n`), Buffer.alloc(1 << 20)]));
  // A fresh kernel (the v2 VM) has the loop driver as a module, not loaded yet.
  if (!existsSync('/dev/loop-control')) spawnSync('modprobe', ['loop']);
  const setup = spawnSync('losetup', ['--find', '--show', backing], { encoding: 'utf8' });
  assert.is(setup.status, 0, `losetup: ${setup.stderr}`);
  loop = setup.stdout.trim();
  const rdev = statSync(loop).rdev;
  major = (rdev >> 8) & 0xfff;
  minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
});

test.after(async () => {
  if (loop) spawnSync('losetup', ['--detach', loop]);
  rmSync(base, { recursive: true, force: true });
  removeCgroupParents([PARENT]);
  if (before) await assertNoLeaks(before, 'cgroup-device-guard');
});

test(`nsbox-runtime (${detectCgroupHost().mode}): a block device node shipped in the root, or made with CAP_MKNOD in /dev, a tmpfs or a bound directory, never opens; the allowed nodes do`, () => {
  const hostRead = spawnSync('head', ['-c', '64', loop], { encoding: 'utf8' });
  assert.ok(hostRead.stdout.includes(marker), 'the host reads its marker through the loop device (the victim works)');
  const hash = hashBacking();
  const paths = ['/shipped', '/dev/made', '/tmp/made', '/run/made', '/data/made'];
  const b = bundle('guard', ['sh', '-c', probe(paths)]);
  const run = rt('run', '--bundle', b, 'guard');
  const out = run.stdout + run.stderr;
  assert.is(run.code, 0, out);
  assert.not.ok(out.includes(marker), `the container read the host's disk:\n${out}`);
  assert.not.match(out, /wrote \//, `a write to the disk's node succeeded:\n${out}`);
  assert.is(hashBacking(), hash, 'the loop device\'s backing file is unchanged');
  assert.not.match(out, /mknod-failed/, `CAP_MKNOD works as under runc (the node is made, it does not open):\n${out}`);
  assert.match(out, /null-opens/);
  assert.match(out, /urandom-opens/);
  assert.match(out, /listed-allowed-opens/, 'a linux.devices node the rules allow opens');
  assert.match(out, /listed-loop-tried/);
  // The guard itself, whatever the cgroup version (on v1 the devices cgroup would refuse these opens too).
  const flags = new Map(out.split('\n').filter((l) => l.startsWith('mountinfo: ')).map((l) => l.split(' ')).map((f) => [f[5]!, f[6]!.split(',')]));
  for (const point of ['/', '/dev', '/tmp', '/run', '/data']) assert.ok(flags.get(point)?.includes('nodev'), `${point} is nodev: ${flags.get(point)?.join(',')}`);
  for (const node of ['/dev/null', '/dev/urandom', '/dev/allowed-zero']) assert.ok(flags.has(node) && !flags.get(node)!.includes('nodev'), `${node} is bound without nodev: ${flags.get(node)?.join(',')}`);
  assert.not.ok(flags.has('/dev/listed-loop'), 'the listed but not allowed node is not bound (it stays nodev)');
  assert.ok(!existsSync(join(root, 'guard')), 'the state is gone');
});

test('image boxes: a --rootfs that ships the disk\'s node, and a --tmpfs asking for dev, open no device (no CAP_MKNOD; the root is nodev)', () => {
  const rootfs = join(base, 'image-rootfs');
  spawnSync('cp', ['-a', join(base, 'bb-rootfs'), rootfs]);
  spawnSync('mknod', [join(rootfs, 'shipped'), 'b', String(major), String(minor)]);
  const hash = hashBacking();
  const env = { ...process.env, NSBOX_CGROUP_PARENT: PARENT, NSBOX_ROOT: join(base, 'store'), NSBOX_STATE: join(base, 'nsbox-state'), NSBOX_IMAGE_NETWORK: 'none' };
  const script = `${['/shipped', '/mnt/made'].map((p) => `[ -e ${p} ] || mknod ${p} b ${major} ${minor} 2>/dev/null || echo "mknod-refused ${p}"; head -c 64 ${p} 2>/dev/null; echo; [ -b ${p} ] && echo x 2>/dev/null > ${p} && echo "wrote ${p}"`).join('\n')}\necho hi > /dev/null && echo null-opens`;
  const r = nsbox(['run', '--rm', '--rootfs', rootfs, '--tmpfs', '/mnt:dev', 'sh', '-c', script], { env, timeoutMs: 120_000 });
  const out = r.stdout + r.stderr;
  assert.is(r.code, 0, out);
  assert.not.ok(out.includes(marker), `the box read the host's disk:\n${out}`);
  assert.not.match(out, /wrote \//, out);
  assert.match(out, /mknod-refused \/mnt\/made/, 'no CAP_MKNOD by default');
  assert.match(out, /null-opens/);
  assert.is(hashBacking(), hash, 'the loop device\'s backing file is unchanged');
  const refused = nsbox(['run', '--rm', '--cap-add', 'MKNOD', '--rootfs', rootfs, 'true'], { env, timeoutMs: 60_000 });
  if (detectCgroupHost().mode === 'v2') {
    assert.is(refused.code, 125, 'on v2 --cap-add MKNOD is refused (no devices cgroup to confine it)');
    assert.match(refused.stderr, /cannot --cap-add MKNOD here/);
  } else {
    assert.is(refused.code, 0, `on v1 --cap-add MKNOD runs under the devices cgroup: ${refused.stderr}`);
  }
});

test.run();
