// run --group-add GROUP: the shape of each value, names through the box's /etc/group (the same tables as --user),
// the groups after the user's own, and the final exec's setpriv --groups.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NsboxError } from '../../src/errors.js';
import { parseGroupAdd } from '../../src/spec/group-add-flag.js';
import { addGroups, resolveUserFromTables } from '../../src/rootfs/image-user.js';
import { identitySwitch } from '../../src/rootfs/final-exec.js';
import { buildImageBoxDescription } from '../../src/spec/image-box-description.js';
import { buildImageExecArgv } from '../../src/lifecycle/exec-argv.js';

const tables = { passwd: [['root', 'x', '0', '0'], ['app', 'x', '1000', '1000']], group: [['root', 'x', '0', ''], ['audio', 'x', '29', 'app'], ['video', 'x', '44', ''], ['bad', 'x', 'NaN', '']] };
const read = (name: 'passwd' | 'group') => tables[name];

function refused(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (error) {
    assert.instance(error, NsboxError);
    assert.is((error as NsboxError).exitCode, 125);
    assert.match((error as Error).message, pattern);
    assert.not.match((error as Error).message, /\n/);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

test('values: gids and names, in order, duplicates dropped; bad words refused on one line', () => {
  assert.equal(parseGroupAdd(['video', '1234', 'video', 'a.b-c_d', 'machine$']), ['video', '1234', 'a.b-c_d', 'machine$']);
  assert.equal(parseGroupAdd([]), []);
  refused(() => parseGroupAdd(['a:b']), /^invalid --group-add "a:b": expected a gid or a group name$/);
  refused(() => parseGroupAdd(['a,b']), /expected a gid/);
  refused(() => parseGroupAdd(['']), /expected a gid/);
  refused(() => parseGroupAdd(['-1']), /expected a gid/);
  refused(() => parseGroupAdd(['x y']), /expected a gid/);
  refused(() => parseGroupAdd(['4294967295']), /gid out of range/);
});

test('names through the box\'s /etc/group, after the user\'s own groups; an unknown name is refused', async () => {
  const app = await resolveUserFromTables('app', read);
  assert.equal(app.groups, [29]);
  assert.equal((await addGroups(app, ['video', '5000', '29'], read)).groups, [29, 44, 5000]);
  assert.equal((await addGroups(app, [], read)), app, 'nothing added: the same user');
  const root = await resolveUserFromTables(undefined, read);
  assert.equal((await addGroups(root, ['0'], read)).groups, [0], 'a gid as given, even the primary one (as Docker)');
  for (const name of ['wheel', 'bad']) {
    try {
      await addGroups(app, [name], read);
      assert.unreachable(name);
    } catch (error) {
      assert.instance(error, NsboxError);
      assert.is((error as Error).message, `invalid --group-add "${name}": no such group in the image's /etc/group`);
    }
  }
});

test('the final exec: setpriv --groups with them, --clear-groups without', () => {
  const base = { toolbox: { loader: 'ld-linux-x86-64.so.2', files: [] }, uid: 1000, gid: 1000, capabilities: ['chown'], noNewPrivs: true, env: {} };
  assert.ok(identitySwitch({ ...base, groups: [29, 44] }).includes('--groups=29,44'));
  assert.ok(identitySwitch({ ...base, groups: [] }).includes('--clear-groups'));
});

test('exec: the recorded groups reach the exec\'s setpriv --groups; none: --clear-groups', () => {
  const facts = { pid: 9, capBnd: '000001ffffffffff', ownCapBnd: '000001ffffffffff', noNewPrivs: false };
  const request = { command: ['id'], workdir: undefined, runAs: { uid: 65534, gid: 65534 }, cgroupJoinFiles: [], toolbox: { loader: 'ld-linux-x86-64.so.2', files: [] }, env: {}, tools: { nsenter: '/usr/bin/nsenter', unshare: '/usr/bin/unshare', mount: '/usr/bin/mount', sh: '/bin/sh' } };
  assert.ok(buildImageExecArgv(facts, { ...request, groups: [5, 1234] }).includes('--groups=5,1234'));
  assert.ok(buildImageExecArgv(facts, request).includes('--clear-groups'));
});

test('image box description: --group-add kept as given, refused before anything (no lease)', () => {
  const source = { kind: 'image' as const, ref: { name: 'busybox', tag: 'latest' } };
  const describe = (groupAdd: string[]) => buildImageBoxDescription({ 'group-add': groupAdd }, { source, storeRoot: '/var/lib/nsbox', config: { Cmd: ['sh'] }, command: [], interactive: false, hostEnv: {}, devicesCgroup: false });
  assert.equal(describe(['tty', '7']).groupAdd, ['tty', '7']);
  assert.is(describe([]).groupAdd, undefined);
  refused(() => describe(['no good']), /invalid --group-add "no good"/);
});

test.run();
