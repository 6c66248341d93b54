// Integration (root): `nsbox cp` on real boxes, as docker cp: its directory/file rules both ways, -a, -L, - as a tar
// stream, its one-line errors; and a hostile box (its root plants symlinks to host paths; an archive it could send)
// against host-side victims: hashed before and after, a host-only marker never read.

import * as assert from 'uvu/assert';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, ok, NSBOX, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';
import { assertVictimIntact, fingerprint, makeVictim } from './containment-fixtures.js';
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
  if (!skipReason) run(['rm', '-f', 'cpa', 'cpevil', 'cpstopped']);
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

test.run();
