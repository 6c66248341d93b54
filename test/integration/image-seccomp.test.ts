// Integration (root): the seccomp filter of image boxes, checked for real. A small static probe (built here with
// gcc, never committed) makes one syscall per group in a child each and prints its errno, so a refusal by the
// filter (EPERM) is told apart from the kernel's own answer in an unconfined box (success, ENOENT, ENOTTY):
// nested user namespaces (unshare and clone), keyctl, mount, ioctl TIOCSTI. Also: Seccomp: 2 seen in the box and
// from the host (/proc/PID/status, nsbox ns), in an `nsbox exec` process; unconfined and --privileged; a custom
// JSON profile that denies mkdir; --cap-add SYS_ADMIN giving mount back; a malformed profile (one line, exit 125,
// nothing created). Store and state in temp dirs; cgroups under ./sc-<pid> of this test's own; no network.

import * as assert from 'uvu/assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectCgroupHost, findHierarchy } from '../../src/cgroup/detect.js';
import { testCgroupDir } from '../helpers/cgroup-dirs.js';
import { findTool } from '../../src/host/tools.js';
import { gatedTest } from '../helpers/suite.js';
import { ok, NSBOX, isRoot, nsbox, type Result } from '../helpers/nsbox.js';
import { snapshot } from '../helpers/leaks.js';

const host = detectCgroupHost();
const skip = !isRoot
  ? 'needs root'
  : !existsSync('/bin/busybox')
    ? 'needs /bin/busybox (apt-get install busybox-static)'
    : !findTool('gcc') || !existsSync('/usr/lib/x86_64-linux-gnu/libc.a') && !existsSync('/usr/lib/aarch64-linux-gnu/libc.a')
      ? 'needs gcc and a static libc (apt-get install gcc libc6-dev) for the syscall probe'
      : !findTool('perl') && !/--seccomp-filter/.test(spawnSync('setpriv', ['--help'], { encoding: 'utf8' }).stdout ?? '')
        ? 'needs a seccomp loader: perl-base, or util-linux 2.41+'
        : host.mode === 'none'
          ? 'no cgroup filesystem'
          : !findTool('script')
            ? 'needs script (util-linux) for a real terminal'
            : undefined;

const test = gatedTest(skip);
const BASE = mkdtempSync(join(tmpdir(), 'nsbox-seccomp-'));
const STORE = join(BASE, 'store');
const STATE = join(BASE, 'state');
const PROBE_DIR = join(BASE, 'probe');
const PARENT = `sc-${process.pid}`;
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: STORE, NSBOX_STATE: STATE, NSBOX_CGROUP_PARENT: `./${PARENT}`, NSBOX_IMAGE_NETWORK: 'none' };
const CONTROLLERS = ['pids', 'memory'].filter((c) => findHierarchy(host, c));
const EPERM = 'errno=1';

const nsboxRun = (args: readonly string[]): Result => nsbox(args, { env: ENV, timeoutMs: 60_000 });
/** Runs the probe in a busybox box (probe mounted read-only at /probe); returns call -> "ok" | "errno=N". */
function probe(flags: readonly string[], calls: readonly string[]): Record<string, string> {
  const out = ok(nsboxRun(['run', '--rm', ...flags, '-v', `${PROBE_DIR}:/probe:ro`, 'busybox', '/probe/sc', ...calls]), `probe ${flags.join(' ')}`);
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split(' ') as [string, string]));
}

const PROBE_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/keyctl.h>

