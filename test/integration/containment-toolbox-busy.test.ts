// Integration (root), threat "a box process makes the host's programs fail" (SECURITY.md): a box opens its toolbox's
// loader and libc (/dev/.nsbox, read-only binds) for writing in a loop. The kernel refuses each open on the
// read-only mount, but counts the inode as open for writing for an instant first, and an execve(2) of that inode
// meanwhile fails with ETXTBSY. Were the toolbox the host's own files, every dynamically linked program the host
// starts would fail at random. Checked from the host: the box's toolbox files are other inodes than the host's, and
// the host starts a dynamically linked program many times while the box hammers, without one ETXTBSY.

import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';
import { compile, hasGcc } from './containment-fixtures.js';

const LOADER = '/lib64/ld-linux-x86-64.so.2';
const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : !hasGcc ? 'needs gcc (apt-get install gcc libc6-dev)' : !existsSync(LOADER) ? `needs ${LOADER} (x86-64)` : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-tbbusy-'));
const env = { ...process.env, NSBOX_ROOT: join(base, 'store'), NSBOX_STATE: join(base, 'state'), NSBOX_IMAGE_NETWORK: 'none' };
const run = (args: string[]): Result => nsbox(args, { env, timeoutMs: 60_000 });

const HAMMER = `#include <fcntl.h>
#include <unistd.h>
int main(int argc, char **argv) {
  for (;;) for (int i = 1; i < argc; i++) { int fd = open(argv[i], O_WRONLY); if (fd >= 0) { write(1, "OPENED\\n", 7); close(fd); } }
}
`;

test.before(() => {
  if (skipReason) return;
  const r = run(['image', 'import', '--from-host-busybox', 'busybox']);
  assert.is(r.code, 0, r.stderr);
  mkdirSync(join(base, 'probe'));
  compile(HAMMER, join(base, 'probe', 'hammer'), ['-static']);
});

test.after(() => {
  if (!skipReason) run(['rm', '-f', 'hammer']);
  rmSync(base, { recursive: true, force: true });
});

test('a box that opens its toolbox loader and libc for writing in a loop makes no host program fail with ETXTBSY', async () => {
  const before = snapshot({ stateDirs: [env.NSBOX_STATE] });
  const files = '/dev/.nsbox/ld-linux-x86-64.so.2 /dev/.nsbox/libc.so.6';
  const r = run(['run', '-d', '--name', 'hammer', '-v', `${join(base, 'probe')}:/probe:ro`, 'busybox', 'sh', '-c', `/probe/hammer ${files} & exec /probe/hammer ${files}`]);
  assert.is(r.code, 0, r.stderr);
  const pid = run(['inspect', '-f', '{{.State.Pid}}', 'hammer']).stdout.trim();
  // The toolbox the box sees is not the host's loader: another inode (nsbox's copy).
  const inBox = statSync(`/proc/${pid}/root/dev/.nsbox/ld-linux-x86-64.so.2`);
  const host = statSync(LOADER);
  assert.not.ok(inBox.dev === host.dev && inBox.ino === host.ino, 'the box\'s toolbox loader is the host\'s own file');
  // Both hammers running (two of the box's processes besides PID 1's shell, which exec'd into one).
  await new Promise((res) => setTimeout(res, 300));
  let busy = 0;
  let other = '';
  for (let i = 0; i < 1500; i++) {
    const t = spawnSync('/usr/bin/env', ['true']);
    if ((t.error as NodeJS.ErrnoException | undefined)?.code === 'ETXTBSY') busy++;
    else if (t.status !== 0) other ||= `${t.status} ${t.error?.message ?? ''}`;
  }
  const logs = run(['logs', 'hammer']);
  assert.not.match(logs.stdout, /OPENED/, 'a toolbox file opened for writing');
  assert.is(run(['top', 'hammer', '-o', 'pid,args']).stdout.split('\n').filter((l) => l.includes('/probe/hammer')).length, 2, 'both hammers still ran');
  assert.is(busy, 0, `${busy} of 1500 host execs of /usr/bin/env failed with ETXTBSY while the box hammered`);
  assert.is(other, '', 'every host exec succeeded');
  assert.is(run(['rm', '-f', 'hammer']).code, 0);
  await assertNoLeaks(before, 'toolbox-busy');
});

test.run();
