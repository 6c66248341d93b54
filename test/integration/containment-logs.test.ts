// Integration (root), threat class "a box fills the state dir with its output" (SECURITY.md): a detached box's log
// is written by a host process (the log writer, outside the box's cgroup) into the state dir, /run/nsbox by default:
// a tmpfs, host memory that every service's /run shares. A box that writes without end (an image whose command is
// `yes`) filled it. Here the state dir is a small tmpfs of the test's own with a host service's file on it (hashed
// before and after); the service must still be able to write there once the box has written four times the tmpfs.

import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, ok, type Result } from '../helpers/nsbox.js';
import { assertNoLeaks, snapshot } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';
import { fingerprintFile } from './containment-fixtures.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);

const base = mkdtempSync(join(tmpdir(), 'nsbox-contain-logs-'));
const run = join(base, 'run'); // stands for the host's /run: a tmpfs shared with other services
const state = join(run, 'nsbox');
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: join(base, 'store'), NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none' };
const cli = (args: string[], timeoutMs = 60_000): Result => nsbox(args, { env: ENV, timeoutMs });
const TMPFS_MB = 48;
let mounted = false;

test.before(() => {
  if (skipReason) return;
  mkdirSync(run);
  assert.is(spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_MB}m,mode=0755`, 'nsbox-test-run', run]).status, 0, 'mount the test\'s tmpfs');
  mounted = true;
  mkdirSync(join(run, 'service'));
  writeFileSync(join(run, 'service', 'service.pid'), '4242\n');
  ok(cli(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox');
});

test.after(() => {
  if (!skipReason) cli(['rm', '-f', 'chatty']);
  if (mounted) spawnSync('umount', [run]);
  rmSync(base, { recursive: true, force: true });
});

test('a detached box that writes four times the state dir\'s tmpfs leaves it usable: its log keeps the newest output, at most two files', async () => {
  const service = join(run, 'service', 'service.pid');
  const before = fingerprintFile(service);
  const leaks = snapshot({ stateDirs: [state] });
  const line = 'A'.repeat(72);
  ok(cli(['run', '-d', '--name', 'chatty', 'busybox', 'sh', '-c', `yes ${line} | head -n ${Math.ceil((TMPFS_MB * 4e6) / 73)}; echo the last line`]), 'run -d');
  const waited = cli(['wait', 'chatty'], 180_000);
  const { bsize, blocks, bfree } = statfsSync(run);
  const usedMb = ((blocks - bfree) * bsize) / 1e6;
  assert.ok(usedMb < 24, `the tmpfs holds ${usedMb.toFixed(1)} MB after the box (two logs of 10 MiB at most)`);
  // The host's service writes where the box wrote: there is room (old code: ENOSPC, the box had it all).
  writeFileSync(join(run, 'service', 'more'), Buffer.alloc(8 * 1024 * 1024));
  assert.fixture(fingerprintFile(service), before, 'the service\'s file is unchanged');
  rmSync(join(run, 'service', 'more'));
  assert.is(waited.stdout.trim(), '0', `the box ran to its end: ${waited.stderr}`);
  const tail = cli(['logs', '--tail', '2', 'chatty']);
  assert.is(tail.stdout, `${line}\nthe last line\n`, `logs shows the newest output: ${tail.stderr}`);
  ok(cli(['rm', 'chatty']), 'rm');
  await assertNoLeaks(leaks, 'chatty');
});

test.run();
