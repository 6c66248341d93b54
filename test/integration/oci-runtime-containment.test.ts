// Integration (root): what a container of bin/nsbox-runtime can reach of the host, checked from the host side.
// - exec (CVE-2019-5736): a container process that holds /proc/PID/exe of a host tool the exec runs (the toolbox's
//   loader and shell) and writes through it later, or writes the toolbox directly or remounts it, changes no host
//   binary (hashed before and after).
// - exec and the init (CVE-2024-21626): only fds 0-2, the cwd inside the root; the same capabilities, no_new_privs
//   and seccomp filter as the init.
// - exec -t: the host-side pty helper opens the container's ptmx through /proc/PID/root without following a link
//   the container made (an absolute one would resolve on the host).
// - /proc and /sys: a read-only /proc/sys stays read-only after remount and umount attempts (the host's value is
//   unchanged), masked paths stay masked.
// - ids given on the command line cannot name a path outside the state root.
// - the image's NSS module (nsswitch.conf): setpriv's user lookup loads it; it must run with no more than the
//   container's privileges (it once had the host root's, and read a host file by handle).

import * as assert from 'uvu/assert';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRoot } from '../helpers/nsbox.js';
import { gatedTest } from '../helpers/suite.js';
import { snapshot, assertNoLeaks, type Snapshot } from '../helpers/leaks.js';
import { RUNTIME, buildBusyboxTar, runtimeWithFiles } from '../helpers/oci-clients.js';
import { STATUS_FIELD_C } from './containment-fixtures.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-oci-contain-'));
const root = join(base, 'state');
const parent = `nsbox-rt-contain-${process.pid}`;
let before: Snapshot;

const rt = runtimeWithFiles(base, root);

// containerd's default capabilities (no CAP_SYS_ADMIN), as ctr gives them.
const CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];

function bundle(name: string, args: string[]): string {
  const dir = join(base, name);
  mkdirSync(dir);
  spawnSync('cp', ['-a', join(base, 'bb-rootfs'), join(dir, 'rootfs')]);
  const config = {
    ociVersion: '1.0.2',
    process: { args, env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS }, noNewPrivileges: true },
    root: { path: 'rootfs' },
    hostname: name,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }],
      cgroupsPath: `${parent}/${name}`,
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      maskedPaths: ['/proc/kcore', '/proc/sysrq-trigger', '/proc/timer_list', '/sys/firmware'],
      readonlyPaths: ['/proc/sys', '/proc/bus', '/proc/irq'],
      seccomp: { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['keyctl'], action: 'SCMP_ACT_ERRNO' }] },
    },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const statusField = (pid: number, field: string) => new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
const initPid = (id: string) => (JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8')) as { init: { pid: number } }).init.pid;

function cgroupsLeft(): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean)) {
    const [, controllers, path] = line.split(':');
    if (!controllers || controllers.startsWith('name=')) continue;
    const dir = join('/sys/fs/cgroup', controllers, path!, parent);
    if (existsSync(dir)) out.push(dir);
  }
  return out;
}

test.before(() => {
  if (skipReason) return;
  before = snapshot();
  buildBusyboxTar(base);
});

test.after(async () => {
  for (const id of existsSync(root) ? readdirSync(root) : []) if (existsSync(join(root, id, 'state.json'))) rt('delete', '--force', id);
  for (const dir of cgroupsLeft()) spawnSync('rmdir', [dir]);
  rmSync(base, { recursive: true, force: true });
  if (before) await assertNoLeaks(before, 'oci-runtime-containment');
});