/* One call, in a child of its own (an unshare that works must not change the next call's world). */
static long call(const char *c) {
  if (!strcmp(c, "keyctl")) return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1);
  if (!strcmp(c, "unshare-user")) return syscall(SYS_unshare, CLONE_NEWUSER);
  if (!strcmp(c, "clone-user")) {
    long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid(pid, 0, 0);
    return pid;
  }
  /* The kernel looks the target up before it checks CAP_SYS_ADMIN: unfiltered, a missing target is ENOENT. */
  if (!strcmp(c, "mount")) return syscall(SYS_mount, "none", "/nonexistent-target", "tmpfs", 0, 0);
  /* On a non-terminal fd the kernel answers ENOTTY; the filter answers before the kernel looks. */
  if (!strcmp(c, "tiocsti")) { char ch = 'x'; return ioctl(1, TIOCSTI, &ch); }
  /* Types a line into the terminal on fd 1: whoever reads that terminal next (the caller's shell) gets it. */
  if (!strcmp(c, "inject")) {
    for (const char *s = "INJECTED\n"; *s; s++) if (ioctl(1, TIOCSTI, s) < 0) return -1;
    return 0;
  }
  if (!strcmp(c, "mkdir")) return mkdir("/tmp/probe-dir", 0700);
  if (!strcmp(c, "getpid")) return getpid();
  /* The caller's key (its id in $KEYID): printed if the box can read it. */
  if (!strcmp(c, "readkey")) {
    char buf[256] = {0}; const char *id = getenv("KEYID");
    long n = syscall(SYS_keyctl, KEYCTL_READ, id ? atol(id) : 0, buf, sizeof buf - 1);
    if (n > 0) printf("leaked=%s\n", buf);
    return n;
  }
  errno = EINVAL;
  return -1;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      errno = 0;
      long r = call(argv[i]);
      if (r < 0) printf("%s errno=%d\n", argv[i], errno); else printf("%s ok\n", argv[i]);
      fflush(stdout);
      _exit(0);
    }
    waitpid(pid, 0, 0);
  }
  return 0;
}
`;

const parentDir = (controller: string): string => testCgroupDir(host, controller, PARENT);

/** What a box leaves: container dirs, box records, its cgroups. */
function residue() {
  return {
    containers: existsSync(join(STORE, 'containers')) ? readdirSync(join(STORE, 'containers')) : [],
    boxes: existsSync(join(STATE, 'boxes')) ? readdirSync(join(STATE, 'boxes')) : [],
    cgroups: [...new Set(CONTROLLERS.map(parentDir))].flatMap((d) => (existsSync(d) ? readdirSync(d).filter((n) => n.startsWith('nsbox-')) : [])),
  };
}

let mountsBefore: readonly string[] = [];

test.before(() => {
  mkdirSync(PROBE_DIR, { recursive: true });
  writeFileSync(join(BASE, 'sc.c'), PROBE_C);
  execFileSync('gcc', ['-static', '-O1', '-o', join(PROBE_DIR, 'sc'), join(BASE, 'sc.c')]);
  ok(nsboxRun(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox');
  mountsBefore = snapshot().mounts;
});

test.after.each(async () => {
  const r = nsboxRun(['ps', '-a', '-q']);
  for (const id of r.stdout.split('\n').filter(Boolean)) nsboxRun(['rm', '-f', id]);
  for (let i = 0; i < 50 && snapshot().mounts.length !== mountsBefore.length; i++) await sleep(20);
  assert.equal(snapshot().mounts, mountsBefore, 'no mount left on the host');
  assert.equal(residue(), { containers: [], boxes: [], cgroups: [] }, 'nothing left behind');
});

test.after(() => {
  for (const dir of new Set(CONTROLLERS.map(parentDir))) if (existsSync(dir)) rmdirSync(dir);
  rmSync(BASE, { recursive: true, force: true });
});

test('a default image box runs in seccomp filter mode (Seccomp: 2), seen inside and from the host; exec too', async () => {
  assert.match(ok(nsboxRun(['run', '--rm', 'busybox', 'cat', '/proc/self/status']), 'status'), /^Seccomp:\s+2$/m);
  ok(nsboxRun(['run', '-d', '--name', 'sc-d', 'busybox', 'sleep', '100']), 'run -d');
  const [info] = JSON.parse(ok(nsboxRun(['inspect', 'sc-d']), 'inspect')) as { State?: { Pid?: number }; pid?: number; init?: { pid: number } }[];
  const pid = info?.State?.Pid ?? info?.init?.pid ?? info?.pid;
  assert.ok(typeof pid === 'number' && pid > 1, `the box's PID from inspect: ${JSON.stringify(info)}`);
  // From the host: the box's PID 1 (the command itself) has the filter, nsbox itself does not.
  assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^Seccomp:\s+2$/m, 'PID 1 of the box, read on the host');
  assert.match(readFileSync('/proc/self/status', 'utf8'), /^Seccomp:\s+0$/m, 'the test itself is unfiltered');
  assert.match(ok(nsboxRun(['ns', String(pid)]), 'ns'), /^Seccomp\s+2 \(filter, \d+ programs?\)$/m);
  const json = JSON.parse(ok(nsboxRun(['ns', '--json', String(pid)]), 'ns --json')) as { process: { seccomp: number } };
  assert.is(json.process.seccomp, 2);
  // nsbox exec: the new process gets the box's filter as well.
  assert.match(ok(nsboxRun(['exec', 'sc-d', 'cat', '/proc/self/status']), 'exec'), /^Seccomp:\s+2$/m);
  assert.is(ok(nsboxRun(['exec', 'sc-d', 'sh', '-c', 'unshare -U true 2>/dev/null; echo $?']), 'exec unshare').trim(), '1', 'exec: no nested user namespace either');
});

