// Unit: box names and ids, resolving a reference, the lock file, the store's atomic create/remove, and the status
// derived from a record (no root, no processes beyond this one; state in a temp dir).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync, symlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeState, resolveStateRoot, describeBoxDir, boxDirOf } from '../../src/state/paths.js';
import { validateName, resolveBoxRef, reserveName, releaseName, shortId } from '../../src/state/names.js';
import { tryLock, releaseLock, acquireLock, readLockOwner } from '../../src/state/lock.js';
import { createBoxDir, loadRecord, removeBoxDir, saveRecord } from '../../src/state/store.js';
import { deriveState } from '../../src/state/status.js';
import { identify, isAlive, readBootId } from '../../src/state/proc-identity.js';
import { RECORD_VERSION, type BoxRecord } from '../../src/state/record.js';
import { NsboxError } from '../../src/errors.js';

const dirs: string[] = [];
function tempState() {
  const dir = mkdtempSync(join(tmpdir(), 'nsbox-state-unit-'));
  dirs.push(dir);
  return describeState(dir);
}
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function record(id: string, over: Partial<BoxRecord> = {}): BoxRecord {
  return {
    version: RECORD_VERSION, id, name: undefined, created: new Date().toISOString(), phase: 'started', owner: identify(process.pid)!,
    detached: true, autoRemove: false, image: undefined, command: ['true'], process: { env: {}, inheritEnv: true, workdir: undefined, runAs: undefined },
    supervisor: undefined, init: undefined, namespaces: {}, cgroup: undefined, mounts: [], undo: [], exit: undefined, ...over,
  };
}
const ID_A = 'a'.repeat(64);
const ID_B = `ab${'c'.repeat(62)}`;

test('names: Docker\'s rule; every bad one is a one-line NsboxError naming --name', () => {
  for (const good of ['web', 'a', 'A1_b.c-d', 'x'.repeat(63)]) assert.is(validateName(good), good);
  for (const bad of ['', '..', '.x', 'a/b', '-rf', '_a', 'x'.repeat(64), 'x'.repeat(256), 'a\x01b', 'a b', 'é']) {
    try {
      validateName(bad);
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (error) {
      assert.instance(error, NsboxError);
      assert.match((error as Error).message, /^invalid --name /);
      assert.not.match((error as Error).message, /\n/);
    }
  }
  assert.is(shortId(ID_A), 'a'.repeat(12));
});

test('state root: --state, else NSBOX_STATE, else /run/nsbox', () => {
  assert.is(resolveStateRoot(undefined, {}), '/run/nsbox');
  assert.is(resolveStateRoot(undefined, { NSBOX_STATE: '/x/y' }), '/x/y');
  assert.is(resolveStateRoot('/flag', { NSBOX_STATE: '/x/y' }), '/flag');
  assert.throws(() => resolveStateRoot('', {}), /--state/);
});

test('create, resolve (id, name, prefix, ambiguity), remove', async () => {
  const state = tempState();
  createBoxDir(state, record(ID_A, { name: 'web' }));
  createBoxDir(state, record(ID_B));
  await reserveName(state, 'web', ID_A);
  assert.is(resolveBoxRef(state, ID_A), ID_A);
  assert.is(resolveBoxRef(state, 'web'), ID_A);
  assert.is(resolveBoxRef(state, 'aa'), ID_A);
  assert.is(resolveBoxRef(state, 'abc'), ID_B);
  assert.throws(() => resolveBoxRef(state, 'a'), /ambiguous/);
  assert.throws(() => resolveBoxRef(state, 'nosuch'), /^no such box: nosuch$/);
  assert.throws(() => resolveBoxRef(state, ''), /invalid box/);
  assert.throws(() => resolveBoxRef(state, 'a/b'), /invalid box/);
  // the new box is locked by its creator until it is started
  assert.not.ok(tryLock(describeBoxDir(boxDirOf(state, ID_A)).lock));
  // its lock and first record written in place (no temp file made and left or freed), both 0600, the lock ours
  const made = describeBoxDir(boxDirOf(state, ID_A));
  assert.equal(readdirSync(made.dir).sort(), ['lock', 'state.json']);
  for (const file of [made.lock, made.record]) assert.is(statSync(file).mode & 0o777, 0o600, file);
  assert.equal(readLockOwner(made.lock), identify(process.pid));
  assert.is(loadRecord(state, ID_A).name, 'web');
  // the same id again is refused whole: nothing of the first is replaced, nothing left in tmp
  assert.throws(() => createBoxDir(state, record(ID_A, { name: 'other' })));
  assert.is(loadRecord(state, ID_A).name, 'web');
  // a taken name is refused; a released one is free again
  createBoxDir(state, record('f'.repeat(64)));
  try {
    await reserveName(state, 'web', 'f'.repeat(64));
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /the name "web" is in use by box aaaaaaaaaaaa/);
  }
  await releaseName(state, 'web', ID_A);
  await reserveName(state, 'web', 'f'.repeat(64));
  removeBoxDir(state, ID_A);
  assert.not.ok(existsSync(boxDirOf(state, ID_A)));
  assert.equal(readdirSync(state.tmp), [], 'removal leaves nothing in tmp');
  assert.throws(() => loadRecord(state, ID_A), /no such box/);
});