test('exec: a container process holding /proc/PID/exe of the host tools exec runs cannot write through it, nor write or remount the toolbox; the host binaries are unchanged', async () => {
  // PID 1 watches for processes whose exe is in the toolbox, keeps an fd on each exe, and writes through it later.
  const watcher = [
    'n=10; seen=" "',
    'end=$(( $(date +%s) + 15 ))',
    'while [ $(date +%s) -lt $end ] && [ ! -e /tmp/stop ]; do',
    '  for d in /proc/[0-9]*; do p=${d#/proc/}; case "$seen" in *" $p "*) continue;; esac; seen="$seen$p "',
    '    e=$(readlink /proc/$p/exe 2>/dev/null) || continue',
    '    case "$e" in /dev/.nsbox/*) if [ $n -lt 20 ] && eval "exec $n</proc/$p/exe" 2>/dev/null; then echo "held $e on fd $n" >> /tmp/log; n=$((n+1)); fi;; esac',
    '  done',
    'done',
    'sleep 1',
    'i=10; while [ $i -lt $n ]; do (echo pwned >> /proc/self/fd/$i) 2>/dev/null && echo "WROTE through fd $i" >> /tmp/log; i=$((i+1)); done',
    'for f in /dev/.nsbox/*; do (echo pwned >> "$f") 2>/dev/null && echo "WROTE $f" >> /tmp/log; done',
    'mount -o remount,rw /dev/.nsbox 2>/dev/null && echo REMOUNTED >> /tmp/log',
    'umount -l /dev/.nsbox 2>/dev/null && echo UNMOUNTED >> /tmp/log',
    'echo finished >> /tmp/log; sleep 30',
  ].join('\n');
  const b = bundle('exe', ['sh', '-c', watcher]);
  assert.is(rt('create', '--bundle', b, 'exe').code, 0);
  const pid = initPid('exe');
  const record = JSON.parse(readFileSync(join(root, 'exe', 'state.json'), 'utf8')) as { toolbox: { files: { source: string }[] } };
  const sources = record.toolbox.files.map((f) => f.source);
  const bound = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter((l) => l.includes(' /dev/.nsbox/'));
  assert.ok(bound.length >= sources.length && bound.every((l) => l.split(' ')[5]!.split(',').includes('ro')), `every toolbox mount is read-only:\n${bound.join('\n')}`);
  assert.ok(sources.length >= 3, `the toolbox binds host files: ${sources.join(' ')}`);
  const hashes = Object.fromEntries(sources.map((s) => [s, sha(s)]));
  assert.is(rt('start', 'exe').code, 0);
  // Execs that run the toolbox's own shell for a while, so the watcher sees them (and a plain one).
  const state = JSON.parse(readFileSync(join(root, 'exe', 'state.json'), 'utf8')) as { toolbox: { loader?: string; shell?: string } };
  const shell = `/dev/.nsbox/${state.toolbox.shell ?? 'sh'}`;
  const argv = state.toolbox.loader ? [`/dev/.nsbox/${state.toolbox.loader}`, '--library-path', '/dev/.nsbox', shell] : [shell];
  for (let i = 0; i < 3; i++) {
    const e = rt('exec', 'exe', ...argv, '-c', 'sleep 1');
    assert.is(e.code, 0, e.stderr);
    assert.is(rt('exec', 'exe', 'true').code, 0);
  }
  rt('exec', 'exe', 'touch', '/tmp/stop');
  let log = '';
  for (let i = 0; i < 100 && !log.includes('finished'); i++) {
    await sleep(200);
    log = spawnSync('nsenter', ['--target', String(pid), '--mount', 'cat', '/tmp/log'], { encoding: 'utf8' }).stdout;
  }
  assert.match(log, /finished/, log);
  assert.match(log, /held \/dev\/\.nsbox\//, `the watcher held a toolbox exe (the attack was tried): ${log}`);
  assert.not.match(log, /WROTE|REMOUNTED|UNMOUNTED/, log);
  for (const s of sources) assert.is(sha(s), hashes[s], `${s} is unchanged`);
  assert.is(rt('delete', '--force', 'exe').code, 0);
});

test('exec and the init: fds 0-2 only, the cwd and root inside the container, the same capabilities, no_new_privs and seccomp filter', async () => {
  const b = bundle('fds', ['sleep', '60']);
  const work = join(base, 'host-cwd');
  mkdirSync(work);
  // The caller's cwd and an inherited host directory fd must not reach the container.
  const held = openSync(work, 'r');
  // stderr to a file: the container keeps the stdio it was given, a pipe would hold spawnSync until it ends.
  const errFile = join(base, 'fds.err');
  const err = openSync(errFile, 'w');
  const created = spawnSync(RUNTIME, ['--root', root, 'create', '--bundle', b, 'fds'], { cwd: work, stdio: ['ignore', 'ignore', err, held], timeout: 60_000 });
  assert.is(created.status, 0, readFileSync(errFile, 'utf8'));
  assert.is(rt('start', 'fds').code, 0);
  const exec = spawnSync(RUNTIME, ['--root', root, 'exec', '--detach', '--pid-file', join(base, 'exec.pid'), 'fds', 'sleep', '30'], { cwd: work, stdio: ['ignore', 'ignore', err, held], timeout: 60_000 });
  closeSync(held);
  closeSync(err);
  assert.is(exec.status, 0, readFileSync(errFile, 'utf8'));
  const pids = [initPid('fds'), Number(readFileSync(join(base, 'exec.pid'), 'utf8'))];
  // The pid file names the process as soon as it is forked: wait until it is the command (the container's busybox),
  // past the toolbox's setpriv, loader and env (a forked shell opens /dev/null for a background job's stdin on the way).
  for (let i = 0; i < 100 && !pids.every((pid) => readlinkSync(`/proc/${pid}/exe`).endsWith('/bin/busybox')); i++) await sleep(50);
  const initRoot = readlinkSync(`/proc/${pids[0]}/root`);
  for (const pid of pids) {
    const fds = readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
    assert.equal(fds, [0, 1, 2], `${pid === pids[0] ? "the init" : "the exec"} (pid ${pid}) has only stdio: ${fds.map((fd) => `${fd}=${readlinkSync(`/proc/${pid}/fd/${fd}`)}`).join(' ')}`);
    for (const fd of fds) assert.not.ok(readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(work), 'no fd on the host directory');
    assert.is(readlinkSync(`/proc/${pid}/cwd`), '/', `pid ${pid}'s cwd is the container's /`);
    assert.is(readlinkSync(`/proc/${pid}/root`), initRoot);
    assert.ok(spawnSync('test', ['-e', `/proc/${pid}/cwd/bin/busybox`]).status === 0, 'its cwd is the container\'s root (its busybox is there)');
    assert.not.ok(existsSync(`/proc/${pid}/cwd/${work.slice(1)}`) && existsSync(`/proc/${pid}/cwd/${work.slice(1)}/../..${base}`), 'not the host\'s');
  }
  for (const field of ['CapBnd', 'CapEff', 'CapPrm', 'CapInh', 'CapAmb', 'NoNewPrivs', 'Seccomp']) {
    assert.is(statusField(pids[1]!, field), statusField(pids[0]!, field), `exec has the init's ${field}`);
  }
  assert.is(statusField(pids[0]!, 'Seccomp'), '2', 'the filter is on');
  assert.is(statusField(pids[0]!, 'NoNewPrivs'), '1');
  assert.is(statusField(pids[0]!, 'CapBnd'), '00000000a80425fb', 'containerd\'s capabilities, no CAP_SYS_ADMIN');
  assert.is(rt('delete', '--force', 'fds').code, 0);
});

test('--preserve-fds 1: only the caller\'s fd 3 reaches the container; its fd 4 (a host directory) and the copies carried at fd 10 never do', async () => {
  const b = bundle('keep1', ['sleep', '60']);
  const work = join(base, 'host-cwd');
  const passed = join(base, 'keep1.file');
  writeFileSync(passed, 'passed\n');
  const fds = [openSync(passed, 'r'), openSync(work, 'r')];
  const errFile = join(base, 'fds.err');
  const err = openSync(errFile, 'w');
  const created = spawnSync(RUNTIME, ['--root', root, 'create', '--bundle', b, '--preserve-fds', '1', 'keep1'], { stdio: ['ignore', 'ignore', err, ...fds], timeout: 60_000 });
  for (const fd of [...fds, err]) closeSync(fd);
  assert.is(created.status, 0, readFileSync(errFile, 'utf8'));
  const pid = initPid('keep1');
  assert.is(rt('start', 'keep1').code, 0);
  for (let i = 0; i < 100 && !readlinkSync(`/proc/${pid}/exe`).endsWith('/bin/busybox'); i++) await sleep(50);
  const open = readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
  assert.equal(open, [0, 1, 2, 3], `only stdio and the preserved fd: ${open.map((fd) => `${fd}=${readlinkSync(`/proc/${pid}/fd/${fd}`)}`).join(' ')}`);
  assert.is(readlinkSync(`/proc/${pid}/fd/3`), passed);
  assert.is(rt('delete', '--force', 'keep1').code, 0);
});

test('the image\'s NSS module (its nsswitch.conf) runs only with the container\'s capabilities, no_new_privs and filter, in the init and in exec (a user to change to; as root it never loads): a host-only file stays unread', () => {
  if (spawnSync('gcc', ['--version']).status !== 0) throw new Error('needs gcc (apt-get install gcc libc6-dev) for the probe');
  const b = bundle('nss', ['true']);
  // Beside the bundle's rootfs: on the host's file system, outside the container's root.
  const marker = join(b, 'host-only');
  const secret = `host-only ${process.pid}-${Date.now()}`;
  writeFileSync(marker, secret, { mode: 0o600 });
  // The probe: glibc loads it when setpriv resolves the user; it reports its privileges, then tries the host's file
  // system by handle from the container's root (a bind of a host directory, on the host's file system).
  const src = join(b, 'nss-probe.c');
  writeFileSync(src, `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
${STATUS_FIELD_C}
__attribute__((constructor)) static void probe(void) {
  char cap[32] = "?", nnp[8] = "?", sec[8] = "?", buf[256] = {0};
  field("CapEff:", cap, sizeof cap); field("NoNewPrivs:", nnp, sizeof nnp); field("Seccomp:", sec, sizeof sec);
  dprintf(2, "PROBE capeff=%s nnp=%s seccomp=%s\\n", cap, nnp, sec);
  int mfd = open("/", O_RDONLY | O_DIRECTORY);
  struct { unsigned int bytes; int type; unsigned char h[8]; } fh = { 8, 1, { 2, 0, 0, 0, 0, 0, 0, 0 } };
  int hroot = mfd < 0 ? -1 : open_by_handle_at(mfd, (void *)&fh, O_RDONLY | O_DIRECTORY);
  int fd = hroot < 0 ? -1 : openat(hroot, ${JSON.stringify(marker.slice(1))}, O_RDONLY);
  if (fd >= 0 && read(fd, buf, sizeof buf - 1) > 0) dprintf(2, "PROBE-LEAK %s\\n", buf);
}
`);
  const lib = join(b, 'rootfs', 'lib', 'x86_64-linux-gnu');
  mkdirSync(lib, { recursive: true });
  const built = spawnSync('gcc', ['-shared', '-fPIC', '-O1', '-o', join(lib, 'libnss_probe.so.2'), src], { encoding: 'utf8' });
  assert.is(built.status, 0, built.stderr);
  writeFileSync(join(b, 'rootfs', 'etc', 'nsswitch.conf'), 'passwd: probe files\ngroup: probe files\n');
  const config = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')) as { process: { args: string[]; user: { uid: number; gid: number; additionalGids?: number[] } }; linux: { cgroupsPath: string } };
  const withProcess = (name: string, args: string[], user: { uid: number; gid: number; additionalGids?: number[] }) =>
    writeFileSync(join(b, 'config.json'), JSON.stringify({ ...config, process: { ...config.process, args, user }, linux: { ...config.linux, cgroupsPath: `${parent}/${name}` } }));
  // A user to change to: the second setpriv looks it up (the attack is in place).
  withProcess('nss-init', ['true'], { uid: 1000, gid: 1000, additionalGids: [10] });
  const ran = rt('run', '--bundle', b, 'nss-init');
  assert.is(ran.code, 0, ran.stderr);
  const init = ran.stderr;
  // A 0:0 process of nsbox-runtime run by root changes no user: its one setpriv names none, nothing is looked up and
  // the module never loads (identityKept, final-exec.ts), in the init and in exec.
  withProcess('nss-root', ['true'], { uid: 0, gid: 0 });
  const asRoot = rt('run', '--bundle', b, 'nss-root');
  assert.is(asRoot.code, 0, asRoot.stderr);
  assert.equal(asRoot.stderr.split('\n').filter((l) => l.startsWith('PROBE')), [], `the init as root: no NSS lookup: ${asRoot.stderr}`);
  // exec: a container that stays up (the same bundle, its command changed).
  withProcess('nss-exec', ['sleep', '60'], { uid: 0, gid: 0 });
  assert.is(rt('run', '--detach', '--bundle', b, 'nss').code, 0);
  const execRoot = rt('exec', 'nss', 'true');
  assert.is(execRoot.code, 0, execRoot.stderr);
  assert.equal(execRoot.stderr.split('\n').filter((l) => l.startsWith('PROBE')), [], `exec as root: no NSS lookup: ${execRoot.stderr}`);
  const exec = rt('exec', '--user', '1000:1000', 'nss', 'true');
  assert.is(exec.code, 0, exec.stderr);
  for (const [what, out] of [['the init', init], ['exec', exec.stderr]] as const) {
    const lines = out.split('\n').filter((l) => l.startsWith('PROBE'));
    assert.ok(lines.length > 0, `${what}: the image's NSS module was loaded (the attack is in place): ${out}`);
    for (const line of lines) assert.is(line, 'PROBE capeff=00000000a80425fb nnp=1 seccomp=2', `${what}: the module ran with more than the container's privileges: ${line}`);
    assert.not.ok(out.includes(secret), `${what}: the host-only file was read`);
  }
  assert.is(rt('delete', '--force', 'nss').code, 0);
});

test('the image\'s /etc/ld.so.preload never reaches the toolbox (init, exec), nor one a container process writes or puts in a new /etc; the host file a link there names is untouched', () => {
  const b = bundle('preload', ['sleep', '60']);
  const victimFile = join(b, 'host-victim');
  writeFileSync(victimFile, 'precious\n');
  // The library the image names: it reports where it runs (busybox is static: only the toolbox's tools load it).
  const src = join(b, 'preload-probe.c');
  writeFileSync(src, '#include <stdio.h>\n__attribute__((constructor)) static void probe(void) { dprintf(2, "PRELOAD-PROBE ran\\n"); }\n');
  const lib = join(b, 'rootfs', 'lib', 'probe.so');
  mkdirSync(join(b, 'rootfs', 'lib'), { recursive: true });
  const built = spawnSync('gcc', ['-shared', '-fPIC', '-O1', '-o', lib, src], { encoding: 'utf8' });
  assert.is(built.status, 0, built.stderr);
  writeFileSync(join(b, 'rootfs', 'etc', 'ld.so.preload'), '/lib/probe.so\n');
  const ran = rt('run', '--detach', '--bundle', b, 'preload');
  assert.is(ran.code, 0, ran.stderr);
  const pid = initPid('preload');
  assert.is(readFileSync(`/proc/${pid}/root/etc/ld.so.preload`, 'utf8'), '', 'the container sees an empty /etc/ld.so.preload');
  // The container tries to plant one for the next exec: write it, or move /etc away and make a new one.
  const plant = rt('exec', 'preload', 'sh', '-c', 'echo /lib/probe.so > /etc/ld.so.preload 2>/dev/null; echo "kept $(wc -c < /etc/ld.so.preload)"; mv /etc /etc2 2>/dev/null && mkdir /etc && echo /lib/probe.so > /etc/ld.so.preload && echo moved || echo move-refused');
  assert.is(plant.code, 0, plant.stderr);
  assert.match(plant.stdout, /^kept 0$/m, 'a write goes nowhere (the file is /dev/null, read-only)');
  assert.match(plant.stdout, /move-refused/, '/etc is a mount point: it cannot be moved away');
  assert.is(readFileSync(`/proc/${pid}/root/etc/ld.so.preload`, 'utf8'), '', 'still empty, seen from the host');
  const exec = rt('exec', 'preload', 'true');
  assert.is(exec.code, 0, exec.stderr);
  for (const [what, out] of [['the init', ran.stderr], ['exec', plant.stderr + exec.stderr]] as const) {
    assert.not.match(out, /PRELOAD-PROBE/, `${what}: the toolbox loaded the container's /etc/ld.so.preload`);
  }
  assert.is(rt('delete', '--force', 'preload').code, 0);
  // A link at /etc/ld.so.preload is removed, never written through or mounted over (its target is the host's).
  rmSync(join(b, 'rootfs', 'etc', 'ld.so.preload'));
  spawnSync('ln', ['-s', victimFile, join(b, 'rootfs', 'etc', 'ld.so.preload')]);
  const config = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')) as { process: { args: string[] } };
  writeFileSync(join(b, 'config.json'), JSON.stringify({ ...config, process: { ...config.process, args: ['true'] } }));
  const linked = rt('run', '--bundle', b, 'preload-link');
  assert.is(linked.code, 0, linked.stderr);
  assert.not.match(linked.stderr, /PRELOAD-PROBE/);
  assert.is(readFileSync(victimFile, 'utf8'), 'precious\n', 'the host file the link named is unchanged');
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(victimFile), 'nothing is mounted on it');
  rt('delete', '--force', 'preload-link');
});