test('refused in a default box, allowed unconfined: nested user namespaces, keyctl, mount, TIOCSTI', async () => {
  const calls = ['getpid', 'unshare-user', 'clone-user', 'keyctl', 'mount', 'tiocsti'];
  const confined = probe([], calls);
  assert.equal(confined, { getpid: 'ok', 'unshare-user': EPERM, 'clone-user': EPERM, keyctl: EPERM, mount: EPERM, tiocsti: EPERM }, 'default profile');
  // The same calls without the filter: the kernel's own answers, so the refusals above are the filter's.
  const free = probe(['--security-opt', 'seccomp=unconfined'], calls);
  assert.equal(free, { getpid: 'ok', 'unshare-user': 'ok', 'clone-user': 'ok', keyctl: 'ok', mount: 'errno=2', tiocsti: 'errno=25' }, 'unconfined');
  assert.equal(probe(['--privileged'], ['unshare-user', 'keyctl']), { 'unshare-user': 'ok', keyctl: 'ok' }, '--privileged implies unconfined');
  // busybox's own unshare, as a user would try it.
  const r = nsboxRun(['run', '--rm', 'busybox', 'unshare', '-U', 'true']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /Operation not permitted/);
  assert.match(ok(nsboxRun(['run', '--rm', '--privileged', 'busybox', 'cat', '/proc/self/status']), 'privileged'), /^Seccomp:\s+0$/m);
});

/**
 * In a real pty (script): the box, its output on the terminal (stdin /dev/null: no console), runs the probe's
 * `inject`; then the host shell reads a line from that terminal.
 */
async function injectOnTerminal(flags: string): Promise<string> {
  const box = `${process.env.NSBOX_BIN ?? NSBOX} run --rm ${flags} -v ${PROBE_DIR}:/probe:ro busybox /probe/sc inject </dev/null`;
  const child = spawn('script', ['-qec', `${box}; read -t 2 line; echo "host read: [$line]"`, '/dev/null'], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  // stdin stays open (an EOF would reach the terminal as ^D) until script is done.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', () => { clearTimeout(timer); resolve(); });
  });
  child.stdin.end();
  return out;
}

test('TIOCSTI on the caller\'s terminal: refused by the filter (EPERM), and the box never holds that terminal anyway', async () => {
  const confined = await injectOnTerminal('');
  assert.match(confined, /inject errno=1/, confined);
  assert.match(confined, /host read: \[\]/, `the host shell read nothing: ${confined}`);
  // Unconfined, the filter no longer answers EPERM; the second layer holds: without -t a box gets the caller's
  // terminal only through a pipe nsbox relays (it starts in a session of its own), so TIOCSTI finds no tty (ENOTTY).
  const free = await injectOnTerminal('--security-opt seccomp=unconfined');
  assert.match(free, /inject errno=25/, `unconfined: ${free}`);
  assert.match(free, /host read: \[\]/, `unconfined, the host shell still read nothing: ${free}`);
});

test('--cap-add SYS_ADMIN gives back what Docker\'s profile guards with it (mount, unshare), not keyctl', async () => {
  assert.equal(probe(['--cap-add', 'SYS_ADMIN'], ['mount', 'unshare-user', 'keyctl']), { mount: 'errno=2', 'unshare-user': 'ok', keyctl: EPERM });
});

test('a custom JSON profile (Docker\'s format) that denies mkdir; the rest allowed', async () => {
  const file = join(BASE, 'no-mkdir.json');
  writeFileSync(file, JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, comment: 'EACCES' }],
  }));
  assert.equal(probe(['--security-opt', `seccomp=${file}`], ['mkdir', 'keyctl', 'getpid']), { mkdir: 'errno=13', keyctl: 'ok', getpid: 'ok' });
  const r = nsboxRun(['run', '--rm', '--security-opt', `seccomp=${file}`, 'busybox', 'sh', '-c', 'mkdir /x; echo $?; grep Seccomp: /proc/self/status']);
  assert.match(ok(r, 'busybox mkdir'), /^1\nSeccomp:\s+2\n$/);
});

