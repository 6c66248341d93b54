// Issue 6's set: the cost of --net bridge (veth, address, route, bridge checks, /etc/hosts) over --net none
// (a netns with only lo) for `nsbox run -- true`, with a state dir of its own (and so a default bridge of its own).

import { rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { NSBOX_BIN } from '../paths.js';
import type { BenchSet } from '../types.js';
import { checkNsboxRunnable } from './core.js';

const state = `${tmpdir()}/nsbox-bench-net-${process.pid}`;
const env = { NSBOX_STATE: state, NSBOX_CGROUP_PARENT: '.' };

export const netSet: BenchSet = {
  name: 'net',
  title: 'issue 6: nsbox run --net bridge vs --net none (both: run -- true on the host rootfs)',
  reference: 'net none',
  candidates: [
    { name: 'net none', argv: [NSBOX_BIN, 'run', '--net', '--', 'true'], env },
    { name: 'net bridge', argv: [NSBOX_BIN, 'run', '--net', 'bridge', '--', 'true'], env },
  ],
  targets: [{ kind: 'median-within', subject: 'net bridge', reference: 'net none', slackMs: 60 }],
  available() {
    return checkNsboxRunnable();
  },
  teardown() {
    const rm = spawnSync(NSBOX_BIN, ['network', 'rm', 'bridge'], { env: { ...process.env, ...env }, encoding: 'utf8' });
    rmSync(state, { recursive: true, force: true });
    return rm.status === 0 ? [] : [`network rm bridge failed: ${rm.stderr.trim()}`];
  },
};