test('/proc and /sys: read-only /proc/sys and the masks hold against writes, remount and umount (the host\'s value is unchanged)', () => {
  const knob = '/proc/sys/vm/max_map_count';
  const hostValue = readFileSync(knob, 'utf8');
  const other = String(Number(hostValue) + 7);
  const script = [
    `echo ${other} > ${knob} 2>/dev/null && echo WROTE-SYS`,
    'mount -o remount,rw /proc/sys 2>/dev/null && echo REMOUNTED-SYS',
    'umount /proc/sys 2>/dev/null && echo UNMOUNTED-SYS; umount -l /proc/sys 2>/dev/null && echo UNMOUNTED-SYS',
    `echo ${other} > ${knob} 2>/dev/null && echo WROTE-SYS`,
    'umount /sys/firmware 2>/dev/null && echo UNMOUNTED-FW; umount -l /sys/firmware 2>/dev/null && echo UNMOUNTED-FW',
    'mount -o remount,rw /sys 2>/dev/null && echo REMOUNTED-SYSFS',
    'mount -t proc proc /tmp 2>/dev/null && echo NEW-PROC',
    'echo "firmware entries: $(ls /sys/firmware | wc -l)"',
    'for m in /proc/kcore /proc/sysrq-trigger /proc/timer_list; do [ -e $m ] || continue; umount $m 2>/dev/null && echo UNMOUNTED-$m; echo "mask $m: $(head -c 16 $m | wc -c)"; done',
    // A mask is the host's /dev/null: a write to it succeeds and goes nowhere (the kernel log shows no sysrq help).
    '[ -e /proc/sysrq-trigger ] && { echo "sysrq node: $(stat -c "%t:%T" /proc/sysrq-trigger)"; echo h > /proc/sysrq-trigger; }',
    'echo done',
  ].join('\n');
  const sysrqHelp = () => (spawnSync('dmesg', [], { encoding: 'utf8' }).stdout.match(/sysrq: HELP/g) ?? []).length;
  const helpBefore = sysrqHelp();
  const run = rt('run', '--bundle', bundle('procsys', ['sh', '-c', script]), 'procsys');
  const out = run.stdout + run.stderr;
  assert.is(run.code, 0, out);
  assert.match(out, /done/);
  assert.not.match(out, /WROTE|REMOUNTED|UNMOUNTED|NEW-PROC/, out);
  assert.match(out, /firmware entries: 0/, `/sys/firmware is masked (the host has ${readdirSync('/sys/firmware').length} entries)`);
  const checked = [...out.matchAll(/mask (\S+): (\d+)/g)];
  const present = ['/proc/kcore', '/proc/sysrq-trigger', '/proc/timer_list'].filter((m) => existsSync(m));
  assert.equal(checked.map((m) => m[1]), present, 'every masked file this kernel has was checked inside');
  for (const m of checked) assert.is(m[2], '0', `${m[1]} reads as empty`);
  if (present.includes('/proc/sysrq-trigger')) {
    assert.match(out, /sysrq node: 1:3/, '/proc/sysrq-trigger is the host\'s /dev/null inside');
    assert.is(sysrqHelp(), helpBefore, 'the write reached no sysrq handler (no "sysrq: HELP" in the host\'s kernel log)');
  }
  assert.is(readFileSync(knob, 'utf8'), hostValue, `the host's ${knob} is unchanged`);
});

