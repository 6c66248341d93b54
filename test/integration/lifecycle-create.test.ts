// Integration (root): box commands as a Docker user meets them, with an image box (busybox) and a host-root box:
// `exec BOX nosuch` says what docker exec says (127, 126), never a path of nsbox's own. Checked from the outside.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, ok, type Result } from '../helpers/nsbox.js';
import { assertNoLeaks, removeCgroupParents, snapshot, type Snapshot } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';

const test = gatedTest(!isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined);
const BASE = mkdtempSync(join(tmpdir(), 'nsbox-create-'));
const STORE = join(BASE, 'store');
const STATE = join(BASE, 'state');
const PARENT = `./create-${process.pid}`;
const ENV = { ...process.env, NSBOX_ROOT: STORE, NSBOX_STATE: STATE, NSBOX_CGROUP_PARENT: PARENT, NSBOX_IMAGE_NETWORK: 'none' };
const OWN = { stateDirs: [STATE], cgroupParents: [PARENT] };

const run = (args: readonly string[]): Result => nsbox(args, { env: ENV, timeoutMs: 60_000 });
const containers = (): string[] => (existsSync(join(STORE, 'containers')) ? readdirSync(join(STORE, 'containers')) : []);
const boxes = (): string[] => (existsSync(join(STATE, 'boxes')) ? readdirSync(join(STATE, 'boxes')) : []);

let before: Snapshot;
test.before(() => {
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox');
});
test.before.each(() => {
  before = snapshot(OWN);
});
test.after.each(async () => {
  for (const id of run(['ps', '-aq']).stdout.split('\n').filter(Boolean)) run(['rm', '-f', id]);
  assert.equal([boxes(), containers()], [[], []], 'no state or container directory left');
  await assertNoLeaks(before, 'box commands');
});
test.after(() => {
  removeCgroupParents([PARENT]);
  rmSync(BASE, { recursive: true, force: true });
});

test('exec of a command the box cannot run: docker exec\'s words and codes, no nsbox-internal path', () => {
  ok(run(['run', '-d', '--name', 'img', 'busybox', 'sleep', '1000']), 'run -d image');
  ok(run(['run', '-d', '--name', 'hostbox', '--pid', '--', 'sleep', '1000']), 'run -d host root');
  for (const box of ['img', 'hostbox']) {
    const cases: Array<[string[], number, string]> = [
      [['nosuch'], 127, `exec: "nosuch": executable file not found in $PATH`],
      [['/nonexist/x'], 127, 'exec: "/nonexist/x": stat /nonexist/x: no such file or directory'],
      [['/etc/passwd'], 126, 'exec: "/etc/passwd": permission denied'],
      [['/etc'], 126, 'exec: "/etc": is a directory'],
    ];
    for (const [command, code, words] of cases) {
      const r = run(['exec', box, ...command]);
      assert.equal([r.code, r.stdout, r.stderr], [code, '', `nsbox: cannot exec in box ${box}: ${words}\n`], `${box}: exec ${command.join(' ')}`);
    }
    const wd = run(['exec', '-w', '/nonexist', box, 'true']);
    assert.equal([wd.code, wd.stderr], [126, `nsbox: cannot exec in box ${box}: chdir to "/nonexist": no such directory\n`]);
    // What runs is unchanged: -w, -u, arguments, the command's own 127, a relative path from -w.
    assert.equal(ok(run(['exec', '-w', '/etc', '-u', '1000', box, 'sh', '-c', 'pwd; id -u; echo "$@"', 'sh', 'a b', 'c']), 'exec'), '/etc\n1000\na b c\n');
    assert.is(run(['exec', box, 'sh', '-c', 'exit 127']).code, 127);
    assert.equal(ok(run(['exec', '-w', '/bin', box, './sh', '-c', 'echo rel']), 'exec ./sh'), 'rel\n');
  }
  // The image box's PATH (-e sets it) is where the command is looked for; a file without x for the user is 126.
  const path = run(['exec', '-e', 'PATH=/nowhere', 'img', 'ls']);
  assert.equal([path.code, path.stderr], [127, 'nsbox: cannot exec in box img: exec: "ls": executable file not found in $PATH\n']);
  ok(run(['exec', 'img', 'sh', '-c', 'cp /bin/busybox /tmp/tool && chmod 700 /tmp/tool']), 'a root-only tool');
  const denied = run(['exec', '-u', '1000', '-e', 'PATH=/tmp', 'img', 'tool']);
  assert.equal([denied.code, denied.stderr], [126, 'nsbox: cannot exec in box img: exec: "tool": permission denied\n']);
});

test.run();
