// bin/nsbox's start-up: the code cache file names and the variables moved aside for nsbox's own node.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BOX_BUNDLE, bundleFor, CACHED_COMMANDS, codeCacheFile, FULL_BUNDLE } from '../../src/start/code-cache.js';
import { startBox } from '../../src/box-main.js';
import { COMMANDS } from '../../src/cli.js';
import { restoreSavedEnv } from '../../src/start/saved-env.js';
import * as lazyFs from '../../src/start/lazy-fs-promises.js';
import * as lazyCrypto from '../../src/start/lazy-crypto.js';
import * as realFs from 'node:fs/promises';
import { createHash as realHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const stamp = { mtimeMs: 1700000000123.75, size: 426558, ino: 42 };

test('each subcommand has its own cache beside the bundle, named by the bundle build', () => {
  const run = codeCacheFile('/opt/nsbox/dist/bundle/nsbox.cjs', stamp, ['--', 'run', '--rm', 'busybox']);
  assert.equal(run, { dir: '/opt/nsbox/dist/bundle/.cache', prefix: 'nsbox.cjs.run-image.', name: 'nsbox.cjs.run-image.1700000000123-426558-42.v8' });
  assert.is(codeCacheFile('/b/nsbox.cjs', stamp, ['--', 'ps', '-a']).name, 'nsbox.cjs.ps.1700000000123-426558-42.v8');
});

test('run: one cache per kind of box (host root, image, detached), each runs other code', () => {
  const key = (...args: string[]) => codeCacheFile('/b/nsbox.cjs', stamp, ['--', ...args]).prefix;
  assert.is(key('run', '--pid', '--mount-proc', '--', 'true'), 'nsbox.cjs.run-host.');
  assert.is(key('run', '--rm', '--memory', '100m', 'busybox', 'true'), 'nsbox.cjs.run-image.');
  assert.is(key('run', '--rootfs', '/srv/root', '--', 'sh'), 'nsbox.cjs.run-image.');
  assert.is(key('run', '--rootfs=/srv/root', '--', 'sh'), 'nsbox.cjs.run-image.');
  assert.is(key('run', '-d', '--net', 'none', 'busybox', 'sleep', '9'), 'nsbox.cjs.run-d.');
  assert.is(key('run', '-dit', 'busybox'), 'nsbox.cjs.run-d.');
  assert.is(key('run', '--detach', '--', 'sleep', '9'), 'nsbox.cjs.run-d.');
  // a -d after `--` is the command's
  assert.is(key('run', '--', 'ls', '-d', '/'), 'nsbox.cjs.run-host.');
  assert.is(key('sh', '--net'), 'nsbox.cjs.sh.');
});

test('nsbox-runtime: one cache per runc subcommand, past its global flags; unknown words share runtime-other', () => {
  const name = (...words: string[]) => codeCacheFile('/b/nsbox.cjs', stamp, ['--', '--nsbox-runtime', ...words]).prefix;
  assert.is(name('--root', '/run/x', '--log', '/l', '--log-format', 'json', 'create', '--bundle', 'b', 'id'), 'nsbox.cjs.runtime-create.');
  assert.is(name('--root=/run/x', 'state', 'id'), 'nsbox.cjs.runtime-state.');
  assert.is(name('--systemd-cgroup', 'delete', '--force', 'id'), 'nsbox.cjs.runtime-delete.');
  assert.is(name('--root', 'create', 'start', 'id'), 'nsbox.cjs.runtime-start.', 'a --root value is never the subcommand');
  assert.is(name('../../etc', 'x'), 'nsbox.cjs.runtime-other.', 'no word of the command line becomes a path');
  assert.is(name('--version'), 'nsbox.cjs.runtime-other.');
});

test('a rebuilt bundle of the same length gets another cache (V8 itself checks only the length)', () => {
  const before = codeCacheFile('/b/nsbox.cjs', stamp, ['--', 'run']).name;
  assert.is.not(codeCacheFile('/b/nsbox.cjs', { ...stamp, mtimeMs: stamp.mtimeMs + 1000 }, ['--', 'run']).name, before);
  assert.is.not(codeCacheFile('/b/nsbox.cjs', { ...stamp, ino: 43 }, ['--', 'run']).name, before);
});

test('flags, paths and odd words share the "other" cache: no word of the command line ever becomes a path', () => {
  for (const args of [['--', '--help'], ['--'], [], ['--', '../../etc/x'], ['--', 'a/b'], ['--', 'RUN'], ['--', 'nosuchcommand']]) {
    assert.is(codeCacheFile('/b/nsbox.cjs', stamp, args).name, 'nsbox.cjs.other.1700000000123-426558-42.v8', args.join(' '));
  }
});

test('run, sh and create start from the box bundle, every other line from the full one', () => {
  for (const words of [['run', '--rm', 'busybox'], ['run', '--help'], ['sh'], ['create', 'busybox'], ['run']]) assert.is(bundleFor(words), BOX_BUNDLE, words.join(' '));
  for (const words of [[], ['ps'], ['container', 'run', 'busybox'], ['--help'], ['--nsbox-runtime', 'run'], ['RUN'], ['--', 'run']]) {
    assert.is(bundleFor(words), FULL_BUNDLE, words.join(' '));
  }
});

test('the box bundle leaves --help, --version and other commands to the full bundle (it starts nothing for them)', () => {
  for (const words of [['run', '--help'], ['run', '--rm', '-h', 'busybox'], ['sh', '--version'], ['create', '--help'], ['ps'], ['container', 'run', 'x'], []]) {
    assert.is(startBox(words), false, words.join(' '));
  }
});

test('the box bundle\'s caches are its own: the two bundles never read each other\'s code', () => {
  const args = ['--', 'run', '--pid', '--', 'true'];
  const box = codeCacheFile(`/b/${BOX_BUNDLE}`, stamp, args);
  const full = codeCacheFile(`/b/${FULL_BUNDLE}`, stamp, args);
  assert.is(box.dir, full.dir);
  assert.is(box.prefix, 'nsbox-box.cjs.run-host.');
  assert.ok(!box.name.startsWith(full.prefix) && !full.name.startsWith(box.prefix), 'neither clears the other\'s cache as an older build');
});

test('every command of cli.ts has a cache of its own', () => {
  assert.equal([...CACHED_COMMANDS].sort(), Object.keys(COMMANDS).sort());
});

test('the saved variables come back under their own names, and only those', () => {
  const env: NodeJS.ProcessEnv = {
    NSBOX_SAVED_NODE_EXTRA_CA_CERTS: '/etc/corp-ca.pem',
    NSBOX_SAVED_NODE_OPTIONS: '',
    NSBOX_SAVED_LD_PRELOAD: '/evil.so',
    PATH: '/bin',
  };
  restoreSavedEnv(env);
  assert.equal(env, { NODE_EXTRA_CA_CERTS: '/etc/corp-ca.pem', NODE_OPTIONS: '', NSBOX_SAVED_LD_PRELOAD: '/evil.so', PATH: '/bin' });
});

test('the bundle\'s lazy fs/promises and crypto do what the real ones do', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsbox-lazy-'));
  try {
    await lazyFs.writeFile(join(dir, 'a'), 'hello');
    await lazyFs.mkdir(join(dir, 'd', 'e'), { recursive: true });
    assert.is(await lazyFs.readFile(join(dir, 'a'), 'utf8'), 'hello');
    assert.ok((await lazyFs.lstat(join(dir, 'd'))).isDirectory());
    assert.equal((await lazyFs.readdir(dir)).sort(), ['a', 'd']);
    await lazyFs.rm(join(dir, 'd'), { recursive: true });
    assert.equal(await realFs.readdir(dir), ['a']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.is(lazyCrypto.createHash('sha256').update('x').digest('hex'), realHash('sha256').update('x').digest('hex'));
  assert.is(lazyCrypto.randomBytes(6).length, 6);
  // esbuild --alias maps every import of the module in src to the shim (a name missing there fails the build)
  const src = readFileSync('package.json', 'utf8');
  assert.match(src, /--alias:node:fs\/promises=\.\/src\/start\/lazy-fs-promises\.ts/);
  assert.match(src, /--alias:node:crypto=\.\/src\/start\/lazy-crypto\.ts/);
  for (const name of ['chmod', 'chown', 'lchown', 'link', 'lstat', 'lutimes', 'mkdir', 'open', 'readFile', 'readdir', 'readlink', 'realpath', 'rename', 'rm', 'stat', 'symlink', 'unlink', 'utimes', 'writeFile']) {
    assert.type((lazyFs as Record<string, unknown>)[name], 'function', name);
  }
});

test.run();
