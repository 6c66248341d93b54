// Integration (root), threat class "the image's user tables as a weight on the host" (SECURITY.md): nsbox reads the
// image's /etc/passwd and /etc/group on the host for every run (the user, its groups, --group-add), and a running
// box's own for `exec -u`. A hostile image ships a huge one (a 400 MB /etc/group is 1 MB as a gzipped layer), or a box
// process writes it: nsbox read it whole and split it into rows, in host memory outside every cgroup (5 GB, 105 s,
// then V8 aborted). The victim is the host's memory: nsbox's own peak (VmHWM, read from /proc while it runs).
// The same for an archive's metadata at load: a config of millions of history entries is a few hundred KB gzipped.

import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSBOX, nsbox, isRoot, ok, type Result } from '../helpers/nsbox.js';
import { assertNoLeaks, snapshot } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);

const base = mkdtempSync(join(tmpdir(), 'nsbox-contain-tables-'));
const state = join(base, 'state');
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: join(base, 'store'), NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none' };
const cli = (args: string[]): Result => nsbox(args, { env: ENV, timeoutMs: 120_000 });
const TABLE_MB = 96;
/** nsbox's own peak with an ordinary image is some 60-90 MB; reading the table whole took twelve times its size. */
const PEAK_LIMIT_MB = 300;

/** Runs nsbox, reading its peak resident memory from /proc while it runs (the shim execs node: the pid is nsbox's). */
async function runMeasured(args: string[]): Promise<Result & { peakMb: number }> {
  const child = spawn(NSBOX, args, { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  let peakKb = 0;
  const look = () => {
    try {
      const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // gone
    }
  };
  const timer = setInterval(look, 10);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  clearInterval(timer);
  return { code, signal, stdout, stderr, peakMb: peakKb / 1024 };
}

test.before(() => {
  if (skipReason) return;
  const rootfs = join(base, 'rootfs');
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  mkdirSync(join(rootfs, 'bin'));
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  symlinkSync('busybox', join(rootfs, 'bin', 'sh'));
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(rootfs, 'etc', 'group'), Buffer.concat([Buffer.from('root:x:0:\n'), Buffer.alloc(TABLE_MB * 1024 * 1024, 'g:x:1:a\n')]));
  ok(cli(['image', 'import', rootfs, 'hugegroup']), 'import the image with a huge /etc/group');
  rmSync(rootfs, { recursive: true });
  ok(cli(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox');
});

test.after(() => {
  if (!skipReason) cli(['rm', '-f', 'grower']);
  rmSync(base, { recursive: true, force: true });
});

test('an image whose /etc/group is huge: run refuses it on one line, nsbox\'s memory stays small, nothing is made', async () => {
  const leaks = snapshot({ stateDirs: [state] });
  const r = await runMeasured(['run', '--rm', 'hugegroup', '/bin/busybox', 'id']);
  assert.ok(r.peakMb < PEAK_LIMIT_MB, `nsbox's peak memory: ${r.peakMb.toFixed(0)} MB (exit ${r.code} ${r.signal ?? ''})`);
  assert.is(r.code, 125, r.stderr);
  assert.match(r.stderr, /^nsbox: cannot read the image's \/etc\/group: it is 96 MiB, more than the 4 MiB/);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.is(r.stdout, '', 'the command never ran');
  await assertNoLeaks(leaks, 'run hugegroup');
});

test('a box that grows its own /etc/group: exec -u refuses on one line, nsbox\'s memory stays small, the box runs on', async () => {
  ok(cli(['run', '-d', '--name', 'grower', 'busybox', 'sleep', '1000']), 'run -d');
  ok(cli(['exec', 'grower', 'sh', '-c', `yes g:x:1:a | head -c ${TABLE_MB * 1024 * 1024} >> /etc/group`]), 'the box writes its /etc/group');
  const r = await runMeasured(['exec', '-u', 'root', 'grower', 'id']);
  assert.ok(r.peakMb < PEAK_LIMIT_MB, `nsbox's peak memory: ${r.peakMb.toFixed(0)} MB (exit ${r.code} ${r.signal ?? ''})`);
  assert.is(r.code, 125, r.stderr);
  assert.match(r.stderr, /^nsbox: cannot read the box's \/etc\/group: it is 96 MiB/);
  assert.is(r.stdout, '', 'the command never ran');
  assert.is(ok(cli(['exec', 'grower', 'id', '-u']), 'exec without -u').trim(), '0', 'the box runs on; exec without -u reads no table');
  ok(cli(['rm', '-f', 'grower']), 'rm');
});

test('load of a small archive whose image config is huge: refused on one line, nsbox\'s memory stays small, no image', async () => {
  const dir = join(base, 'bigconfig');
  mkdirSync(dir);
  const item = '{"created_by":"x"},';
  const history = item.repeat(Math.ceil((TABLE_MB * 1024 * 1024) / item.length)).slice(0, -1);
  const config = `{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]},"history":[${history}]}`;
  writeFileSync(join(dir, 'c.json'), config);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: 'c.json', RepoTags: ['bigconfig:1'], Layers: [] }]));
  const archive = join(base, 'bigconfig.tar.gz');
  assert.is(spawnSync('tar', ['-C', dir, '-czf', archive, 'manifest.json', 'c.json']).status, 0, 'tar');
  rmSync(dir, { recursive: true });
  const leaks = snapshot({ stateDirs: [state] });
  const r = await runMeasured(['load', '-q', '-i', archive]);
  assert.ok(r.peakMb < PEAK_LIMIT_MB, `nsbox's peak memory: ${r.peakMb.toFixed(0)} MB (exit ${r.code} ${r.signal ?? ''})`);
  assert.is(r.code, 125, r.stderr);
  assert.match(r.stderr, /^nsbox: cannot import: the image config is 9\d MiB, more than the 8 MiB/);
  assert.is(r.stdout, '', 'nothing loaded');
  assert.not.match(ok(cli(['images']), 'images'), /bigconfig/);
  assert.equal(readdirSync(join(base, 'store', 'tmp')), [], 'no work dir left in the store');
  await assertNoLeaks(leaks, 'load bigconfig');
});

test.run();
