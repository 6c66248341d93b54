// Issue 4's set: `nsbox run --rm busybox true` against bwrap, crun and runc on the same busybox rootfs (each one
// only when installed: apt-get install bubblewrap crun runc), and against bare node start-up.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool, NSBOX_BIN } from '../paths.js';
import type { BenchSet, Candidate } from '../types.js';

const work = join(tmpdir(), `nsbox-bench-image-${process.pid}`);
const store = join(work, 'store');
const bundle = join(work, 'bundle');
/** The busybox image's single layer: the rootfs every candidate runs (read-only for the others). */
const rootfsLink = join(work, 'rootfs');

const bwrap = findTool('bwrap');
const crun = findTool('crun');
const runc = findTool('runc');

const candidates: Candidate[] = [
  { name: 'nsbox', argv: [NSBOX_BIN, 'run', '--root', store, '--rm', '--net', 'none', 'busybox', 'true'], env: { NSBOX_CGROUP_PARENT: '.' } },
  ...(bwrap ? [{ name: 'bwrap', argv: [bwrap, '--unshare-all', '--die-with-parent', '--ro-bind', rootfsLink, '/', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '/bin/true'] }] : []),
  // crun/runc need a fresh container id per run: a tiny sh wrapper adds one.
  ...(crun ? [{ name: 'crun', argv: ['/bin/sh', '-c', `exec ${crun} --cgroup-manager=disabled run --bundle ${bundle} nsbox-bench-crun-$$`] }] : []),
  ...(runc ? [{ name: 'runc', argv: ['/bin/sh', '-c', `exec ${runc} run --bundle ${bundle} nsbox-bench-runc-$$`] }] : []),
  { name: 'node -e 0', argv: [findTool('node') ?? process.execPath, '-e', '0'] },
];

export const imageSet: BenchSet = {
  name: 'image',
  title: `issue 4: nsbox run --rm busybox true vs ${[bwrap && 'bwrap', crun && 'crun', runc && 'runc'].filter(Boolean).join(', ') || '(bwrap, crun, runc not installed)'} on the same rootfs`,
  reference: 'node -e 0',
  candidates,
  targets: [{ kind: 'median-within', subject: 'nsbox', reference: 'node -e 0', slackMs: 40 }],
  available() {
    if (process.getuid?.() !== 0) return 'needs root (namespaces, overlayfs)';
    if (!existsSync('/bin/busybox')) return 'needs /bin/busybox (apt-get install busybox-static)';
    if (!existsSync(NSBOX_BIN)) return `${NSBOX_BIN} missing`;
    return undefined;
  },
  setup() {
    rmSync(work, { recursive: true, force: true });
    execFileSync(NSBOX_BIN, ['image', 'import', '--root', store, '--from-host-busybox', 'busybox'], { stdio: 'ignore' });
    const inspect = JSON.parse(execFileSync(NSBOX_BIN, ['image', 'inspect', '--root', store, 'busybox'], { encoding: 'utf8' })) as { lowerDirs: string[] };
    execFileSync('ln', ['-s', inspect.lowerDirs[0]!, rootfsLink]);
    const specTool = crun ?? runc;
    if (specTool) {
      mkdirSync(bundle, { recursive: true });
      execFileSync(specTool, ['spec'], { cwd: bundle });
      const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Record<string, any>;
      config.process.terminal = false;
      config.process.args = ['/bin/true'];
      config.root = { path: inspect.lowerDirs[0], readonly: true };
      // runc always makes a cgroup: put it under this process's own (never elsewhere in the host's tree).
      const own = /^\d+:[^:]*:(\/.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
      config.linux.cgroupsPath = `${own.replace(/\/$/, '')}/nsbox-bench-runc`;
      delete config.linux.resources;
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2));
    }
  },
  teardown() {
    const warnings: string[] = [];
    const left = existsSync(join(store, 'containers')) ? execFileSync('ls', [join(store, 'containers')], { encoding: 'utf8' }).trim() : '';
    if (left) warnings.push(`containers left behind: ${left.split('\n').length}`);
    rmSync(work, { recursive: true, force: true });
    return warnings;
  },
};
