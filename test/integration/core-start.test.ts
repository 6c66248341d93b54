// bin/nsbox's start-up: node's own start-up variables stay out of nsbox's node and reach a host-root box; the code
// cache is written once per subcommand and used from then on.
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { nsbox, NSBOX, isRoot } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';

const test = gatedTest(isRoot ? undefined : 'needs root');
const cacheDir = join(dirname(NSBOX), '..', 'dist', 'bundle', '.cache');

if (!isRoot) {
  test('every start-up integration test', () => {});
  test.run();
} else {
  test('NODE_EXTRA_CA_CERTS and NODE_OPTIONS: nsbox\'s node ignores them, a host-root box inherits them unchanged', async () => {
    const before = snapshot();
    // node warns on stderr about an extra-certs file it cannot load, and refuses an unknown NODE_OPTIONS flag:
    // both would show if nsbox's own node saw them.
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent/nsbox-test-ca.pem', NODE_OPTIONS: '--nsbox-test-no-such-flag' };
    const r = nsbox(['run', '--pid', '--', 'sh', '-c', 'echo "$NODE_EXTRA_CA_CERTS|$NODE_OPTIONS|${NSBOX_SAVED_NODE_EXTRA_CA_CERTS-unset}"'], { env });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stderr, '');
    assert.is(r.stdout, '/nonexistent/nsbox-test-ca.pem|--nsbox-test-no-such-flag|unset\n');
    // Control: the same variables do reach a plain node.
    const plain = nsbox(['run', '--', process.execPath, '-e', '0'], { env });
    assert.is.not(plain.code, 0, 'a node in the box should refuse the bogus NODE_OPTIONS flag');
    await assertNoLeaks(before, 'start-up variables');
  });

  test('the bundles have no import() (a vm.Script from a code cache cannot run one in Node 20); a cached run that reads a module lazily works', () => {
    for (const name of ['nsbox.cjs', 'nsbox-box.cjs']) {
      const bundle = readFileSync(join(dirname(NSBOX), '..', 'dist', 'bundle', name), 'utf8');
      assert.equal(bundle.match(/\bimport\([^)]{0,40}\)/g) ?? [], [], name);
      // start.cjs reads a bundle as latin1 (no decoding): that is its text only while it is ASCII.
      assert.ok(/^[\x00-\x7f]*$/.test(bundle), `${name} is ASCII`);
    }
    // volume rm loads node:fs/promises' rename lazily (it once did so with import()); its second run uses the cache.
    const root = mkdtempSync(join(tmpdir(), 'nsbox-start-'));
    try {
      const env = { ...process.env, NSBOX_ROOT: root };
      for (let i = 0; i < 2; i++) {
        assert.is(nsbox(['volume', 'create', 'start-test'], { env }).code, 0);
        const r = nsbox(['volume', 'rm', 'start-test'], { env });
        assert.is(r.code, 0, `run ${i + 1}: ${r.stderr}`);
        assert.is(r.stderr, '');
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('the first run of a subcommand writes its code cache; later runs use it and leave it alone', () => {
    const list = () => (existsSync(cacheDir) ? readdirSync(cacheDir).filter((n) => n.startsWith('nsbox.cjs.version.')) : []);
    const first = nsbox(['version']);
    assert.is(first.code, 0, first.stderr);
    const files = list();
    assert.is(files.length, 1, `one cache for "version" in ${cacheDir}: ${files.join(', ')}`);
    const written = statSync(join(cacheDir, files[0]!)).mtimeMs;
    const again = nsbox(['version']);
    assert.is(again.code, 0, again.stderr);
    assert.is(again.stdout, first.stdout);
    assert.equal(list(), files);
    assert.is(statSync(join(cacheDir, files[0]!)).mtimeMs, written, 'an accepted cache is not written again');
  });

  test('run, sh and create start from the box bundle; a line it does not take (--help) goes on to the full bundle', () => {
    const boxBundle = statSync(join(dirname(NSBOX), '..', 'dist', 'bundle', 'nsbox-box.cjs')).size;
    const fullBundle = statSync(join(dirname(NSBOX), '..', 'dist', 'bundle', 'nsbox.cjs')).size;
    // what it is for: a box start reads and deserializes far less than the whole (the full bundle's code leaking
    // in through one static import of cli.ts would undo it)
    assert.ok(boxBundle < fullBundle / 2, `box bundle ${boxBundle} bytes, full ${fullBundle}`);
    const boxCaches = () => (existsSync(cacheDir) ? readdirSync(cacheDir).filter((n) => n.startsWith('nsbox-box.cjs.run-host.')) : []);
    const r = nsbox(['run', '--pid', '--', 'sh', '-c', 'exit 7']);
    assert.is(r.code, 7, r.stderr);
    assert.is(boxCaches().length, 1, 'the box bundle ran (and wrote its cache)');
    // --help: no box cache from it, which would hold only the box bundle's choice (the next image box would use it)
    const imageCaches = () => readdirSync(cacheDir).filter((n) => n.startsWith('nsbox-box.cjs.run-image.'));
    for (const name of imageCaches()) rmSync(join(cacheDir, name));
    const help = nsbox(['run', '--help']);
    assert.is(help.code, 0, help.stderr);
    assert.match(help.stdout, /nsbox run \[flags\]/);
    assert.equal(imageCaches(), []);
    const bad = nsbox(['run', '--no-such-flag', '--', 'true']);
    assert.is(bad.code, 125);
    assert.is(bad.stderr, 'nsbox: unknown flag --no-such-flag for nsbox run\nnsbox: hint: nsbox run --help lists its flags\n');
  });

  test('a code cache V8 refuses (another node\'s, a damaged one) is not used: the run works and writes it afresh', () => {
    assert.is(nsbox(['run', '--pid', '--', 'true']).code, 0);
    const name = readdirSync(cacheDir).find((n) => n.startsWith('nsbox-box.cjs.run-host.'))!;
    const file = join(cacheDir, name);
    writeFileSync(file, Buffer.alloc(4096, 0x5a));
    const r = nsbox(['run', '--pid', '--', 'sh', '-c', 'echo ok']);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, 'ok\n');
    assert.is.not(readFileSync(file).subarray(0, 16).toString('hex'), Buffer.alloc(16, 0x5a).toString('hex'), 'rewritten');
  });

  test('NSBOX_TRACE read through a pipe that closes early (| head -1): the box still ends cleanly, with its own status', async () => {
    const before = snapshot();
    const dir = mkdtempSync(join(tmpdir(), 'nsbox-trace-'));
    try {
      // `true` reads nothing and is gone at once: every trace line after it meets EPIPE (it once ended nsbox with an
      // uncaught error in the middle of the box, leaving its state behind)
      const script = `(NSBOX_TRACE=1 "$0" run --pid -- sh -c 'exit 3' 2>&1; echo $? > "$1") | true`;
      const r = spawnSync('sh', ['-c', script, NSBOX, join(dir, 'status')], { encoding: 'utf8', env: process.env });
      assert.is(r.status, 0, r.stderr);
      assert.is(readFileSync(join(dir, 'status'), 'utf8'), '3\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await assertNoLeaks(before, 'a trace whose reader is gone');
  });

  test.run();
}
