// Issue 12's set: what the default bridge costs an image box, `run --rm --net bridge busybox true` against the same
// box with `--net none` (a network namespace with only lo), side by side; target +30 ms. The state dir and image
// store are the set's own: its default bridge is named after its state dir, never the host's nsbox0.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSBOX_BIN } from '../paths.js';
import type { BenchSet } from '../types.js';
import { checkNsboxRunnable } from './core.js';

const work = join(tmpdir(), `nsbox-bench-net-image-${process.pid}`);
const env = { NSBOX_STATE: join(work, 'state'), NSBOX_ROOT: join(work, 'store'), NSBOX_CGROUP_PARENT: '.' };
const box = (net: string) => [NSBOX_BIN, 'run', '--rm', '--net', net, 'busybox', 'true'];

export const netImageSet: BenchSet = {
  name: 'net-image',
  title: 'issue 12: nsbox run --rm --net bridge busybox true vs --net none (image box; its own state dir and default bridge)',
  reference: 'net none',
  candidates: [
    { name: 'net none', argv: box('none'), env },
    { name: 'net bridge', argv: box('bridge'), env },
  ],
  targets: [{ kind: 'median-within', subject: 'net bridge', reference: 'net none', slackMs: 30 }],
  available() {
    if (!existsSync('/bin/busybox')) return 'needs /bin/busybox (apt-get install busybox-static)';
    return checkNsboxRunnable();
  },
  setup() {
    rmSync(work, { recursive: true, force: true });
    execFileSync(NSBOX_BIN, ['image', 'import', '--from-host-busybox', 'busybox'], { stdio: 'ignore', env: { ...process.env, ...env } });
  },
  teardown() {
    const rm = spawnSync(NSBOX_BIN, ['network', 'rm', 'bridge'], { env: { ...process.env, ...env }, encoding: 'utf8' });
    rmSync(work, { recursive: true, force: true });
    return rm.status === 0 || /unknown network/.test(rm.stderr) ? [] : [`network rm bridge failed: ${rm.stderr.trim()}`];
  },
};