test('linux.readonlyPaths over a volume: the volume is read-only inside (mount --all would skip the bind as already mounted); a volume inside /proc is refused at create, nothing left', () => {
  const volume = join(base, 'ro-volume');
  mkdirSync(volume);
  writeFileSync(join(volume, 'kept'), 'host data\n');
  const hashBefore = sha(join(volume, 'kept'));
  const b = bundle('rovol', ['sh', '-c', 'echo pwned > /data/kept 2>/dev/null && echo WROTE; echo new > /data/new 2>/dev/null && echo CREATED; mount -o remount,rw /data 2>/dev/null && echo REMOUNTED; echo done']);
  const config = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8'));
  mkdirSync(join(b, 'rootfs', 'data'));
  config.mounts.push({ destination: '/data', type: 'bind', source: volume, options: ['rbind'] });
  config.linux.readonlyPaths.push('/data');
  writeFileSync(join(b, 'config.json'), JSON.stringify(config));
  const run = rt('run', '--bundle', b, 'rovol');
  assert.is(run.code, 0, run.stderr);
  assert.is(run.stdout, 'done\n', `the volume under a read-only path took a write: ${run.stdout}`);
  assert.is(sha(join(volume, 'kept')), hashBefore, 'the host file in the volume is unchanged');
  assert.equal(readdirSync(volume), ['kept'], 'nothing was created in the host directory');

  // Over /proc/sys (a read-only path of its own) a volume would hide the kernel's view; runc refuses it too.
  for (const destination of ['/proc/sys', '/proc/self/attr', '/proc']) {
    const name = `procvol${destination.replace(/\//g, '-')}`;
    const pb = bundle(name, ['sh', '-c', 'echo pwned > /proc/sys/probe; echo ran']);
    const pc = JSON.parse(readFileSync(join(pb, 'config.json'), 'utf8'));
    pc.mounts.push({ destination, type: 'bind', source: volume, options: ['rbind'] });
    writeFileSync(join(pb, 'config.json'), JSON.stringify(pc));
    const refused = rt('create', '--bundle', pb, name);
    assert.is(refused.code, 1, `${destination}: ${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, destination === '/proc' ? /\/proc takes only a mount of type proc/ : /is inside \/proc/);
    assert.not.ok(existsSync(join(root, name)), `${destination}: no state left for the refused container`);
  }
  assert.equal(readdirSync(volume), ['kept'], 'the refused containers wrote nothing into the host directory');
  assert.equal(cgroupsLeft().flatMap((d) => readdirSync(d).filter((e) => e.startsWith('procvol'))), [], 'no cgroup left by a refused create');
});

test('root.readonly with a volume at /etc: the volume keeps its own flags (writable), the root stays read-only', () => {
  const volume = join(base, 'etc-volume');
  mkdirSync(volume);
  const vb = bundle('rwetc', ['sh', '-c', 'touch /etc/new && echo CREATED-ETC; touch /new 2>/dev/null && echo CREATED-ROOT; echo done']);
  const vc = JSON.parse(readFileSync(join(vb, 'config.json'), 'utf8'));
  vc.root.readonly = true;
  vc.mounts.push({ destination: '/etc', type: 'bind', source: volume, options: ['rbind'] });
  writeFileSync(join(vb, 'config.json'), JSON.stringify(vc));
  const rw = rt('run', '--bundle', vb, 'rwetc');
  assert.is(rw.code, 0, rw.stderr);
  assert.is(rw.stdout, 'CREATED-ETC\ndone\n', 'the writable volume at /etc stays writable under a read-only root');
  assert.ok(existsSync(join(volume, 'new')));
  assert.not.ok(existsSync(join(vb, 'rootfs', 'new')), 'nothing new in the bundle\'s root');
});

test('exec -t: a container whose /dev/pts is a link to a host directory (no devpts mount there) does not make the host-side pty helper open the host\'s file there', async () => {
  // The host victim: a FIFO with a host writer waiting for someone to open it (a root helper opening it is the harm:
  // a /dev/watchdog there would arm the host's watchdog).
  const victim = join(base, 'tty-victim');
  mkdirSync(victim);
  spawnSync('mkfifo', [join(victim, 'ptmx')]);
  const flag = join(base, 'tty-victim-opened');
  // /dev itself is a mount point (it cannot be swapped: see the toolbox test below); without a devpts mount its pts is
  // the container's to replace.
  const b = bundle('ttylink', ['sh', '-c', `rm -rf /dev/pts && ln -s ${victim} /dev/pts && echo swapped > /tmp/swapped; sleep 30`]);
  assert.is(rt('create', '--bundle', b, 'ttylink').code, 0);
  assert.is(rt('start', 'ttylink').code, 0);
  const pid = initPid('ttylink');
  for (let i = 0; i < 50 && !existsSync(`/proc/${pid}/root/tmp/swapped`); i++) await sleep(100);
  assert.ok(existsSync(`/proc/${pid}/root/tmp/swapped`), 'the container swapped its /dev (the attack is set)');
  const writer = spawn('sh', ['-c', 'echo x > "$1" && echo opened > "$2"', 'sh', join(victim, 'ptmx'), flag], { stdio: 'ignore' });
  const exec = rt('exec', '--tty', 'ttylink', 'true');
  await sleep(300);
  writer.kill('SIGKILL');
  assert.not.ok(existsSync(flag), `the host's FIFO was opened by the exec's pty helper: ${exec.stderr}`);
  assert.is(exec.code, 1, 'the exec fails');
  assert.match(exec.stderr, /Too many levels of symbolic links/);
  assert.is(rt('delete', '--force', 'ttylink').code, 0);
});

/**
 * A static program that reports its privileges and tries the host's file system by handle (the root of the file
 * system the bundle is on), then leaves /tmp/probe-ran: planted by a container process where exec looks for its tools.
 */
function buildToolboxImpostor(b: string, marker: string): string {
  const out = join(b, 'rootfs', 'impostor');
  const src = `${out}.c`;
  writeFileSync(src, `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void) {
  char buf[4096] = {0}, leak[256] = {0}; int fd = open("/proc/self/status", O_RDONLY);
  if (fd >= 0) { read(fd, buf, sizeof buf - 1); close(fd); }
  char *cap = strstr(buf, "CapEff:");
  int mfd = open("/", O_RDONLY | O_DIRECTORY);
  struct { unsigned int bytes; int type; unsigned char h[8]; } fh = { 8, 1, { 2, 0, 0, 0, 0, 0, 0, 0 } };
  int hroot = mfd < 0 ? -1 : open_by_handle_at(mfd, (void *)&fh, O_RDONLY | O_DIRECTORY);
  int m = hroot < 0 ? -1 : openat(hroot, ${JSON.stringify(marker.slice(1))}, O_RDONLY);
  if (m >= 0) read(m, leak, sizeof leak - 1);
  const char *reports[] = { "/tmp/probe-ran", "/probe-ran" };
  for (int i = 0; i < 2; i++) { int ran = open(reports[i], O_WRONLY | O_CREAT | O_APPEND, 0644); if (ran >= 0) { dprintf(ran, "IMPOSTOR %.24s leak=%s\\n", cap ? cap : "?", leak); close(ran); } }
  dprintf(2, "IMPOSTOR %.24s leak=%s\\n", cap ? cap : "?", leak);
  return 0;
}
`);
  const built = spawnSync('gcc', ['-static', '-O1', '-o', out, src], { encoding: 'utf8' });
  assert.is(built.status, 0, built.stderr);
  return out;
}

/**
 * A container whose command `plant` puts its own program (the impostor, which reads the host-only file if it runs as
 * host root) under the toolbox's names, then one exec into it. `adjust` edits the bundle before create. Returns what
 * exec said, what the impostor reported (nothing, if it never ran), what the container said it planted, and the
 * host-only file's text; the container is deleted before the caller asserts.
 */
async function plantThenExec(id: string, plant: string, adjust: (bundleDir: string) => void = () => {}) {
  const b = bundle(id, ['sh', '-c', plant]);
  const marker = join(b, 'host-only');
  const secret = `host-only ${process.pid}-${Date.now()}`;
  writeFileSync(marker, secret, { mode: 0o600 });
  buildToolboxImpostor(b, marker);
  adjust(b);
  const created = rt('create', '--bundle', b, id);
  assert.is(created.code, 0, created.stderr);
  assert.is(rt('start', id).code, 0);
  const pid = initPid(id);
  const planted = `/proc/${pid}/root/tmp/planted`;
  for (let i = 0; i < 50 && !existsSync(planted); i++) await sleep(100);
  const moved = existsSync(planted) ? readFileSync(planted, 'utf8') : '';
  const exec = rt('exec', id, 'true');
  const ran = existsSync(`/proc/${pid}/root/tmp/probe-ran`) ? readFileSync(`/proc/${pid}/root/tmp/probe-ran`, 'utf8') : '';
  rt('delete', '--force', id);
  return { exec, ran, moved, secret };
}

for (const variant of ['no /dev mount: the container renames its /dev away', 'the image\'s /dev is a link: the container replaces it'] as const) {
  test(`exec never runs a toolbox the container made (${variant}): the host-only file stays unread`, async () => {
    if (spawnSync('gcc', ['--version']).status !== 0) throw new Error('needs gcc (apt-get install gcc libc6-dev) for the probe');
    const id = variant.startsWith('no') ? 'devmove' : 'devrelink';
    // The container puts its own program at every name of the toolbox, in a /dev of its own.
    const plant = `${id === 'devmove' ? 'mv /dev /dev.old' : 'rm /dev'} && mkdir -p /dev/.nsbox && for f in ${id === 'devmove' ? '/dev.old/.nsbox/*' : '/devreal/.nsbox/*'}; do cp /impostor "/dev/.nsbox/\${f##*/}"; done; echo "tried: $(ls /dev/.nsbox | tr '\\n' ' ')" > /tmp/planted; sleep 30`;
    const { exec, ran, moved, secret } = await plantThenExec(id, plant, (b) => {
      const config = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')) as { mounts: { destination: string }[] };
      if (id === 'devmove') config.mounts = config.mounts.filter((m) => m.destination !== '/dev');
      else {
        rmSync(join(b, 'rootfs', 'dev'), { recursive: true, force: true });
        mkdirSync(join(b, 'rootfs', 'devreal'));
        spawnSync('ln', ['-s', '/devreal', join(b, 'rootfs', 'dev')]);
      }
      writeFileSync(join(b, 'config.json'), JSON.stringify(config));
    });
    assert.match(moved, /^tried/, 'the container tried to plant its toolbox (the attack ran)');
    assert.not.ok((exec.stderr + ran).includes(secret), `the host-only file was read: ${exec.stderr}${ran}`);
    assert.is(ran, '', `exec ran the container's program as its toolbox (${moved.trim()}): ${ran}`);
    assert.not.match(exec.stderr, /IMPOSTOR/);
    assert.is(exec.code, 0, `exec runs nsbox's own toolbox: ${exec.stderr}`);
  });
}

