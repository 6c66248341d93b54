// Integration (root): /etc/ld.so.preload of a box must never reach the host tools nsbox runs in it. The toolbox's
// dynamic loader reads that file from the box's root: without the guard, an image naming its library there ran it in
// PID 1's umount and setpriv with every capability and in the seccomp loader before the filter, and a box process
// that wrote the file (or renamed /etc away and made its own) ran it in `nsbox exec`'s setpriv with every
// capability. The library (built here with gcc) appends the CapEff and Seccomp of every process that loads it to a
// host file (a -v volume): the host-side victim, which must stay absent.

import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool } from '../../src/host/tools.js';
import { gatedTest } from '../helpers/suite.js';
import { ok, isRoot, nsbox, type Result } from '../helpers/nsbox.js';
import { packTar, type FixtureEntry } from './image-fixtures.js';
import { removeCgroupParents } from '../helpers/leaks.js';

const skip = !isRoot
  ? 'needs root'
  : !existsSync('/bin/busybox')
    ? 'needs /bin/busybox (apt-get install busybox-static)'
    : !findTool('gcc')
      ? 'needs gcc (apt-get install gcc libc6-dev) for the preloaded library'
      : undefined;

const test = gatedTest(skip);
const BASE = mkdtempSync(join(tmpdir(), 'nsbox-preload-'));
const STORE = join(BASE, 'store');
const STATE = join(BASE, 'state');
const LIB = join(BASE, 'lib');
const OUT = join(BASE, 'out');
const VICTIM = join(OUT, 'loaded-by');
const PARENT = `./pl-${process.pid}`;
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: STORE, NSBOX_STATE: STATE, NSBOX_CGROUP_PARENT: PARENT, NSBOX_IMAGE_NETWORK: 'none' };
const run = (args: readonly string[]): Result => nsbox(args, { env: ENV, timeoutMs: 60_000 });
const victim = (): string => (existsSync(VICTIM) ? readFileSync(VICTIM, 'utf8') : '');

const LIB_C = String.raw`
#include <stdio.h>
#include <string.h>
#include <unistd.h>
/* Runs in every process that loads it: note who it is (exe, CapEff, Seccomp) on the host through /out. */
__attribute__((constructor)) static void noted(void) {
  char st[8192] = {0}, exe[256] = {0};
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return;
  fread(st, 1, sizeof st - 1, f);
  fclose(f);
  readlink("/proc/self/exe", exe, sizeof exe - 1);
  char *cap = strstr(st, "CapEff:"), *sec = strstr(st, "Seccomp:");
  FILE *o = fopen("/out/loaded-by", "a");
  if (!o) return;
  fprintf(o, "%s %.24s %.11s\n", exe, cap ? cap : "", sec ? sec : "");
  fclose(o);
}
`;

/** A directory tree as tar entries (the busybox image's layer, to build the hostile images on). */
function treeEntries(dir: string, rel = ''): FixtureEntry[] {
  const out: FixtureEntry[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const member = `${rel}${name}`;
    const info = lstatSync(path);
    if (info.isDirectory()) out.push({ name: `${member}/`, type: 'directory', mode: info.mode & 0o7777 }, ...treeEntries(path, `${member}/`));
    else if (info.isSymbolicLink()) out.push({ name: member, type: 'symlink', linkname: readlinkSync(path) });
    else if (info.isFile()) out.push({ name: member, content: readFileSync(path), mode: info.mode & 0o7777 });
  }
  return out;
}

async function importImage(name: string, entries: FixtureEntry[]): Promise<void> {
  const file = join(BASE, `${name.replace(':', '-')}.tar`);
  writeFileSync(file, await packTar(entries));
  ok(run(['image', 'import', file, name]), `import ${name}`);
}

test.before(async () => {
  mkdirSync(LIB, { recursive: true });
  mkdirSync(OUT, { recursive: true, mode: 0o777 });
  writeFileSync(join(BASE, 'noted.c'), LIB_C);
  execFileSync('gcc', ['-shared', '-fPIC', '-o', join(LIB, 'noted.so'), join(BASE, 'noted.c')]);
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox');
  const busybox = (JSON.parse(ok(run(['image', 'inspect', 'busybox']), 'inspect')) as { lowerDirs: string[] }).lowerDirs[0]!;
  const tree = treeEntries(busybox).filter((e) => e.name !== 'etc/ld.so.preload');
  // The hostile images: busybox plus /noted.so named in /etc/ld.so.preload; and one whose preload is a symlink.
  await importImage('preload:1', [...tree, { name: 'noted.so', content: readFileSync(join(LIB, 'noted.so')), mode: 0o755 }, { name: 'etc/ld.so.preload', content: '/noted.so\n' }]);
  await importImage('preload:link', [...tree, { name: 'etc/ld.so.preload', type: 'symlink', linkname: '/proc/self/environ' }]);
});

test.after(() => {
  for (const id of run(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean)) run(['rm', '-f', id]);
  removeCgroupParents([PARENT]);
  rmSync(BASE, { recursive: true, force: true });
});

