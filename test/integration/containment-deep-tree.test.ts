// Integration (root), threat "a box's files outlive it on the host" (SECURITY.md): a box nests directories as deep
// as its own paths allow (just under PATH_MAX inside), which is past PATH_MAX on the host, where the same files sit
// below the store's longer prefix. Removing such a tree by full paths fails (ENAMETOOLONG): `nsbox rm` said only a
// warning and the box's upper layer stayed in the store, and `volume rm` failed for a volume it filled so. Checked
// from the host: after `rm` and `volume rm`, nothing of the box or the volume is left in the store.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-deep-'));
const store = join(base, 'store');
const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: join(base, 'state'), NSBOX_IMAGE_NETWORK: 'none' };
const run = (args: string[]): Result => nsbox(args, { env, timeoutMs: 60_000 });

/** Directories nested in DIR until the box's own path is too long for one more (100-byte names), then a file. */
const NEST = (dir: string) => `cd ${dir} && n=0 && while mkdir ${'d'.repeat(100)} 2>/dev/null && cd ${'d'.repeat(100)} 2>/dev/null; do n=$((n+1)); done; echo x > f 2>/dev/null; echo "nested $n"`;

test.before(() => {
  if (skipReason) return;
  const r = run(['image', 'import', '--from-host-busybox', 'busybox']);
  assert.is(r.code, 0, r.stderr);
});

test.after(() => {
  if (!skipReason) run(['rm', '-f', 'deep']);
  // What the fix would have removed (a failing run leaves it): GNU rm walks any depth.
  spawnSync('rm', ['-rf', '--one-file-system', '--', base]);
});

test('a box that nests directories past the host\'s PATH_MAX in its layer and in a volume: rm and volume rm leave nothing of it in the store', async () => {
  const before = snapshot({ stateDirs: [env.NSBOX_STATE] });
  assert.is(run(['volume', 'create', 'deepvol']).code, 0);
  const r = run(['run', '--name', 'deep', '-v', 'deepvol:/vol', 'busybox', 'sh', '-c', `(${NEST('/tmp')}) && (${NEST('/vol')})`]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^nested (3[0-9]|40)\nnested (3[0-9]|40)\n$/, `the box nested its directories (the attack ran): ${r.stdout}`);
  const id = readdirSync(join(store, 'containers')).find((d) => /^[0-9a-f]{64}$/.test(d));
  assert.ok(id, 'the box has a container directory');
  const removed = run(['rm', 'deep']);
  assert.is(removed.code, 0, removed.stderr);
  assert.is(removed.stderr, '', 'rm says nothing more');
  assert.not.ok(existsSync(join(store, 'containers', id!)), `the box's layer stayed in the store: ${removed.stderr.slice(0, 300)}`);
  const vol = run(['volume', 'rm', 'deepvol']);
  assert.is(vol.code, 0, vol.stderr.slice(0, 300));
  assert.not.ok(existsSync(join(store, 'volumes', 'deepvol')), 'the volume is gone');
  const tmp = join(store, 'tmp');
  assert.equal(existsSync(tmp) ? readdirSync(tmp) : [], [], 'nothing left in the store\'s tmp (a volume\'s trash)');
  await assertNoLeaks(before, 'deep-tree');
});

test.run();