// exec enters the init's namespaces, but the init is the container's process: it can chroot (CAP_SYS_CHROOT is in
// every caller's default set) into a directory of its own, or make a user namespace (no seccomp filter, as ctr runs
// containers) and a mount namespace in it where it mounts its own files over /dev/.nsbox. exec's nsenter took the
// init's root (--root) and its current mount namespace, so the toolbox it ran was the container's program, with every
// capability of the host's root.
for (const variant of ['the init chroots into a directory of its own', 'the init makes a user and mount namespace of its own'] as const) {
  test(`exec never runs a toolbox the container made (${variant}): the host-only file stays unread`, async () => {
    if (spawnSync('gcc', ['--version']).status !== 0) throw new Error('needs gcc (apt-get install gcc libc6-dev) for the probe');
    const id = variant.includes('chroots') ? 'initchroot' : 'inituserns';
    const plant = id === 'initchroot'
      ? 'mkdir -p /evil/dev/.nsbox /evil/tmp /evil/bin && cp /bin/busybox /evil/bin/ && for f in /dev/.nsbox/*; do cp /impostor "/evil/dev/.nsbox/${f##*/}"; done && echo "tried: $(ls /evil/dev/.nsbox | tr \'\\n\' \' \')" > /evil/tmp/planted && exec chroot /evil /bin/busybox sleep 30'
      : 'ls /dev/.nsbox > /tmp/names && exec unshare -Urm sh -c \'mount -t tmpfs t /dev/.nsbox && for f in $(cat /tmp/names); do cp /impostor /dev/.nsbox/$f; done && echo "tried: $(ls /dev/.nsbox | tr "\\n" " ")" > /tmp/planted; exec sleep 30\'';
    const { exec, ran, moved, secret } = await plantThenExec(id, plant);
    assert.match(moved, /^tried: \S/, 'the container planted its toolbox (the attack ran)');
    assert.not.ok((exec.stderr + ran).includes(secret), `the host-only file was read: ${exec.stderr}${ran}`);
    assert.is(ran, '', `exec ran the container's program as its toolbox (${moved.trim()}): ${ran}`);
    assert.not.match(exec.stderr, /IMPOSTOR/);
    if (id === 'initchroot') assert.is(exec.code, 0, `exec runs nsbox's own toolbox in the container's root: ${exec.stderr}`);
    else assert.equal([exec.code, exec.stderr.trim()], [1, 'nsbox-runtime: cannot exec in the container: its init is in a user namespace of its own'], 'refused on one line');
  });
}

