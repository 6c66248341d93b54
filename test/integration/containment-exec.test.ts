// Integration (root), threat classes "a box process meets what exec brings in" and "inherited fds" (SECURITY.md),
// the CVE-2019-5736 and CVE-2024-21626 classes. A box's PID 1 is a watcher (static C): it scans /proc for every new
// PID that `nsbox exec` starts and, for each, opens /proc/PID/exe for writing (at once, and again later through an
// O_PATH fd, after the process has exec'd on: the way runc's binary was overwritten), and tries to read the
// host-only marker and create a file next to the victim through /proc/PID/root and /proc/PID/cwd. It never writes
// to an exe it could open (so a failing run cannot damage the host's tools); it reports it. The box's /bin/sh is
// the script `#!/proc/self/exe` (re-execute whatever binary runs it). Exec is also started with extra open fds (a
// host directory, the marker) and with -w naming a host path and /proc/self/fd/N.

import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSBOX, nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { writeDockerSave, type FixtureEntry } from './image-fixtures.js';
import { assertVictimIntact, binaryEntry, compile, cString, fingerprint, fingerprintFile, hasGcc, makeVictim, STATUS_FIELD_C, treeEntries, type Victim } from './containment-fixtures.js';
import { gatedTest } from '../helpers/suite.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : !hasGcc ? 'needs gcc (apt-get install gcc libc6-dev)' : undefined;
const test = gatedTest(skipReason);

const base = mkdtempSync(join(tmpdir(), 'nsbox-contain-exec-'));
const root = join(base, 'store');
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: root, NSBOX_STATE: join(base, 'state'), NSBOX_IMAGE_NETWORK: 'none' };
const cli = (args: string[], timeoutMs = 60_000): Result => nsbox(args, { env: ENV, timeoutMs });
const BOX = 'watched';
/** Host binaries exec could run in the box: hashed before and after (the watcher never writes, but check). */
const HOST_TOOLS = ['/usr/bin/nsenter', '/usr/bin/setpriv', '/usr/sbin/chroot', '/usr/bin/env', '/usr/bin/unshare', '/lib64/ld-linux-x86-64.so.2'].filter((p) => existsSync(p));
let victim: Victim;

function watcherSource(v: Victim): string {
  return `#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define MAXP 4096
#define PROBES 100
static int seen[MAXP];
static int held[MAXP];
static unsigned reported[MAXP];
/* Each finding once per PID (a PID is probed on every scan while it lives, up to PROBES times: the process may
   still hold every capability on the first look, and exec on into something weaker a moment later). */
static void report(int kind, const char *fmt, const char *a, int pid) {
  if (reported[pid] & (1u << kind)) return;
  reported[pid] |= 1u << kind;
  dprintf(1, fmt, pid, a);
}
static void probe(int pid) {
  char path[256], link[512], buf[256];
  ssize_t n;
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  n = readlink(path, link, sizeof link - 1); link[n > 0 ? n : 0] = 0;
  if (seen[pid] == 1) dprintf(1, "SEEN %d exe=%s\\n", pid, link);
  int fd = open(path, O_WRONLY);
  if (fd >= 0) { report(0, "EXE-WRITABLE %d %s\\n", link, pid); close(fd); }
  if (held[pid] < 0) held[pid] = open(path, O_PATH);
  const char *dirs[] = { "root", "cwd" };
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "/proc/%d/%s", pid, dirs[i]);
    n = readlink(path, link, sizeof link - 1); link[n > 0 ? n : 0] = 0;
    // (a cwd may be any box directory: -w; the reads below are what tells the host's tree from the box's)
    if (i == 0 && n > 0 && strcmp(link, "/") != 0) report(1, "ROOT %d %s\\n", link, pid);
    snprintf(path, sizeof path, "/proc/%d/%s%s", pid, dirs[i], ${cString(v.marker)});
    fd = open(path, O_RDONLY);
    if (fd >= 0) { n = read(fd, buf, sizeof buf - 1); buf[n > 0 ? n : 0] = 0; close(fd); report(2 + i, "MARKER-READ %d %s", buf, pid); }
    snprintf(path, sizeof path, "/proc/%d/%s%s/pwned-%s-%d", pid, dirs[i], ${cString(v.dir)}, dirs[i], pid);
    fd = open(path, O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) { close(fd); report(4 + i, "VICTIM-WRITE %d %s\\n", dirs[i], pid); }
  }
}
int main(void) {
  for (int i = 0; i < MAXP; i++) held[i] = -1;
  seen[getpid()] = PROBES;
  dprintf(1, "WATCHING\\n");
  for (;;) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      int pid = atoi(e->d_name);
      if (pid <= 0 || pid >= MAXP || seen[pid] >= PROBES) continue;
      seen[pid]++;
      probe(pid);
    }
    if (d) closedir(d);
    // A held exe: once its process has exec'd on, the file is no longer busy: is it writable now?
    for (int pid = 0; pid < MAXP; pid++) {
      if (held[pid] < 0) continue;
      char path[64], link[512];
      snprintf(path, sizeof path, "/proc/self/fd/%d", held[pid]);
      struct stat exe, box;
      // The box's own files (on its root's file system) are its to write; a host executable is not.
      if (fstat(held[pid], &exe) == 0 && stat("/", &box) == 0 && exe.st_dev == box.st_dev) { close(held[pid]); held[pid] = -2; continue; }
      int fd = open(path, O_WRONLY);
      if (fd >= 0) {
        ssize_t n = readlink(path, link, sizeof link - 1); link[n > 0 ? n : 0] = 0;
        report(6, "EXE-WRITABLE-LATER %d %s\\n", link, pid); close(fd); close(held[pid]); held[pid] = -2;
      }
    }
    usleep(50);  // a shared machine: scan often, not flat out
  }
}
`;
}

