// Real OCI callers for integration tests: a private podman store (and a private containerd) that drive
// bin/nsbox-runtime, a busybox image built at test time, and a cgroup parent inside the test's own cgroup.

import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync, symlinkSync, copyFileSync, chmodSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bin/nsbox-runtime of this checkout. */
export const RUNTIME = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/nsbox-runtime');

/** This host's rlimits are lower than podman 4.3's defaults (NOFILE 1048576). */
export const PODMAN_ULIMITS = ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=32768:32768'];

export const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** The pids in a cgroup with their command lines, '' when it has none. */
function taskList(cgroupDir: string): string {
  let pids: string[];
  try {
    pids = readFileSync(join(cgroupDir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return '';
  }
  return pids.map((pid) => {
    try {
      return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim().slice(0, 120)}`;
    } catch {
      return pid;
    }
  }).join('; ');
}

/** A busybox root file system (relative applet links) packed as a tar, for `podman import`. */
export function buildBusyboxTar(dir: string): string {
  const root = join(dir, 'bb-rootfs');
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) if (!existsSync(join(root, 'bin', a))) symlinkSync('busybox', join(root, 'bin', a));
  const tar = join(dir, 'bb.tar');
  execFileSync('tar', ['-C', root, '-cf', tar, '.']);
  return tar;
}

export interface CgroupParent {
  /** The absolute cgroup path (the same on every hierarchy), for podman --cgroup-parent. */
  readonly path: string;
  /** Every cgroup directory below the parent, in every hierarchy, except podman's own conmon ones. */
  readonly containerDirs: () => string[];
  /** rmdir everything below the parent and every ancestor this helper found missing (only empty ones). */
  readonly remove: () => void;
}

const MOUNT = '/sys/fs/cgroup';

/**
 * A cgroup parent below this process's own cgroup on every hierarchy. podman places conmon at the same absolute
 * path on every hierarchy, so the path is the deepest of this process's cgroups (the others must be its prefixes:
 * on this host memory is /process_api/<id> and the rest /). undefined when no such path exists.
 */
export function makeCgroupParent(name: string): CgroupParent | undefined {
  const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean).map((l) => l.split(':'))
    .filter(([, c]) => c !== '' && !c!.startsWith('name=')).map(([, c, p]) => ({ hierarchy: c!, path: p! }));
  const deepest = own.map((o) => o.path).sort((a, b) => b.length - a.length)[0] ?? '/';
  if (!own.every((o) => o.path === '/' || deepest === o.path || deepest.startsWith(`${o.path}/`))) return undefined;
  const path = `${deepest === '/' ? '' : deepest}/${name}`;
  // Every hierarchy, named ones (systemd) and the v2 one of a hybrid host too: podman makes conmon's cgroup in each.
  // (A pure v2 host has one, the mount itself: its entries are cgroups.)
  const hierarchies = existsSync(join(MOUNT, 'cgroup.controllers')) ? [''] : readdirSync(MOUNT).filter((h) => existsSync(join(MOUNT, h, 'cgroup.procs')));
  const missing: string[] = [];
  for (const h of hierarchies) {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const dir = join(MOUNT, h, ...parts.slice(0, i));
      if (!existsSync(dir)) missing.push(dir);
    }
  }
  const below = () => hierarchies.flatMap((h) => walk(join(MOUNT, h, path)));
  return {
    path,
    containerDirs: () => below().filter((d) => !/\/conmon$/.test(d)),
    remove: () => {
      for (const dir of [...below(), ...missing].sort((a, b) => b.length - a.length)) {
        // Busy: podman's `conmon` (which exits on its own after `podman rm`) was seen still in its cgroup under load,
        // and gone a moment later. Wait up to 10 s for the tasks to leave; then say whose they are, for the runner's
        // leftover-cgroup failure.
        for (const deadline = Date.now() + 10_000; ;) {
          try {
            rmdirSync(dir);
          } catch (error) {
            // gone, or not empty (then it is not ours alone)
            if ((error as NodeJS.ErrnoException).code !== 'EBUSY') break;
            if (Date.now() < deadline) {
              Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
              continue;
            }
            const tasks = taskList(dir);
            if (tasks !== '') console.log(`cgroup ${dir} not removed after 10 s, its tasks: ${tasks}`);
          }
          break;
        }
      }
    },
  };
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...walk(join(dir, e.name)), join(dir, e.name));
  return out;
}

export interface Podman {
  (...args: string[]): { code: number | null; stdout: string; stderr: string };
  readonly base: readonly string[];
}

/**
 * nsbox-runtime with its state in `root`, as one executable: podman's --runtime-flag does not reach the
 * `delete --force` of its cleanup process, so the flag is put in front of every call by a two-line script.
 */
export function runtimeWithRoot(dir: string, root: string): string {
  const path = join(dir, 'nsbox-runtime');
  writeFileSync(path, `#!/bin/sh\nexec ${RUNTIME} --root ${root} "$@"\n`, { mode: 0o755 });
  return path;
}

/**
 * `dir` becomes a shared mount of its own (bound onto itself), as every mount is on a systemd host. podman 4.3 starts
 * conmon of a container whose user namespace does not map the host's root in a mount namespace of its own, a copy of
 * the host's, and counts on propagation (its comment: "so that the cleanup process is still able to umount the
 * storage and the changes are propagated to the host"): the exit-cleanup process conmon starts unmounts the
 * container's userdata/shm there and marks the storage unmounted. On a host whose mounts are private (this one) the
 * host's copy stays, and `podman rm` (which then skips the unmount) fails EBUSY in c/storage's plain rm -rf of the
 * container directory, whatever the OCI runtime (runc too). Undo: umount `dir` (after what is mounted below it).
 */
export function makeSharedMount(dir: string): void {
  execFileSync('mount', ['--bind', dir, dir]);
  execFileSync('mount', ['--make-shared', dir]);
}

/** podman with a private store under `dir`, nsbox-runtime as its runtime (state in `dir`/runtime), cgroupfs, no events. */
export function privatePodman(dir: string, runtime?: string): Podman {
  const chosen = runtime ?? runtimeWithRoot(dir, join(dir, 'runtime'));
  const base = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs', '--events-backend', 'none', '--cgroup-manager', 'cgroupfs', '--runtime', chosen];
  const run = (...args: string[]) => {
    // cwd: conmon 2.1.6 writes its "oom" marker into its working directory (podman 4.3 then misses it).
    const r = spawnSync('podman', [...base, ...args], { encoding: 'utf8', timeout: 120_000, cwd: dir, env: { ...process.env, TMPDIR: dir } });
    return { code: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? ` (${r.error.message})` : ''}` };
  };
  return Object.assign(run, { base });
}

export interface Containerd {
  /** ctr against the private daemon, in namespace nsbox-rt. */
  ctr(...args: string[]): { code: number | null; stdout: string; stderr: string };
  stop(): Promise<void>;
}

/** A private containerd (own root, state, socket under `dir`; no CRI plugin). Resolves once it answers. */
export async function startContainerd(dir: string): Promise<Containerd> {
  const { spawn } = await import('node:child_process');
  const { openSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'config.toml');
  writeFileSync(config, [
    'version = 2', `root = "${dir}/root"`, `state = "${dir}/state"`, 'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]', `  address = "${dir}/containerd.sock"`, '[ttrpc]', `  address = "${dir}/containerd.sock.ttrpc"`, '',
  ].join('\n'));
  const log = openSync(join(dir, 'containerd.log'), 'a');
  const daemon = spawn('containerd', ['--config', config], { stdio: ['ignore', log, log] });
  const exited = new Promise<void>((r) => daemon.on('exit', () => r()));
  const ctr = (...args: string[]) => {
    const r = spawnSync('ctr', ['--address', `${dir}/containerd.sock`, '--namespace', 'nsbox-rt', ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? ` (${r.error.message})` : ''}` };
  };
  for (let i = 0; ctr('version').code !== 0; i++) {
    if (i > 100) throw new Error(`containerd did not start: ${readFileSync(join(dir, 'containerd.log'), 'utf8').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    ctr,
    stop: async () => {
      daemon.kill('SIGTERM');
      await exited;
      // Shims (and a container they still hold) outlive the daemon: end those started for this daemon, by pid.
      for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${dir}/containerd.sock`)) process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone
        }
      }
    },
  };
}

/**
 * nsbox-runtime with its output in files below `base`: a created container keeps the stdio it was given (as under
 * runc), so pipes would stay open after the runtime exits.
 */
export function runtimeWithFiles(base: string, root: string, timeoutMs = 60_000): (...args: string[]) => { code: number | null; stdout: string; stderr: string } {
  return (...args) => {
    const out = join(base, 'rt.out');
    const err = join(base, 'rt.err');
    const fds = [openSync(out, 'w'), openSync(err, 'w')];
    const r = spawnSync(RUNTIME, ['--root', root, ...args], { stdio: ['ignore', fds[0]!, fds[1]!], timeout: timeoutMs });
    for (const fd of fds) closeSync(fd);
    return { code: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  };
}