test('an image whose /etc is a link: a container process that replaces it with an /etc of its own naming its library in ld.so.preload does not get it loaded by exec (the host-only file stays unread)', () => {
  if (spawnSync('gcc', ['--version']).status !== 0) throw new Error('needs gcc (apt-get install gcc libc6-dev) for the probe');
  const b = bundle('etclink', ['sleep', '60']);
  const marker = join(b, 'host-only');
  const secret = `host-only ${process.pid}-${Date.now()}`;
  writeFileSync(marker, secret, { mode: 0o600 });
  const src = join(b, 'preload-probe.c');
  writeFileSync(src, `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void probe(void) {
  char buf[256] = {0};
  int mfd = open("/", O_RDONLY | O_DIRECTORY);
  struct { unsigned int bytes; int type; unsigned char h[8]; } fh = { 8, 1, { 2, 0, 0, 0, 0, 0, 0, 0 } };
  int hroot = mfd < 0 ? -1 : open_by_handle_at(mfd, (void *)&fh, O_RDONLY | O_DIRECTORY);
  int fd = hroot < 0 ? -1 : openat(hroot, ${JSON.stringify(marker.slice(1))}, O_RDONLY);
  if (fd >= 0) read(fd, buf, sizeof buf - 1);
  dprintf(2, "PRELOAD-PROBE leak=%s\\n", buf);
}
`);
  mkdirSync(join(b, 'rootfs', 'lib'), { recursive: true });
  const built = spawnSync('gcc', ['-shared', '-fPIC', '-O1', '-o', join(b, 'rootfs', 'lib', 'probe.so'), src], { encoding: 'utf8' });
  assert.is(built.status, 0, built.stderr);
  rmSync(join(b, 'rootfs', 'etc'), { recursive: true, force: true });
  mkdirSync(join(b, 'rootfs', 'etcreal'));
  writeFileSync(join(b, 'rootfs', 'etcreal', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  spawnSync('ln', ['-s', 'etcreal', join(b, 'rootfs', 'etc')]);
  const ran = rt('run', '--detach', '--bundle', b, 'etclink');
  assert.is(ran.code, 0, ran.stderr);
  const plant = rt('exec', 'etclink', 'sh', '-c', 'cat /etc/passwd; rm /etc 2>/dev/null || rm -rf /etc; mkdir /etc; echo /lib/probe.so > /etc/ld.so.preload; echo tried');
  const exec = rt('exec', 'etclink', 'true');
  rt('delete', '--force', 'etclink');
  assert.match(plant.stdout, /^root:x:0:0/m, 'the container sees the image\'s /etc through the link');
  assert.match(plant.stdout, /^tried$/m, 'the container tried to plant its /etc/ld.so.preload (the attack ran)');
  const out = plant.stderr + exec.stderr;
  assert.not.ok(out.includes(secret), `the host-only file was read: ${out}`);
  assert.not.match(out, /PRELOAD-PROBE/, `exec's toolbox loaded the container's library: ${out}`);
  assert.is(exec.code, 0, exec.stderr);
});

/** File system types a host's root may have: the old root that the init unmounts after pivot_root is the host's. */
const ROOT_FS_TYPES = ['ext4', 'ext3', 'ext2', 'xfs', 'btrfs', 'overlay', 'tmpfs', 'zfs', 'f2fs', 'ext4.fuse'];

test('the image\'s umount.<type> helpers never run: the init\'s toolbox umount (old root, every capability) takes no helper from the container\'s /sbin; the host-only file stays unread', () => {
  if (spawnSync('gcc', ['--version']).status !== 0) throw new Error('needs gcc (apt-get install gcc libc6-dev) for the probe');
  const b = bundle('umounthelper', ['sh', '-c', 'echo ran']);
  const marker = join(b, 'host-only');
  const secret = `host-only ${process.pid}-${Date.now()}`;
  writeFileSync(marker, secret, { mode: 0o600 });
  const impostor = buildToolboxImpostor(b, marker);
  const hostType = spawnSync('findmnt', ['-n', '-o', 'FSTYPE', '/'], { encoding: 'utf8' }).stdout.trim();
  mkdirSync(join(b, 'rootfs', 'sbin'), { recursive: true });
  for (const type of new Set([...ROOT_FS_TYPES, hostType])) spawnSync('cp', [impostor, join(b, 'rootfs', 'sbin', `umount.${type}`)]);
  const run = rt('run', '--bundle', b, 'umounthelper');
  const report = join(b, 'rootfs', 'probe-ran');
  const ran = existsSync(report) ? readFileSync(report, 'utf8') : '';
  assert.not.ok((run.stdout + run.stderr + ran).includes(secret), `the host-only file was read: ${ran}${run.stderr}`);
  assert.is(ran + run.stderr.split('\n').filter((l) => l.includes('IMPOSTOR')).join('\n'), '', `the image's umount helper ran in the init: ${ran}${run.stderr}`);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /^ran$/m, 'the container\'s process ran');
});

test('a startContainer hook (its path resolves in the container: the image\'s program) runs with the process\'s privileges, as runc runs it: the container\'s capabilities, no_new_privs and filter; the host-only file stays unread', () => {
  if (spawnSync('gcc', ['--version']).status !== 0) throw new Error('needs gcc (apt-get install gcc libc6-dev) for the probe');
  const b = bundle('starthook', ['sh', '-c', 'echo ran']);
  const marker = join(b, 'host-only');
  const secret = `host-only ${process.pid}-${Date.now()}`;
  writeFileSync(marker, secret, { mode: 0o600 });
  buildToolboxImpostor(b, marker);
  const config = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')) as Record<string, unknown>;
  // The caller (a hooks.d entry of podman, say) names a program; the image decides what is there.
  config.hooks = { startContainer: [{ path: '/impostor', args: ['impostor'] }] };
  writeFileSync(join(b, 'config.json'), JSON.stringify(config));
  const run = rt('run', '--bundle', b, 'starthook');
  const report = join(b, 'rootfs', 'probe-ran');
  const ran = existsSync(report) ? readFileSync(report, 'utf8') : '';
  assert.match(ran, /^IMPOSTOR CapEff:/m, `the hook ran (the attack ran): ${run.stderr}`);
  assert.not.ok((run.stdout + run.stderr + ran).includes(secret), `the host-only file was read by the image's hook: ${ran}`);
  // The container's own set (CAPS: no CAP_DAC_READ_SEARCH, no CAP_SYS_ADMIN), never the host root's.
  assert.match(ran, /CapEff:\s+00000000a80425fb/, `the hook ran with more than the container's capabilities: ${ran}`);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /^ran$/m, 'the container\'s process ran after the hook');
});