test('an image\'s /etc/ld.so.preload reaches no process nsbox runs (nor, as in Docker, the command: it reads empty)', async () => {
  rmSync(VICTIM, { force: true });
  const out = ok(run(['run', '--rm', '-v', `${OUT}:/out`, 'preload:1', 'sh', '-c', 'wc -c < /etc/ld.so.preload; echo x > /etc/ld.so.preload 2>/dev/null || echo read-only']), 'run');
  assert.is(out, '0\nread-only\n');
  assert.is(victim(), '', `the library was loaded by: ${victim()}`);
  // The same with --security-opt seccomp=unconfined (no perl) and a workdir: still nothing.
  ok(run(['run', '--rm', '-w', '/tmp', '--security-opt', 'seccomp=unconfined', '-v', `${OUT}:/out`, 'preload:1', 'true']), 'unconfined');
  assert.is(victim(), '', `the library was loaded by: ${victim()}`);
});

test('a box process cannot plant /etc/ld.so.preload for nsbox exec: not by writing it, not by renaming /etc away', async () => {
  rmSync(VICTIM, { force: true });
  ok(run(['run', '-d', '--name', 'planter', '-v', `${OUT}:/out`, '-v', `${LIB}:/lib-in:ro`, 'busybox', 'sleep', '100']), 'run -d');
  const tries = ok(run(['exec', 'planter', 'sh', '-c', [
    'cp /lib-in/noted.so /noted.so',
    'echo /noted.so > /etc/ld.so.preload 2>/dev/null && echo wrote || echo no-write',
    'rm -f /etc/ld.so.preload 2>/dev/null && echo removed || echo no-remove',
    'mv /etc /etc.old 2>/dev/null && echo renamed || echo no-rename',
    'mv /etc/ld.so.preload /etc/x 2>/dev/null && echo moved || echo no-move',
  ].join('; ')]), 'plant');
  assert.is(tries, 'no-write\nno-remove\nno-rename\nno-move\n');
  ok(run(['exec', 'planter', 'true']), 'exec after the tries');
  ok(run(['exec', '-w', '/tmp', 'planter', 'true']), 'exec -w');
  assert.is(victim(), '', `the library was loaded by: ${victim()}`);
  // /etc itself still works for the box: files in it can be written, renamed within it and removed.
  assert.is(ok(run(['exec', 'planter', 'sh', '-c', 'echo a > /etc/new && mv /etc/new /etc/new2 && cat /etc/new2 && rm /etc/new2']), 'etc use'), 'a\n');
  ok(run(['rm', '-f', 'planter']), 'rm');
});

test('a writable volume at /etc: a box process cannot plant ld.so.preload there for nsbox exec; a link there is removed, its host target untouched', async () => {
  rmSync(VICTIM, { force: true });
  ok(run(['volume', 'create', 'etcv']), 'volume create');
  const data = join(STORE, 'volumes', 'etcv', '_data');
  // What an earlier box could have left in the volume: a link to a host file at ld.so.preload.
  const hostFile = join(BASE, 'host-file');
  writeFileSync(hostFile, 'precious\n');
  execFileSync('ln', ['-s', hostFile, join(data, 'ld.so.preload')]);
  ok(run(['run', '-d', '--name', 'etcbox', '-v', 'etcv:/etc', '-v', `${OUT}:/out`, '-v', `${LIB}:/lib-in:ro`, 'busybox', 'sleep', '100']), 'run -d');
  const tries = ok(run(['exec', 'etcbox', 'sh', '-c', 'cp /lib-in/noted.so /etc/noted.so; echo /etc/noted.so > /etc/ld.so.preload; echo "kept $(wc -c < /etc/ld.so.preload)"']), 'plant');
  assert.is(tries, 'kept 0\n', 'a write goes nowhere');
  ok(run(['exec', 'etcbox', 'true']), 'exec after the plant');
  assert.is(victim(), '', `the library was loaded by: ${victim()}`);
  ok(run(['rm', '-f', 'etcbox']), 'rm');
  assert.is(readFileSync(hostFile, 'utf8'), 'precious\n', 'the link\'s host target is unchanged');
  assert.ok(lstatSync(join(data, 'ld.so.preload')).isFile(), 'the link was replaced by a file of the volume');
  ok(run(['volume', 'rm', 'etcv']), 'volume rm');
});

test('a symlinked /etc/ld.so.preload in an image is refused before anything is created', async () => {
  const r = run(['run', '--rm', 'preload:link', 'true']);
  assert.is(r.code, 125, r.stderr);
  assert.match(r.stderr, /\/etc\/ld\.so\.preload is a symlink in the image/);
  assert.is(run(['ps', '-a', '-q']).stdout.trim(), '');
  assert.equal(existsSync(join(STORE, 'containers')) ? readdirSync(join(STORE, 'containers')) : [], [], 'no container dir');
});

test.run();