test('a name left by a crash (its box directory gone) is reclaimed', async () => {
  const state = tempState();
  mkdirSync(state.names, { recursive: true });
  symlinkSync(ID_B, join(state.names, 'web'));
  createBoxDir(state, record(ID_A));
  await reserveName(state, 'web', ID_A);
  assert.is(resolveBoxRef(state, 'web'), ID_A);
});

test('lock: exclusive; a dead owner\'s lock is taken over; a live one never', async () => {
  const state = tempState();
  mkdirSync(state.root, { recursive: true });
  const path = join(state.root, 'lock');
  assert.ok(tryLock(path));
  assert.not.ok(tryLock(path), 'held by us: a second try fails');
  releaseLock(path);
  assert.not.ok(existsSync(path));
  // a lock of a process that does not exist (pid 2^22+1 is above pid_max)
  writeFileSync(path, `4194305 1 ${readBootId()}\n`);
  assert.ok(tryLock(path), 'stale lock taken over');
  releaseLock(path);
  // a lock from another boot is stale even if the pid exists now
  writeFileSync(path, `${process.pid} ${identify(process.pid)!.startTime} another-boot\n`);
  assert.ok(tryLock(path));
  releaseLock(path);
  // the live owner (pid 1, the real start time) keeps it; acquire times out with a one-line error
  writeFileSync(path, `1 ${identify(1)!.startTime} ${readBootId()}\n`);
  assert.not.ok(tryLock(path));
  await acquireLock(path, 'box x', 50).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /^cannot lock box x: another nsbox holds it/));
});

test('status: derived from /proc and the exit file, never from the record alone', () => {
  const state = tempState();
  const me = identify(process.pid)!;
  const paths = describeBoxDir(boxDirOf(state, ID_A));
  createBoxDir(state, record(ID_A));
  const gone = { pid: 4194305, startTime: 1, bootId: readBootId() };
  assert.is(deriveState(record(ID_A, { phase: 'creating', owner: me }), paths).status, 'creating');
  assert.is(deriveState(record(ID_A, { phase: 'creating', owner: gone }), paths).status, 'dead');
  assert.is(deriveState(record(ID_A, { supervisor: me, init: me }), paths).status, 'running');
  // a reused pid: same pid, another start time
  assert.not.ok(isAlive({ ...me, startTime: me.startTime + 1 }));
  assert.is(deriveState(record(ID_A, { supervisor: { ...me, startTime: me.startTime + 1 } }), paths).status, 'dead');
  writeFileSync(paths.exit, '');
  assert.is(deriveState(record(ID_A, { supervisor: gone }), paths).status, 'dead', 'an empty exit file is not an exit');
  writeFileSync(paths.exit, '42\n');
  const exited = deriveState(record(ID_A, { supervisor: gone }), paths);
  assert.is(exited.status, 'exited');
  assert.is(exited.exitCode, 42);
  saveRecord(state, record(ID_A, { exit: { code: 1, finishedAt: 'x', oomKilled: true } }));
  assert.is(deriveState(loadRecord(state, ID_A), paths).exitCode, 137, 'OOM kill reads as 137');
});

test.run();