test('a newline in a mount destination (config.json, or an image VOLUME podman makes one of) or in the link an image\'s /etc is runs nothing in the init: no shell line, no fstab line (host paths checked)', () => {
  const made = join(base, 'inject-victim');
  mkdirSync(made);
  const shellMark = join(made, 'shell-ran');
  const fstabMark = join(made, 'fstab-made');
  // A destination (two plain mounts in a row: the run's comments and fstab too).
  const b = bundle('inject', ['sh', '-c', 'echo ran']);
  const config = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')) as { mounts: { destination: string; type: string; source: string }[] };
  config.mounts.push({ destination: `/data\ntouch ${shellMark}\n`, type: 'tmpfs', source: 'tmpfs' }, { destination: '/data2', type: 'tmpfs', source: 'tmpfs' });
  writeFileSync(join(b, 'config.json'), JSON.stringify(config));
  const run = rt('run', '--bundle', b, 'inject');
  assert.equal(readdirSync(made), [], `the init ran the shell line a destination named: ${run.stderr}`);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /^ran$/m);
  // The image's /etc link, named in the why of /etc's bind in the fstab: an entry of its own would make a host directory.
  const linked = bundle('inject-etc', ['sh', '-c', 'echo ran']);
  rmSync(join(linked, 'rootfs', 'etc'), { recursive: true, force: true });
  spawnSync('ln', ['-s', `etcreal\ntmpfs ${fstabMark} tmpfs X-mount.mkdir 0 0\n#`, join(linked, 'rootfs', 'etc')]);
  const run2 = rt('run', '--bundle', linked, 'inject-etc');
  assert.equal(readdirSync(made), [], `mount(8) took an fstab entry from where the image's /etc leads: ${run2.stderr}`);
  assert.is(run2.code, 0, run2.stderr);
  assert.match(run2.stdout, /^ran$/m);
});

test('device rules that deny (the device guard) and no mount at /dev: the root\'s own /dev, bound onto itself, is nodev as the root is (read from the host)', () => {
  const b = bundle('devguard', ['sleep', '30']);
  const config = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')) as { mounts: { destination: string }[] };
  config.mounts = config.mounts.filter((m) => m.destination !== '/dev');
  writeFileSync(join(b, 'config.json'), JSON.stringify(config));
  const created = rt('create', '--bundle', b, 'devguard');
  assert.is(created.code, 0, created.stderr);
  const pid = initPid('devguard');
  // The init waits at the gate after pivot_root: its mountinfo shows the container's mounts, / first.
  const mounts = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' '));
  rt('delete', '--force', 'devguard');
  const at = (path: string) => mounts.filter((f) => f[4] === path).at(-1);
  assert.ok(at('/')?.[5]?.split(',').includes('nodev'), `the root is nodev (the guard is on): ${at('/')?.join(' ')}`);
  assert.ok(at('/dev') !== undefined, 'the root\'s /dev is a mount point of its own');
  assert.ok(at('/dev')![5]!.split(',').includes('nodev'), `the root's /dev is nodev too: ${at('/dev')!.join(' ')}`);
});