/** The inherited fds exec is started with: the victim directory, the marker (no close-on-exec; high numbers, like a
 * caller's leaked descriptors). */
const DIR_FD = 100;
const MARKER_FD = 101;

/** Runs nsbox exec with the victim directory open on fd DIR_FD and the marker on fd MARKER_FD. */
function execWithFds(args: string[]): Promise<Result> {
  const dirFd = openSync(victim.dir, constants.O_RDONLY | constants.O_DIRECTORY);
  const markerFd = openSync(victim.marker, 'r');
  const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(DIR_FD - 3).fill('ignore'), dirFd, markerFd];
  return new Promise((resolve) => {
    const child = spawn(NSBOX, ['exec', ...args], { env: ENV, stdio });
    closeSync(dirFd);
    closeSync(markerFd);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const logs = (): string => {
  const r = cli(['logs', BOX]);
  return `${r.stdout}${r.stderr}`;
};

const fingerprintTools = (): string => HOST_TOOLS.map(fingerprintFile).join('\n');

test.before(async () => {
  if (skipReason) return;
  victim = makeVictim(base);
  const r = cli(['image', 'import', '--from-host-busybox', 'busybox']);
  assert.is(r.code, 0, r.stderr);
  const busyboxFs = (JSON.parse(cli(['image', 'inspect', 'busybox']).stdout) as { lowerDirs: string[] }).lowerDirs[0]!;
  compile(watcherSource(victim), join(base, 'watcher'), ['-static']);
  const entries: FixtureEntry[] = [
    ...treeEntries(busyboxFs, '', ['bin/sh']),
    { name: 'bin/sh', mode: 0o755, content: '#!/proc/self/exe\n' },
    binaryEntry('watcher', join(base, 'watcher')),
  ];
  const file = join(base, 'watcher.tar');
  await writeDockerSave(file, { layers: [entries], config: { Cmd: ['/watcher'] } });
  const imported = cli(['image', 'import', file, 'watcher']);
  assert.is(imported.code, 0, imported.stderr);
  const started = cli(['run', '-d', '--name', BOX, 'watcher']);
  assert.is(started.code, 0, started.stderr);
  for (let i = 0; i < 100 && !logs().includes('WATCHING'); i++) await new Promise((res) => setTimeout(res, 50));
  assert.match(logs(), /WATCHING/, 'the watcher runs');
});

test.after(() => {
  if (!skipReason) cli(['rm', '-f', BOX]);
  if (!skipReason) cli(['rm', '-f', 'jailed']);
  if (!skipReason) cli(['rm', '-f', 'squatter']);
  rmSync(base, { recursive: true, force: true });
});

/** What the watcher found: nothing but SEEN lines for processes with the box's root and cwd. */
function assertWatcherFoundNothing(what: string): void {
  const found = logs().split('\n').filter((l) => l !== '' && l !== 'WATCHING' && !l.startsWith('SEEN '));
  assert.equal(found, [], `${what}: a box process reached the host through an exec'd process`);
}

test('exec: the processes exec brings into the box have its root and cwd, and no writable host executable', async () => {
  const before = fingerprint(victim);
  const tools = fingerprintTools();
  let seen = '';
  for (let i = 0; i < 12; i++) {
    const r = cli(['exec', ...(i % 2 ? ['-w', '/tmp', '-u', '1000:1000'] : []), BOX, '/bin/busybox', 'true']);
    seen += r.stdout + r.stderr;
    assert.is(r.code, 0, `exec ${i}: ${r.stderr}`);
  }
  await new Promise((res) => setTimeout(res, 300));
  const seenLines = logs().split('\n').filter((l) => l.startsWith('SEEN '));
  assert.ok(seenLines.length >= 6, `the watcher saw exec's processes (${seenLines.length} seen)`);
  assertWatcherFoundNothing('exec');
  await assertVictimIntact(victim, before, seen + logs(), [join(root, 'containers')], 'exec');
  assert.is(fingerprintTools(), tools, 'host tools unchanged');
});

test('exec: a box whose /bin/sh is #!/proc/self/exe runs no host binary in a loop; exec never uses the box\'s sh', async () => {
  const before = fingerprint(victim);
  const started = Date.now();
  const viaSh = cli(['exec', BOX, '/bin/sh', '-c', 'true'], 20_000);
  assert.is(viaSh.signal, null, `exec /bin/sh ended by itself: ${viaSh.stderr}`);
  assert.ok(viaSh.code !== 0, 'the box\'s /bin/sh is broken: exec of it fails');
  const withWorkdir = cli(['exec', '-w', '/tmp', BOX, '/bin/busybox', 'pwd'], 20_000);
  assert.is(withWorkdir.code, 0, `-w does not need the box's sh: ${withWorkdir.stderr}`);
  assert.is(withWorkdir.stdout, '/tmp\n');
  assert.ok(Date.now() - started < 20_000, 'no loop');
  await new Promise((res) => setTimeout(res, 300));
  assertWatcherFoundNothing('#!/proc/self/exe');
  await assertVictimIntact(victim, before, viaSh.stderr + withWorkdir.stdout + withWorkdir.stderr, [join(root, 'containers')], '#!/proc/self/exe');
});

test('exec: only fds 0-2 reach the command (an inherited host directory fd is a way out); -w is always a box path', async () => {
  const before = fingerprint(victim);
  const script = [
    // (fds 3-9 are left out: the shell's own glob and pipes use them for a moment)
    'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -ge 10 ] && echo "open fd $n: $(readlink $f)"; done',
    `cat /proc/$$/fd/${MARKER_FD} 2>/dev/null`,
    `echo pwned > /proc/$$/fd/${DIR_FD}/pwned-fd 2>/dev/null && echo wrote-through-fd`,
    'echo done',
  ].join('; ');
  const fds = await execWithFds([BOX, '/bin/busybox', 'sh', '-c', script]);
  assert.is(fds.code, 0, fds.stderr);
  assert.is(fds.stdout, 'done\n', `the command saw inherited fds: ${fds.stdout}`);
  // -w through an inherited fd (CVE-2024-21626): there is none to go through
  const viaFd = await execWithFds(['-w', `/proc/self/fd/${DIR_FD}`, BOX, '/bin/busybox', 'sh', '-c', 'pwd; cat host-only-marker; echo pwned > pwned-cwd']);
  assert.ok(viaFd.code !== 0, `-w /proc/self/fd/N must fail: ${viaFd.code} ${viaFd.stdout} ${viaFd.stderr}`);
  // -w naming the victim's host path: that path does not exist in the box
  const hostPath = cli(['exec', '-w', victim.dir, BOX, '/bin/busybox', 'sh', '-c', 'pwd; cat host-only-marker; echo pwned > pwned-w']);
  assert.ok(hostPath.code !== 0, `-w ${victim.dir} must fail in the box: ${hostPath.code} ${hostPath.stdout} ${hostPath.stderr}`);
  const relative = cli(['exec', '-w', '/proc/1/cwd/../../../..', BOX, '/bin/busybox', 'pwd']);
  assert.is(relative.code, 0, relative.stderr);
  assert.is(relative.stdout, '/\n', 'a -w climbing through /proc stays in the box');
  await assertVictimIntact(victim, before, [fds, viaFd, hostPath, relative].map((r) => r.stdout + r.stderr).join(''), [join(root, 'containers')], 'fds');
  assertWatcherFoundNothing('fds');
});

test('exec: a PID 1 that chroots itself into a jail with a fake toolbox does not choose where exec lands', async () => {
  const before = fingerprint(victim);
  // The fake loader would run with every capability if exec followed PID 1's root (CAP_SYS_CHROOT is Docker's).
  const jail = [
    'mkdir -p /jail/bin /jail/dev/.nsbox && cp /bin/busybox /jail/bin/',
    `printf '#!/bin/busybox sh\\necho FAKE-TOOLBOX-RAN; echo pwned > /jail/ran\\n' > /jail/dev/.nsbox/ld-linux-x86-64.so.2`,
    'chmod +x /jail/dev/.nsbox/ld-linux-x86-64.so.2',
    'echo jailed; exec chroot /jail /bin/busybox sleep 1000',
  ].join(' && ');
  const started = cli(['run', '-d', '--name', 'jailed', 'busybox', 'sh', '-c', jail]);
  assert.is(started.code, 0, started.stderr);
  try {
    // Until PID 1 has chrooted (its root is the jail, seen from the host): before that, the test would prove nothing.
    const pid = cli(['inspect', '-f', '{{.State.Pid}}', 'jailed']).stdout.trim();
    const jailed = (): boolean => { try { return readlinkSync(`/proc/${pid}/root`).endsWith('/jail'); } catch { return false; } };
    for (let i = 0; i < 200 && !jailed(); i++) await new Promise((res) => setTimeout(res, 50));
    assert.ok(jailed(), `PID 1 (${pid}) chrooted into /jail: ${cli(['logs', 'jailed']).stdout}`);
    const r = cli(['exec', 'jailed', '/bin/busybox', 'ls', '/']);
    assert.is(r.code, 0, r.stderr);
    assert.not.match(r.stdout + r.stderr, /FAKE-TOOLBOX-RAN/);
    assert.ok(r.stdout.split('\n').includes('jail') && r.stdout.split('\n').includes('etc'), `exec lands in the box's root, not PID 1's jail: ${r.stdout}`);
    const ran = cli(['exec', 'jailed', '/bin/busybox', 'sh', '-c', 'test -e /jail/ran && echo fake-ran || echo clean']);
    assert.is(ran.stdout, 'clean\n', `exec after the jail: code ${ran.code} signal ${ran.signal} stderr ${ran.stderr}`);
    await assertVictimIntact(victim, before, r.stdout + r.stderr, [], 'jail');
    assertWatcherFoundNothing('jail');
  } finally {
    cli(['rm', '-f', 'jailed']);
  }
});

/** A static program that reports its CapEff and tries to read the host-only marker by handle (CAP_DAC_READ_SEARCH on the host). */
function impostorSource(v: Victim): string {
  return `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
${STATUS_FIELD_C}
int main(void) {
  char cap[64] = "?", leak[256] = {0};
  field("CapEff:", cap, sizeof cap);
  int mfd = open("/", O_RDONLY | O_DIRECTORY);
  struct { unsigned int bytes; int type; unsigned char h[8]; } fh = { 8, 1, { 2, 0, 0, 0, 0, 0, 0, 0 } };
  int hroot = mfd < 0 ? -1 : open_by_handle_at(mfd, (void *)&fh, O_RDONLY | O_DIRECTORY);
  int m = hroot < 0 ? -1 : openat(hroot, ${cString(v.marker.slice(1))}, O_RDONLY);
  if (m >= 0) read(m, leak, sizeof leak - 1);
  int ran = open("/tmp/probe-ran", O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (ran >= 0) { dprintf(ran, "IMPOSTOR CapEff %s leak=%s\\n", cap, leak); close(ran); }
  dprintf(2, "IMPOSTOR CapEff %s leak=%s\\n", cap, leak);
  return 0;
}
`;
}

test('exec and cp never enter a mount namespace PID 1 made in a user namespace of its own (seccomp=unconfined): the box\'s program never runs as the toolbox, the host-only marker stays unread', async () => {
  const before = fingerprint(victim);
  const busyboxFs = (JSON.parse(cli(['image', 'inspect', 'busybox']).stdout) as { lowerDirs: string[] }).lowerDirs[0]!;
  compile(impostorSource(victim), join(base, 'impostor'), ['-static']);
  const file = join(base, 'squatter.tar');
  await writeDockerSave(file, { layers: [[...treeEntries(busyboxFs, ''), binaryEntry('impostor', join(base, 'impostor'))]], config: { Cmd: ['/bin/sh'] } });
  assert.is(cli(['image', 'import', file, 'squatter']).code, 0);
  // PID 1 itself unshares (nsenter targets it), covers the toolbox with a tmpfs of its own, and fills it with the impostor under every name.
  const plant = 'ls /dev/.nsbox > /tmp/names && exec unshare -Urm sh -c \'mount -t tmpfs t /dev/.nsbox && for f in $(cat /tmp/names); do cp /impostor /dev/.nsbox/$f; done && echo "planted $(ls /dev/.nsbox | wc -l)" > /tmp/planted; exec sleep 1000\'';
  const started = cli(['run', '-d', '--name', 'squatter', '--security-opt', 'seccomp=unconfined', 'squatter', 'sh', '-c', plant]);
  assert.is(started.code, 0, started.stderr);
  try {
    const pid = cli(['inspect', '-f', '{{.State.Pid}}', 'squatter']).stdout.trim();
    const planted = `/proc/${pid}/root/tmp/planted`;
    for (let i = 0; i < 100 && !existsSync(planted); i++) await new Promise((res) => setTimeout(res, 50));
    assert.match(existsSync(planted) ? readFileSync(planted, 'utf8') : '', /^planted [1-9]/, `PID 1 planted its toolbox (the attack ran): ${cli(['logs', 'squatter']).stdout}`);
    const exec = cli(['exec', 'squatter', '/bin/busybox', 'true']);
    const copy = cli(['cp', 'squatter:/tmp/names', join(base, 'names-copy')]);
    const ranFile = `/proc/${pid}/root/tmp/probe-ran`;
    const ran = existsSync(ranFile) ? readFileSync(ranFile, 'utf8') : '';
    await assertVictimIntact(victim, before, exec.stderr + copy.stderr + ran, [join(root, 'containers')], 'squatter');
    assert.is(ran, '', `nsbox ran the box's program as its toolbox: ${ran}`);
    assert.equal([exec.code, exec.stderr.trim()], [125, 'nsbox: cannot exec in box squatter: its PID 1 is in a user namespace of its own'], 'exec refused on one line');
    assert.equal([copy.code, copy.stderr.trim()], [125, 'nsbox: cannot copy from box squatter: its PID 1 is in a user namespace of its own'], 'cp refused on one line');
    assert.not.ok(existsSync(join(base, 'names-copy')), 'cp made nothing');
  } finally {
    cli(['rm', '-f', 'squatter']);
    cli(['rmi', 'squatter']);
  }
});

test.run();
