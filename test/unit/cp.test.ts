// Unit: `nsbox cp` as data: operands, docker cp's landing rules, the box side's argv (exec's entry, the toolbox's sh
// and tar), and the archive filter against hostile archives a box could send (no root needed: streams only).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough, Readable } from 'node:stream';
import * as tarStream from 'tar-stream';
import { buildCopySpec, readCopyPath, splitBoxOperand } from '../../src/copy/cp-spec.js';
import { hostExtractArgv, landInBox, landOnHost } from '../../src/copy/cp-rules.js';
import { ARCHIVE_SCRIPT, EXTRACT_SCRIPT, buildArchiveArgv, buildExtractArgv } from '../../src/copy/box-side.js';
import { filterArchive } from '../../src/copy/archive-filter.js';
import { printable } from '../../src/copy/run-copy.js';
import { explainCopy } from '../../src/copy/explain-copy.js';

const FULL = '000001ffffffffff';
const TOOLBOX = { loader: 'ld-linux-x86-64.so.2', files: [], shell: 'dash' };
const TOOLS = { nsenter: '/usr/bin/nsenter', unshare: '/usr/bin/unshare', mount: '/usr/bin/mount', sh: '/bin/sh' };
const LD = ['/dev/.nsbox/ld-linux-x86-64.so.2', '--library-path', '/dev/.nsbox'];

test('operands: BOX:PATH unless it starts with / or .; - is a stream; both, neither, empty refused', () => {
  assert.equal(splitBoxOperand('web:/etc/x'), { box: 'web', path: '/etc/x' });
  assert.is(splitBoxOperand('./web:x'), undefined);
  assert.is(splitBoxOperand('/tmp/a:b'), undefined);
  assert.is(splitBoxOperand('dir/a:b'), undefined);
  const out = buildCopySpec('web:etc/x', '-', {}, '/cwd');
  assert.equal([out.direction, out.box, out.boxPath.path, out.hostPath], ['from-box', 'web', '/etc/x', undefined]);
  const into = buildCopySpec('f', 'web:/srv/', { archive: true }, '/cwd');
  assert.equal([into.direction, into.hostPath!.path, into.boxPath.path, into.boxPath.trailingSlash, into.archive], ['to-box', '/cwd/f', '/srv', true, true]);
  assert.throws(() => buildCopySpec('a:/x', 'b:/y', {}), /between two boxes/);
  assert.throws(() => buildCopySpec('a', 'b', {}), /neither "a" nor "b" names a box/);
  assert.throws(() => buildCopySpec('-', '-', {}), /neither|from - to -/);
  assert.throws(() => buildCopySpec('web:', '.', {}), /invalid path ""/);
});

test('paths: SRC/. is the contents, / is the root\'s contents, .. is lexical in the box\'s /', () => {
  assert.equal(readCopyPath('/data/.', 'box'), { given: '/data/.', path: '/data', dir: '/', name: 'data', contents: true, trailingSlash: true });
  assert.equal(readCopyPath('/', 'box').contents, true);
  assert.is(readCopyPath('/', 'box').name, '');
  assert.is(readCopyPath('../../etc/x', 'box').path, '/etc/x');
  assert.is(readCopyPath('a/b/', '/h').path, '/h/a/b');
});

test('landing on the host: docker cp\'s rules', () => {
  const src = readCopyPath('/data', 'box');
  const contents = readCopyPath('/data/.', 'box');
  const file = readCopyPath('/etc/f', 'box');
  const dest = readCopyPath('/h/out', '/');
  assert.equal(landOnHost(src, true, dest, 'dir'), { dir: '/h/out', name: 'data' }, 'a dir into an existing dir');
  assert.equal(landOnHost(contents, true, dest, 'dir'), { dir: '/h/out', name: '' }, 'SRC/.: its contents');
  assert.equal(landOnHost(src, true, dest, 'missing'), { dir: '/h', name: 'out' }, 'DEST made with SRC\'s contents');
  assert.throws(() => landOnHost(src, true, dest, 'file'), /cannot copy a directory to a file/);
  assert.equal(landOnHost(file, false, dest, 'dir'), { dir: '/h/out', name: 'f' });
  assert.equal(landOnHost(file, false, dest, 'file'), { dir: '/h', name: 'out' });
  assert.throws(() => landOnHost(file, false, readCopyPath('/h/out/', '/'), 'missing'), /no such directory/);
  assert.throws(() => landOnHost(file, false, dest, 'no-parent'), /no such directory: \/h/);
  assert.throws(() => landOnHost(readCopyPath('/etc/f/.', 'box'), false, dest, 'dir'), /not a directory/);
});

