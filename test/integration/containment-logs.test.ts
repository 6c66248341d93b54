// Integration (root), threat class "a box fills the state dir with its output" (SECURITY.md): a detached box's log
// is written by a host process (the log writer, outside the box's cgroup) into the state dir, /run/nsbox by default:
// a tmpfs, host memory that every service's /run shares. A box that writes without end (an image whose command is
// `yes`) filled it. Here the state dir is a small tmpfs of the test's own with a host service's file on it (hashed
// before and after); the service must still be able to write there once the box has written four times the tmpfs.
// A box with a terminal (-dt) too: its relay writes the terminal's output into the log writer's fifo, the raw log.
// And the files a box on a network (or with --add-host, --dns) gets as its /etc/hosts and /etc/resolv.conf: they
// were the state dir's own, bound writable, so the box's own writes to them filled it.

import * as assert from 'uvu/assert';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSBOX, nsbox, isRoot, ok, type Result } from '../helpers/nsbox.js';
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
  if (!skipReason) cli(['rm', '-f', 'chatty', 'chatty-tty', 'hosts-filler']);
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

test('a detached box with a terminal (-dt) running yes leaves the tmpfs usable: its raw log is capped the same way', async () => {
  const service = join(run, 'service', 'service.pid');
  const before = fingerprintFile(service);
  const leaks = snapshot({ stateDirs: [state] });
  const line = 'T'.repeat(71); // a line of 73 bytes in the log: the pty turns \n into \r\n
  // Four times the tmpfs through the terminal, then the last line, and the box stays running (rm -f ends it).
  const id = ok(cli(['run', '-dt', '--name', 'chatty-tty', 'busybox', 'sh', '-c', `yes ${line} | head -n ${Math.ceil((TMPFS_MB * 4e6) / 73)}; echo the last line; exec sleep 1000`]), 'run -dt').trim();
  const log = join(state, 'boxes', id, 'log');
  const usedMb = () => {
    const { bsize, blocks, bfree } = statfsSync(run);
    return ((blocks - bfree) * bsize) / 1e6;
  };
  const logEnd = () => {
    try {
      return readFileSync(log).subarray(-64).toString('latin1');
    } catch {
      return '';
    }
  };
  // Watched from the host while the box writes: the old relay filled the tmpfs (and its last line never came).
  let most = 0;
  let serviceWrites = 0;
  for (const deadline = Date.now() + 240_000; !logEnd().endsWith('the last line\r\n') && Date.now() < deadline;) {
    most = Math.max(most, usedMb());
    if (most > TMPFS_MB * 0.9) break;
    if (serviceWrites < 3 && most > 4) {
      writeFileSync(join(run, 'service', 'more'), Buffer.alloc(4 * 1024 * 1024)); // throws ENOSPC on a full tmpfs
      rmSync(join(run, 'service', 'more'));
      serviceWrites++;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(most < 24, `the tmpfs held at most ${most.toFixed(1)} MB while the box wrote (two logs of 10 MiB at most)`);
  assert.ok(logEnd().endsWith('the last line\r\n'), `the box wrote to its end: the log ends ${JSON.stringify(logEnd().slice(-20))}`);
  assert.ok(existsSync(`${log}.1`), 'the log was rotated');
  const sizes = [log, `${log}.1`].map((p) => statSync(p).size);
  assert.ok(sizes.every((n) => n <= 10 * 1024 * 1024 + 65536), `each file within the cap: ${sizes.join(', ')}`);
  // The host's service writes where the box wrote: there is room (old code: ENOSPC, the relay had it all).
  writeFileSync(join(run, 'service', 'more'), Buffer.alloc(8 * 1024 * 1024));
  rmSync(join(run, 'service', 'more'));
  assert.fixture(fingerprintFile(service), before, 'the service\'s file is unchanged');
  const tail = cli(['logs', '--tail', '2', 'chatty-tty']);
  assert.is(tail.stdout, `${line}\r\nthe last line\r\n`, `logs shows the newest output: ${tail.stderr}`);
  // All of it (more than spawnSync buffers): into a file of the test's own, off the tmpfs.
  const whole = join(base, 'logs.out');
  const out = openSync(whole, 'w');
  const all = spawnSync(NSBOX, ['logs', 'chatty-tty'], { env: ENV, stdio: ['ignore', out, 'pipe'], timeout: 60_000 });
  closeSync(out);
  assert.is(all.status, 0, `logs: ${all.stderr}`);
  const printed = readFileSync(whole);
  assert.is(printed.length, sizes[1]! + sizes[0]!, 'logs reads both files, LOG.1 then LOG');
  assert.ok(printed.equals(Buffer.concat([readFileSync(`${log}.1`), readFileSync(log)])), 'in order, byte for byte');
  rmSync(whole);
  ok(cli(['rm', '-f', 'chatty-tty']), 'rm -f');
  await assertNoLeaks(leaks, 'chatty-tty');
});

test('a box that writes its /etc/hosts and /etc/resolv.conf (--add-host, --dns) full leaves the state dir usable, and rm -f works', async () => {
  const service = join(run, 'service', 'service.pid');
  const before = fingerprintFile(service);
  const leaks = snapshot({ stateDirs: [state] });
  // Twice the tmpfs into each file, then the box stays running: it holds what it wrote.
  const fill = `grep -q '1.2.3.4.*peer' /etc/hosts && grep -q 'nameserver 192.0.2.53' /etc/resolv.conf && echo files-ok; for f in /etc/hosts /etc/resolv.conf; do dd if=/dev/zero of=$f bs=1M count=${TMPFS_MB * 2} 2>/dev/null; done; echo filled; exec sleep 1000`;
  ok(cli(['run', '-d', '--name', 'hosts-filler', '--net', 'none', '--add-host', 'peer:1.2.3.4', '--dns', '192.0.2.53', 'busybox', 'sh', '-c', fill]), 'run -d');
  for (const deadline = Date.now() + 120_000; !cli(['logs', 'hosts-filler']).stdout.includes('filled') && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 200));
  assert.is(cli(['logs', 'hosts-filler']).stdout, 'files-ok\nfilled\n', 'the box got its --add-host and --dns lines, then wrote');
  const { bsize, blocks, bfree } = statfsSync(run);
  const usedMb = ((blocks - bfree) * bsize) / 1e6;
  assert.ok(usedMb < 8, `the tmpfs holds ${usedMb.toFixed(1)} MB while the box runs (old code: full, the files were the state dir's)`);
  writeFileSync(join(run, 'service', 'more'), Buffer.alloc(8 * 1024 * 1024)); // ENOSPC on a full tmpfs
  rmSync(join(run, 'service', 'more'));
  assert.fixture(fingerprintFile(service), before, 'the service\'s file is unchanged');
  // nsbox itself still works in its state dir: the box can be removed (old code: ENOSPC writing its lock, 125).
  ok(cli(['rm', '-f', 'hosts-filler']), 'rm -f');
  await assertNoLeaks(leaks, 'hosts-filler');
});

test.run();
