// Issue 13's set: nsbox-runtime beside runc, the same way each is used. podman --runtime X run --rm IMAGE true (a
// private podman store, busybox imported, no network, cgroups below the bench's own), and the runtime's own
// create + start + delete on one bundle (and `run`, create+start+wait+delete in one call). Target: within 1.5x of runc.

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool, REPO_ROOT } from '../paths.js';
import { RUN_NUMBER, type BenchSet, type Candidate } from '../types.js';
import { writeOciBundle } from './oci-bundle.js';

const work = join(tmpdir(), `nsbox-bench-oci-${process.pid}`);
const RUNTIME = join(REPO_ROOT, 'bin', 'nsbox-runtime');
const runc = findTool('runc');
const podman = findTool('podman');
const rootfs = join(work, 'rootfs');
const bundle = join(work, 'bundle');
/** podman puts conmon at the same absolute path on every hierarchy: the deepest of the bench's own cgroups. */
const cgroupParent = `${ownDeepestCgroup()}/nsbox-bench-oci-${process.pid}`.replace(/^\/\//, '/');
const podmanArgs = (runtime: string) => ['--root', join(work, 'podman/root'), '--runroot', join(work, 'podman/run'), '--storage-driver', 'vfs', '--events-backend', 'none', '--cgroup-manager', 'cgroupfs', '--runtime', runtime];
const podmanRun = ['run', '--rm', '--network', 'none', '--cgroup-parent', cgroupParent, '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=32768:32768', 'localhost/nsbox-bench-bb', 'true'];
/** create + start + delete --force of one container, as a caller makes the three calls. */
const threeCalls = (tool: string, root: string) => ['sh', '-c', `"$1" --root "$2" create --bundle "$3" "$4" </dev/null >/dev/null 2>&1 && "$1" --root "$2" start "$4" && "$1" --root "$2" delete --force "$4"`, 'sh', tool, root, bundle, `b${RUN_NUMBER}`];

const candidates: Candidate[] = [
  ...(runc ? [{ name: 'runc run', argv: [runc, '--root', join(work, 'runc'), 'run', '--bundle', bundle, `r${RUN_NUMBER}`] }] : []),
  { name: 'nsbox-runtime run', argv: [RUNTIME, '--root', join(work, 'nsrt'), 'run', '--bundle', bundle, `n${RUN_NUMBER}`] },
  ...(runc ? [{ name: 'runc create+start+delete', argv: threeCalls(runc, join(work, 'runc')) }] : []),
  { name: 'nsbox-runtime create+start+delete', argv: threeCalls(RUNTIME, join(work, 'nsrt')) },
  ...(podman && runc ? [{ name: 'podman --runtime runc', argv: [podman, ...podmanArgs(runc), ...podmanRun] }] : []),
  ...(podman ? [{ name: 'podman --runtime nsbox-runtime', argv: [podman, ...podmanArgs(join(work, 'nsbox-runtime')), ...podmanRun] }] : []),
];

export const ociSet: BenchSet = {
  name: 'oci',
  title: 'issue 13: nsbox-runtime vs runc: the same bundle (run; create+start+delete), and under podman run --rm true',
  reference: runc ? 'runc run' : 'nsbox-runtime run',
  ...(runc ? { peer: 'runc run' } : {}),
  candidates,
  targets: runc
    ? [
        { kind: 'median-ratio', subject: 'nsbox-runtime run', reference: 'runc run', factor: 1.5 },
        { kind: 'median-ratio', subject: 'nsbox-runtime create+start+delete', reference: 'runc create+start+delete', factor: 1.5 },
        ...(podman ? [{ kind: 'median-ratio' as const, subject: 'podman --runtime nsbox-runtime', reference: 'podman --runtime runc', factor: 1.5 }] : []),
      ]
    : [],
  available() {
    if (process.getuid?.() !== 0) return 'needs root';
    if (!existsSync('/bin/busybox')) return 'needs /bin/busybox (apt-get install busybox-static)';
    if (!existsSync(join(REPO_ROOT, 'dist/bundle/nsbox.cjs'))) return 'needs npm run build';
    return undefined;
  },
  setup() {
    rmSync(work, { recursive: true, force: true });
    for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
    copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
    chmodSync(join(rootfs, 'bin/busybox'), 0o755);
    for (const a of ['sh', 'true']) symlinkSync('busybox', join(rootfs, 'bin', a));
    writeOciBundle(runc ?? 'runc', bundle, { rootfs, args: ['/bin/true'] });
    // The bundle's cgroupsPath stays unset: each runtime puts "<id>" below its own cgroup (never the host's).
    writeFileSync(join(work, 'nsbox-runtime'), `#!/bin/sh\nexec ${RUNTIME} --root ${join(work, 'nsrt-podman')} "$@"\n`, { mode: 0o755 });
    if (podman) {
      execFileSync('tar', ['-C', rootfs, '-cf', join(work, 'bb.tar'), '.']);
      execFileSync(podman, [...podmanArgs(runc ?? 'runc'), 'import', join(work, 'bb.tar'), 'localhost/nsbox-bench-bb'], { stdio: 'ignore', env: { ...process.env, TMPDIR: work } });
    }
  },
  teardown() {
    const warnings: string[] = [];
    for (const root of ['runc', 'nsrt', 'nsrt-podman']) {
      const dir = join(work, root);
      const left = existsSync(dir) ? readdirSync(dir).filter((e) => existsSync(join(dir, e, 'state.json'))) : [];
      if (left.length > 0) warnings.push(`${root}: containers left: ${left.join(' ')}`);
    }
    if (podman) spawnSync(podman, [...podmanArgs(runc ?? 'runc'), 'rm', '-af'], { stdio: 'ignore' });
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
      const target = line.split(' ')[4];
      if (target?.startsWith(`${work}/`)) spawnSync('umount', ['-l', target]);
    }
    removeCgroupParent();
    rmSync(work, { recursive: true, force: true });
    return warnings;
  },
};

function ownDeepestCgroup(): string {
  try {
    const paths = readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean).map((l) => l.split(':')).filter(([, c]) => c && !c.startsWith('name=')).map(([, , p]) => p!);
    return paths.sort((a, b) => b.length - a.length)[0] ?? '';
  } catch {
    return '';
  }
}

/** podman's conmon cgroups (and the parents podman made on hierarchies where the bench sits at the root). */
function removeCgroupParent(): void {
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const parts = cgroupParent.split('/').filter(Boolean);
    for (let i = parts.length; i >= 1; i--) {
      const dir = join('/sys/fs/cgroup', h, ...parts.slice(0, i));
      if (!existsSync(dir)) continue;
      for (const e of i === parts.length ? readdirSync(dir, { withFileTypes: true }) : []) if (e.isDirectory()) tryRmdir(join(dir, e.name));
      // Ancestors only on hierarchies where the bench's own cgroup is higher up (rmdir refuses a non-empty one).
      if (i === parts.length || !ownPath(h).startsWith(`/${parts.slice(0, i).join('/')}`)) tryRmdir(dir);
    }
  }
}

function ownPath(hierarchy: string): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(hierarchy));
  return line?.split(':')[2] ?? '/';
}

function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // busy or not empty: not ours alone
  }
}