test('landing in the box: docker cp\'s rules; a tar on stdin goes into a directory only', () => {
  const dest = readCopyPath('/srv', 'box');
  assert.is(landInBox(readCopyPath('site', '/h'), true, dest, 'dir', 'web'), 'site');
  assert.is(landInBox(readCopyPath('site/.', '/h'), true, dest, 'dir', 'web'), '');
  assert.is(landInBox(readCopyPath('site', '/h'), true, dest, 'missing', 'web'), 'srv');
  assert.throws(() => landInBox(readCopyPath('site', '/h'), true, dest, 'file', 'web'), /directory to a file: web:\/srv/);
  assert.is(landInBox(readCopyPath('f', '/h'), false, dest, 'file', 'web'), 'srv');
  assert.throws(() => landInBox(readCopyPath('f', '/h'), false, readCopyPath('/srv/', 'box'), 'missing', 'web'), /no such directory in the box/);
  assert.is(landInBox(undefined, true, dest, 'dir', 'web'), '');
  assert.throws(() => landInBox(undefined, true, dest, 'missing', 'web'), /a tar from stdin goes into a directory/);
});

test('box side: exec\'s entry (read-only nsenter, no --root), the box\'s bounding set, a fixed environment, the toolbox\'s sh and tar', () => {
  const facts = { pid: 9, capBnd: '0000000000040021', ownCapBnd: FULL, noNewPrivs: true };
  const input = { facts, toolbox: TOOLBOX, cgroupJoinFiles: ['/cg/cgroup.procs'], tools: TOOLS };
  const argv = buildArchiveArgv(input, readCopyPath('/data', 'box'), false);
  const nsenter = argv.indexOf('/usr/bin/nsenter');
  assert.equal(argv.slice(nsenter, nsenter + 6), ['/usr/bin/nsenter', '--mount=/proc/9/ns/mnt', '--target', '9', '--all', '--']);
  assert.not.ok(argv.includes('--root') || argv.includes('--wd'), 'the box\'s root and cwd come from setns, never from the host');
  assert.ok(argv.includes('--bounding-set=-all,+chown,+kill,+sys_chroot,+setuid,+setgid,+setpcap'), argv.join(' '));
  assert.ok(argv.includes('--no-new-privs'));
  const env = argv.indexOf(`${LD[2]}/env`);
  assert.ok(env > 0);
  const command = argv.slice(env + 6);
  assert.equal(argv.slice(env + 1, env + 6), ['-i', '--chdir=/', '--', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'LC_ALL=C'], 'nothing of the box\'s environment (TAR_OPTIONS)');
  assert.equal(command, [...LD, '/dev/.nsbox/dash', '-c', ARCHIVE_SCRIPT, 'nsbox-cp', '/', 'data', '0', '0', ...LD, '/dev/.nsbox/tar', '--create', '--file=-', '--numeric-owner']);
  const extract = buildExtractArgv(input, readCopyPath('/srv/x', 'box'), false);
  assert.equal(extract.slice(extract.indexOf(EXTRACT_SCRIPT)), [EXTRACT_SCRIPT, 'nsbox-cp', '/srv/x', '/srv', ...LD, '/dev/.nsbox/tar', '--extract', '--file=-', '--numeric-owner', '--no-overwrite-dir', '--no-same-owner']);
  assert.ok(buildExtractArgv(input, readCopyPath('/srv', 'box'), true).includes('--same-owner'));
  assert.equal(hostExtractArgv('/bin/tar', '/h', false), ['/bin/tar', '--extract', '--file=-', '--numeric-owner', '--no-overwrite-dir', '--no-same-owner', '-C', '/h']);
});