test('root.readonly: the container writes nowhere in its root, /etc (bound onto itself for the /etc/ld.so.preload guard) and /dev (no mount there) included; the bundle\'s files on the host are unchanged', () => {
  const tries = ['/etc/victim', '/etc/new', '/dev/new', '/new'].map((f) => `(echo pwned >> ${f}) 2>/dev/null && echo "WROTE ${f}"`).join('; ');
  const b = bundle('rootro', ['sh', '-c', `${tries}; echo done`]);
  writeFileSync(join(b, 'rootfs', 'etc', 'victim'), 'precious\n');
  const config = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')) as { root: { readonly?: boolean }; mounts: { destination: string }[] };
  config.root.readonly = true;
  config.mounts = config.mounts.filter((m) => m.destination !== '/dev');
  writeFileSync(join(b, 'config.json'), JSON.stringify(config));
  const victimBefore = sha(join(b, 'rootfs', 'etc', 'victim'));
  const run = rt('run', '--bundle', b, 'rootro');
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /done/, 'the writes were tried');
  assert.not.match(run.stdout, /WROTE/, `the read-only root took a write: ${run.stdout}`);
  assert.is(sha(join(b, 'rootfs', 'etc', 'victim')), victimBefore, 'the bundle\'s /etc/victim is unchanged');
  for (const f of ['etc/new', 'dev/new', 'new']) assert.not.ok(existsSync(join(b, 'rootfs', f)), `${f} appeared in the bundle's rootfs`);
});

test('a container with its cgroups mounted writable (podman\'s systemd mode) that moves its processes into cgroups of its own below them: delete --force kills every one and leaves no cgroup', async () => {
  const id = 'cgescape';
  // No pid namespace: killing the init does not take the rest with it, so only the cgroups find them.
  const script = [
    'if [ -e /sys/fs/cgroup/cgroup.procs ]; then dirs=/sys/fs/cgroup; else dirs=$(echo /sys/fs/cgroup/*/); fi',
    'for d in $dirs; do',
    '  mkdir -p "$d/esc" && { [ ! -e "$d/cpuset.cpus" ] || { cat "$d/cpuset.cpus" > "$d/esc/cpuset.cpus" && cat "$d/cpuset.mems" > "$d/esc/cpuset.mems"; }; } && echo $$ > "$d/esc/cgroup.procs" && echo "moved $d" >> /moved',
    'done',
    'sleep 1000 & echo $! > /child',
    'exec sleep 1000',
  ].join('\n');
  const b = bundle(id, ['sh', '-c', script]);
  const config = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')) as { mounts: unknown[]; linux: { namespaces: { type: string }[] } };
  config.linux.namespaces = config.linux.namespaces.filter((n) => n.type !== 'pid');
  config.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'rw'] });
  writeFileSync(join(b, 'config.json'), JSON.stringify(config));
  const childFile = join(b, 'rootfs', 'child');
  const mine = () => cgroupsLeft().map((d) => join(d, id)).filter((d) => existsSync(d));
  let child = 0;
  try {
    const ran = rt('run', '--detach', '--bundle', b, id);
    assert.is(ran.code, 0, ran.stderr);
    for (let i = 0; i < 100 && !existsSync(childFile); i++) await sleep(50);
    child = Number(readFileSync(childFile, 'utf8'));
    const moved = readFileSync(join(b, 'rootfs', 'moved'), 'utf8');
    assert.ok(child > 0 && readFileSync(`/proc/${child}/cgroup`, 'utf8').includes(`/${id}/esc`), `the container moved its processes into a cgroup of its own (the attack ran): ${moved}`);
    const deleted = rt('delete', '--force', id);
    assert.is(deleted.code, 0, deleted.stderr);
    for (let i = 0; i < 40 && existsSync(`/proc/${child}/stat`) && !/\) [ZX] /.test(readFileSync(`/proc/${child}/stat`, 'utf8')); i++) await sleep(50);
    const left = existsSync(`/proc/${child}/stat`) ? readFileSync(`/proc/${child}/stat`, 'utf8') : '';
    assert.ok(left === '' || /\) [ZX] /.test(left), `a process of the deleted container still runs: ${left}`);
    assert.equal(mine(), [], 'the container\'s cgroups (and the ones it made below them) are gone');
  } finally {
    // Before the fix the survivor and the cgroups stayed: end them here, so the files after this one run clean.
    if (child > 0 && existsSync(`/proc/${child}/cmdline`) && readFileSync(`/proc/${child}/cmdline`, 'utf8').startsWith('sleep')) process.kill(child, 'SIGKILL');
    await sleep(100);
    for (const dir of mine()) spawnSync('sh', ['-c', 'find "$1" -depth -type d -exec rmdir {} +', 'sh', dir]);
    rt('delete', '--force', id);
  }
});

test('ids cannot traverse: create, state, exec and delete refuse ../ ids, nothing is made outside the state root', () => {
  const b = bundle('ids', ['true']);
  const victim = join(base, 'victim-dir');
  for (const id of ['../victim-dir', '../../x', 'a/b', '..', '.']) {
    for (const args of [['create', '--bundle', b, id], ['state', id], ['exec', id, 'true'], ['delete', '--force', id], ['kill', id, '9']]) {
      const r = rt(...args);
      assert.is(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /invalid container id/, `${args.join(' ')}: ${r.stderr}`);
    }
  }
  assert.not.ok(existsSync(victim), 'nothing made next to the state root');
  assert.equal(readdirSync(base).filter((e) => !['state', 'bb-rootfs', 'bb.tar', 'rt.out', 'rt.err'].includes(e) && !existsSync(join(base, e, 'config.json')) && !['host-cwd', 'exec.pid', 'fds.err', 'tty-victim', 'keep1.file', 'ro-volume', 'etc-volume', 'inject-victim'].includes(e)), []);
});

test('linux.sysctl with the runtime\'s own network namespace joined by path is refused at create (runc\'s rule): the host\'s value unchanged, nothing left', () => {
  // The runtime runs in a network namespace of the test's, which stands for the host's: its ip_default_ttl is the victim.
  const b = bundle('hostnetsysctl', ['true']);
  const config = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8'));
  config.linux.namespaces = [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network', path: '/proc/self/ns/net' }];
  config.linux.sysctl = { 'net.ipv4.ip_default_ttl': '33' };
  writeFileSync(join(b, 'config.json'), JSON.stringify(config));
  const ttl = '/proc/sys/net/ipv4/ip_default_ttl';
  const script = `cat ${ttl}; "$0" --root "$1" run --bundle "$2" hostnetsysctl >/dev/null 2>"$3"; echo "rc=$?"; cat ${ttl}`;
  const r = spawnSync('unshare', ['--net', '--', 'sh', '-c', script, RUNTIME, root, b, join(base, 'hostnetsysctl.err')], { encoding: 'utf8', timeout: 60_000 });
  const err = readFileSync(join(base, 'hostnetsysctl.err'), 'utf8');
  const [before, rc, after] = r.stdout.trim().split('\n');
  assert.is(after, before, `the "host's" ip_default_ttl is unchanged (runtime: ${rc} ${err})`);
  assert.is.not(rc, 'rc=0', 'create refused it');
  assert.match(err, /linux\.sysctl\.net\.ipv4\.ip_default_ttl.*host's net namespace/);
  assert.not.ok(existsSync(join(root, 'hostnetsysctl')), 'no state left');
});

test.run();
