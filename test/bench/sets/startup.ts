// Issue 14's set: one box running `true`, nsbox beside its peers in one interleaved run: bare node start-up,
// unshare, bwrap on the busybox image's root, runc (and crun) with a 100 MB memory limit in a fresh cgroup below the
// bench's own, nsbox host-root and image boxes, and the image box's --dry-run script run by sh (no Node at all).
// The store, state dir and cgroups are the set's own (box cgroups go directly below the bench's cgroups).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool, NSBOX_BIN } from '../paths.js';
import { RUN_NUMBER, type BenchSet, type Candidate } from '../types.js';
import { checkNsboxRunnable, CORE_NSBOX_FLAGS } from './core.js';
import { writeOciBundle } from './oci-bundle.js';

const work = join(tmpdir(), `nsbox-bench-startup-${process.pid}`);
/** The set's nsbox environment: its own store and state, box cgroups below the bench's own. */
export const STARTUP_ENV = { NSBOX_STATE: join(work, 'state'), NSBOX_ROOT: join(work, 'store'), NSBOX_CGROUP_PARENT: '.' };
/** The busybox image's layer, linked here in setup: the root every peer runs. */
const rootfs = join(work, 'rootfs');
const script = (driver: string) => join(work, `dry-run-${driver}.sh`);
const MEMORY = 100 * 1024 * 1024;
const CA_FILE = '/etc/ssl/certs/ca-certificates.crt';

const bwrap = findTool('bwrap');
const runc = findTool('runc');
// crun refuses cgroup v1 hybrid hosts ("drop all controllers from cgroupv2"): only on a pure v2 host.
const crun = existsSync('/sys/fs/cgroup/cgroup.controllers') && !existsSync('/sys/fs/cgroup/memory') ? findTool('crun') : undefined;
const baseline = process.env.BENCH_NSBOX_BASELINE || undefined;
const imageBox = (...limits: string[]) => [NSBOX_BIN, 'run', '--rm', '--net', 'none', ...limits, 'busybox', 'true'];

const candidates: Candidate[] = [
  { name: 'node -e 0', argv: [findTool('node') ?? process.execPath, '-e', '0'] },
  { name: 'unshare', argv: ['unshare', '--fork', '--pid', '--mount-proc', '--uts', '--ipc', '--net', 'true'] },
  ...(bwrap ? [{ name: 'bwrap', argv: [bwrap, '--unshare-all', '--die-with-parent', '--ro-bind', rootfs, '/', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '/bin/true'] }] : []),
  ...(runc ? [{ name: 'runc 100m', argv: [runc, 'run', '--bundle', join(work, 'bundle-true'), `nsbox-bench-${RUN_NUMBER}`] }] : []),
  ...(crun ? [{ name: 'crun 100m', argv: [crun, 'run', '--bundle', join(work, 'bundle-true'), `nsbox-bench-${RUN_NUMBER}`] }] : []),
  { name: 'nsbox host-root', argv: [NSBOX_BIN, 'run', ...CORE_NSBOX_FLAGS, '--', 'true'], env: STARTUP_ENV },
  ...(existsSync(CA_FILE) ? [{ name: 'nsbox host-root, CA certs', argv: [NSBOX_BIN, 'run', ...CORE_NSBOX_FLAGS, '--', 'true'], env: { ...STARTUP_ENV, NODE_EXTRA_CA_CERTS: CA_FILE } }] : []),
  { name: 'nsbox image', argv: imageBox(), env: STARTUP_ENV },
  { name: 'nsbox image 100m', argv: imageBox('--memory', '100m'), env: STARTUP_ENV },
  { name: 'nsbox image 100m cgroupfs', argv: imageBox('--memory', '100m'), env: { ...STARTUP_ENV, NSBOX_CGROUP_DRIVER: 'cgroupfs' } },
  // BENCH_NSBOX_BASELINE=/other/checkout/bin/nsbox: the same boxes by another build, side by side (before/after).
  ...(baseline
    ? [
        { name: 'baseline host-root', argv: [baseline, 'run', ...CORE_NSBOX_FLAGS, '--', 'true'], env: STARTUP_ENV },
        { name: 'baseline image 100m', argv: [baseline, ...imageBox('--memory', '100m').slice(1)], env: STARTUP_ENV },
      ]
    : []),
  { name: 'dry-run script by sh', argv: ['sh', script('default')] },
  { name: 'dry-run script cgroupfs', argv: ['sh', script('cgroupfs')] },
];

export const startupSet: BenchSet = {
  name: 'startup',
  title: 'issue 14: one box running true: nsbox (host root, image box, its --dry-run script) beside node, unshare, bwrap, runc',
  reference: 'node -e 0',
  ...(runc ? { peer: 'runc 100m' } : {}),
  candidates,
  targets: [
    { kind: 'median-within', subject: 'nsbox image 100m', reference: 'node -e 0', slackMs: 40 },
    { kind: 'median-within', subject: 'nsbox host-root', reference: 'node -e 0', slackMs: 15 },
    { kind: 'median-ratio', subject: 'dry-run script by sh', reference: 'runc 100m', factor: 1.3 },
    { kind: 'rss-below', subject: 'nsbox image 100m', limitMb: 60 },
  ],
  available() {
    if (!existsSync('/bin/busybox')) return 'needs /bin/busybox (apt-get install busybox-static)';
    return checkNsboxRunnable();
  },
  setup() {
    prepareStartupWork();
    for (const driver of ['default', 'cgroupfs']) {
      const env = { ...process.env, ...STARTUP_ENV, ...(driver === 'cgroupfs' ? { NSBOX_CGROUP_DRIVER: 'cgroupfs' } : {}) };
      writeFileSync(script(driver), execFileSync(NSBOX_BIN, ['run', '--dry-run', ...imageBox('--memory', '100m').slice(2)], { env, encoding: 'utf8' }));
    }
    if (runc ?? crun) writeOciBundle((runc ?? crun)!, join(work, 'bundle-true'), { rootfs: realpathSync(rootfs), args: ['/bin/true'], memoryBytes: MEMORY });
  },
  teardown: cleanStartupWork,
};

/** The set's store with the busybox image, and its layer linked as the peers' root. Shared with startup-50. */
export function prepareStartupWork(): void {
  if (existsSync(rootfs)) return;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const env = { ...process.env, ...STARTUP_ENV };
  execFileSync(NSBOX_BIN, ['image', 'import', '--from-host-busybox', 'busybox'], { stdio: 'ignore', env });
  const inspect = JSON.parse(execFileSync(NSBOX_BIN, ['image', 'inspect', 'busybox'], { encoding: 'utf8', env })) as { lowerDirs: string[] };
  symlinkSync(inspect.lowerDirs[0]!, rootfs);
}

export function startupWork(): string {
  return work;
}

/** Removes the set's files; a container left in the store is reported. */
export function cleanStartupWork(): readonly string[] {
  const containers = join(STARTUP_ENV.NSBOX_ROOT, 'containers');
  const left = existsSync(containers) ? readdirSync(containers) : [];
  rmSync(work, { recursive: true, force: true });
  return left.length > 0 ? [`containers left behind: ${left.length}`] : [];
}