/** Runs nsbox in a new session keyring of its own that holds a user key with `secret` (KEYID names it), as a login's. */
function withCallerKey(secret: string, args: readonly string[]): Result {
  // keyctl(KEYCTL_JOIN_SESSION_KEYRING) and add_key(2) (x86_64 numbers; the probe itself is built for the host)
  const [keyctl, addKey] = process.arch === 'arm64' ? [219, 217] : [250, 248];
  const script = `syscall(${keyctl}, 1, 0) >= 0 or die "join: $!"; my ($type, $desc, $data) = ("user", "nsbox-test", "${secret}"); my $k = syscall(${addKey}, $type, $desc, $data, length($data), -3); $k > 0 or die "add_key: $!"; $ENV{KEYID} = $k; exec { $ARGV[0] } @ARGV`;
  const r = spawnSync('perl', ['-e', script, '--', NSBOX, ...args], { env: ENV, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

test('the caller\'s session keyring stays out of boxes whose filter lets keyctl through (unconfined, a custom profile): run and exec', async () => {
  const secret = `caller-key-${process.pid}`;
  const allowAll = join(BASE, 'allow-all.json');
  writeFileSync(allowAll, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] }));
  const seen: string[] = [];
  for (const flags of [['--security-opt', 'seccomp=unconfined'], ['--security-opt', `seccomp=${allowAll}`], []]) {
    const r = withCallerKey(secret, ['run', '--rm', ...flags, '-e', 'KEYID', '-v', `${PROBE_DIR}:/probe:ro`, 'busybox', '/probe/sc', 'keyctl', 'readkey']);
    assert.is(r.code, 0, r.stderr);
    seen.push(`run ${flags.join(' ')}: ${r.stdout}`);
  }
  ok(nsboxRun(['run', '-d', '--name', 'keys', '--security-opt', 'seccomp=unconfined', '-v', `${PROBE_DIR}:/probe:ro`, 'busybox', 'sleep', '1000']), 'run -d');
  try {
    const r = withCallerKey(secret, ['exec', '-e', 'KEYID', 'keys', '/probe/sc', 'keyctl', 'readkey']);
    assert.is(r.code, 0, r.stderr);
    seen.push(`exec: ${r.stdout}`);
  } finally {
    nsboxRun(['rm', '-f', 'keys']);
  }
  assert.not.ok(seen.join('').includes(secret), `a box read the caller's key:\n${seen.join('\n')}`);
  // The probe did run keyctl where it was allowed (its own, new session keyring): the test could see a leak.
  assert.match(seen[0]!, /keyctl ok/, seen[0]);
});

test('a malformed profile: one line, exit 125, nothing created (no container dir, record, cgroup, mount)', async () => {
  const bad = join(BASE, 'bad.json');
  const cases: [string, RegExp][] = [
    ['{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOPE"}]}', /^nsbox: invalid seccomp profile .*bad\.json: syscalls\[0\]\.action: must be one of /],
    ['{"defaultAction": ', /^nsbox: invalid seccomp profile .*bad\.json: not JSON/],
  ];
  for (const [text, re] of cases) {
    writeFileSync(bad, text);
    for (const extra of [[], ['-d'], ['--memory', '32m']]) {
      const r = nsboxRun(['run', '--rm', ...extra, '--security-opt', `seccomp=${bad}`, 'busybox', 'true']);
      assert.is(r.code, 125, r.stderr);
      assert.match(r.stderr, re);
      assert.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.equal(residue(), { containers: [], boxes: [], cgroups: [] }, `nothing created (${extra.join(' ')})`);
    }
  }
  const missing = nsboxRun(['run', '--rm', '--security-opt', `seccomp=${join(BASE, 'nosuch.json')}`, 'busybox', 'true']);
  assert.is(missing.code, 125);
  assert.match(missing.stderr, /^nsbox: cannot read seccomp profile .*nosuch\.json: no such file\n$/);
  const typo = nsboxRun(['run', '--rm', '--security-opt', 'seccomp', 'busybox', 'true']);
  assert.is(typo.code, 125);
  assert.match(typo.stderr, /^nsbox: invalid --security-opt "seccomp": seccomp needs a value/);
  assert.is(existsSync(join(STORE, 'seccomp')) ? readdirSync(join(STORE, 'seccomp')).filter((f) => f.endsWith('.tmp')).length : 0, 0, 'no half-written program');
});

test('--explain shows the loading step with its reason', async () => {
  const out = ok(nsboxRun(['run', '--rm', '--explain', '--dry-run', 'busybox', 'true']), 'explain');
  assert.match(out, /#\s+seccomp: profile nsbox's default/);
  assert.match(out, /after the capability drop and no_new_privs/);
  assert.match(out, /seccomp\.bpf/);
  const free = ok(nsboxRun(['run', '--rm', '--explain', '--dry-run', '--security-opt', 'seccomp=unconfined', 'busybox', 'true']), 'explain unconfined');
  assert.match(free, /No seccomp filter/);
  assert.not.match(free, /seccomp\.bpf/);
});

test.run();