test('--explain: the box side exactly as run, then the filter and the host\'s tar', () => {
  const input = { facts: { pid: 9, capBnd: FULL, ownCapBnd: FULL, noNewPrivs: false }, toolbox: TOOLBOX, cgroupJoinFiles: [], tools: TOOLS };
  const script = explainCopy(buildCopySpec('web:/etc/passwd', '/h/p', {}), input, '/usr/bin/tar');
  assert.ok(script.startsWith('# nsbox cp: web:/etc/passwd -> /h/p\n'));
  assert.match(script, /nsbox-cp \/etc passwd 0 0 .*--numeric-owner \|\n# nsbox checks/);
  assert.match(script, /\n\/usr\/bin\/tar --extract --file=- --numeric-owner --no-overwrite-dir --no-same-owner -C \/h\/p  # or -C \/h:/);
  const into = explainCopy(buildCopySpec('/h/site/.', 'web:/srv', {}), input, '/usr/bin/tar');
  assert.match(into, /\n\/usr\/bin\/tar --create --file=- --numeric-owner -C \/h\/site \. \|\n/);
});

test('printable: a box\'s message reaches the terminal without control sequences', () => {
  assert.is(printable('tar: \u001b]0;owned\u0007x\n\nsecond\n'), 'tar: ?]0;owned?x; second');
});

interface Entry {
  readonly name: string;
  readonly type?: tarStream.Header['type'];
  readonly linkname?: string;
  readonly body?: string;
  readonly mode?: number;
}

/** An archive as a box could send it. */
async function archive(entries: readonly Entry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry({ name: e.name, type: e.type ?? 'file', mode: e.mode ?? 0o644, ...(e.linkname ? { linkname: e.linkname } : {}) }, e.body ?? '', (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Filters `entries` as a box's archive of /data (top "data", renamed `to`); the members that came out. */
async function filtered(entries: readonly Entry[], to = 'out', keepSetId = false): Promise<{ members: tarStream.Header[]; skipped: string[] }> {
  const sink = new PassThrough();
  const members: tarStream.Header[] = [];
  const parse = tarStream.extract();
  const parsed = (async () => {
    for await (const entry of parse) {
      members.push(entry.header);
      entry.resume();
    }
  })();
  sink.pipe(parse as unknown as NodeJS.WritableStream);
  const skipped: string[] = [];
  await filterArchive(Readable.from([await archive(entries)]), { tops: ['data'], hostile: true, keepSetId, label: 'box evil', onSkip: (n) => skipped.push(n), decide: () => ({ to, sink }) });
  await parsed;
  return { members, skipped };
}

test('filter: renames the top, keeps files, dirs, links, hardlinks to earlier files; drops devices, setuid bits', async () => {
  const { members, skipped } = await filtered([
    { name: './data/', type: 'directory', mode: 0o755 },
    { name: './data/a', body: 'hello', mode: 0o4755 },
    { name: './data/l', type: 'symlink', linkname: '/etc/shadow' },
    { name: './data/h', type: 'link', linkname: './data/a' },
    { name: './data/null', type: 'character-device' },
    { name: './data/empty', body: '' },
  ]);
  assert.equal(members.map((m) => [m.name, m.type, m.linkname || '']), [['./out/', 'directory', ''], ['./out/a', 'file', ''], ['./out/l', 'symlink', '/etc/shadow'], ['./out/h', 'link', './out/a'], ['./out/empty', 'file', '']]);
  assert.is(members[1]!.mode, 0o755, 'setuid cleared without -a');
  assert.equal(skipped, ['./data/null']);
  const kept = await filtered([{ name: './data', body: 'x', mode: 0o4755 }], 'f', true);
  assert.is(kept.members[0]!.mode, 0o4755, '-a keeps it');
});

const HOSTILE: readonly (readonly [string, readonly Entry[], RegExp])[] = [
  ['a member through a symlink the archive made', [{ name: './data/', type: 'directory' }, { name: './data/x', type: 'symlink', linkname: '/victim' }, { name: './data/x/file', body: 'pwned' }], /"\.\/data\/x\/file": its parent "out\/x" is a symlink member/],
  ['a member whose parent never came', [{ name: './data/', type: 'directory' }, { name: './data/x/file' }], /not an earlier directory member/],
  ['a symlink replacing a directory already written', [{ name: './data/', type: 'directory' }, { name: './data/x/', type: 'directory' }, { name: './data/x', type: 'symlink', linkname: '/' }, { name: './data/x/f' }], /appears twice/],
  ['a hardlink to a host file', [{ name: './data/', type: 'directory' }, { name: './data/h', type: 'link', linkname: '/etc/shadow' }], /absolute path/],
  ['a hardlink to a name outside the copy', [{ name: './data/', type: 'directory' }, { name: './data/h', type: 'link', linkname: 'etc/shadow' }], /outside the copy/],
  ['a hardlink to a later member', [{ name: './data/', type: 'directory' }, { name: './data/h', type: 'link', linkname: './data/a' }, { name: './data/a' }], /not an earlier file/],
  ['a hardlink to a symlink', [{ name: './data/', type: 'directory' }, { name: './data/l', type: 'symlink', linkname: '/etc/shadow' }, { name: './data/h', type: 'link', linkname: './data/l' }], /not an earlier file/],
  ['..', [{ name: './data/', type: 'directory' }, { name: './data/../../etc/cron.d/x' }], /contains "\.\."/],
  ['an absolute name', [{ name: '/etc/passwd' }], /absolute path/],
  ['a member outside the top', [{ name: './data/', type: 'directory' }, { name: './other' }], /not below "\.\/data"/],
  ['another top first', [{ name: './etc/', type: 'directory' }], /the first member must be "\.\/data"/],
];

for (const [what, entries, reason] of HOSTILE) {
  test(`filter refuses ${what}`, async () => {
    try {
      await filtered(entries);
    } catch (error) {
      assert.match((error as Error).message, /^cannot copy from box evil: refusing archive member /);
      assert.match((error as Error).message, reason);
      return;
    }
    assert.unreachable('accepted');
  });
}

test.run();
