// Issue 9's seccomp cost: `nsbox run --rm busybox true` with nsbox's default profile and with
// --security-opt seccomp=unconfined, side by side. The difference is the loader (perl, or setpriv's own
// --seccomp-filter on util-linux 2.41+) and the program's mount; the compiled program is cached in the store.
// Target: the filter costs at most 5 ms.

import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSBOX_BIN } from '../paths.js';
import type { BenchSet } from '../types.js';

const work = join(tmpdir(), `nsbox-bench-seccomp-${process.pid}`);
const store = join(work, 'store');
const run = (...flags: string[]): string[] => [NSBOX_BIN, 'run', '--root', store, '--rm', '--net', 'none', ...flags, 'busybox', 'true'];

export const seccompSet: BenchSet = {
  name: 'seccomp',
  title: 'issue 9: nsbox run --rm busybox true, with the default seccomp profile and unconfined',
  reference: 'unconfined',
  candidates: [
    { name: 'default profile', argv: run(), env: { NSBOX_CGROUP_PARENT: '.' } },
    { name: 'unconfined', argv: run('--security-opt', 'seccomp=unconfined'), env: { NSBOX_CGROUP_PARENT: '.' } },
  ],
  targets: [{ kind: 'median-within', subject: 'default profile', reference: 'unconfined', slackMs: 5 }],
  available() {
    if (process.getuid?.() !== 0) return 'needs root (namespaces, overlayfs)';
    if (!existsSync('/bin/busybox')) return 'needs /bin/busybox (apt-get install busybox-static)';
    if (!existsSync(NSBOX_BIN)) return `${NSBOX_BIN} missing`;
    return undefined;
  },
  setup() {
    rmSync(work, { recursive: true, force: true });
    execFileSync(NSBOX_BIN, ['image', 'import', '--root', store, '--from-host-busybox', 'busybox'], { stdio: 'ignore' });
  },
  teardown() {
    const warnings: string[] = [];
    const left = existsSync(join(store, 'containers')) ? execFileSync('ls', [join(store, 'containers')], { encoding: 'utf8' }).trim() : '';
    if (left) warnings.push(`containers left behind: ${left.split('\n').length}`);
    rmSync(work, { recursive: true, force: true });
    return warnings;
  },
};
