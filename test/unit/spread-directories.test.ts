// Unit: the directories that get a subdirectory per box carry ext4's top-directory flag (chattr +T) once nsbox has
// made them (the state's boxes/ and tmp/, the store's containers/), and only those; a directory that was there before
// is left as it was; a file system without the flag (tmpfs) gets nothing and no error.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeState } from '../../src/state/paths.js';
import { openState } from '../../src/state/store.js';
import { openStore } from '../../src/image/store.js';
import { spreadSubdirectories } from '../../src/host/spread-directories.js';
import { findTool } from '../../src/host/tools.js';
import { skipPart } from '../helpers/suite.js';

const dirs: string[] = [];
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function scratch(under = tmpdir()): string {
  const dir = mkdtempSync(join(under, 'nsbox-spread-unit-'));
  dirs.push(dir);
  return dir;
}

/** lsattr's flags of a directory itself ("T" among them when marked). */
function flagsOf(dir: string): string {
  return execFileSync('lsattr', ['-d', dir], { encoding: 'utf8' }).split(' ')[0]!;
}

/** Whether `dir`'s file system keeps the flag (ext2/3/4 do; tmpfs does not). */
function keepsTopdir(dir: string): boolean {
  try {
    const probe = join(dir, 'probe');
    mkdirSync(probe);
    execFileSync('chattr', ['+T', probe], { stdio: 'ignore' });
    return flagsOf(probe).includes('T');
  } catch {
    return false;
  }
}

test('openState and openStore mark boxes/, tmp/ and containers/ when they make them; nothing else', async () => {
  if (!findTool('chattr') || !findTool('lsattr')) return skipPart('ext4 top-directory flag', 'no chattr/lsattr (e2fsprogs)');
  const root = scratch();
  if (!keepsTopdir(root)) return skipPart('ext4 top-directory flag', `${tmpdir()} has no such flag (not ext2/3/4)`);
  const state = describeState(join(root, 'state'));
  openState(state);
  for (const dir of [state.boxes, state.tmp]) assert.ok(flagsOf(dir).includes('T'), `${dir} marked`);
  assert.not.ok(flagsOf(state.names).includes('T'), 'names/ holds links, not directories: unmarked');
  assert.not.ok(flagsOf(state.root).includes('T'), 'the state root unmarked');
  const store = await openStore(join(root, 'store'));
  assert.ok(flagsOf(store.containers).includes('T'), 'containers/ marked');
  for (const dir of [store.layers, store.images, store.tmp]) assert.not.ok(flagsOf(dir).includes('T'), `${dir} unmarked`);
});

test('a state dir made before (unmarked) stays as it was: only what nsbox makes is marked', () => {
  if (!findTool('chattr') || !findTool('lsattr')) return skipPart('ext4 top-directory flag', 'no chattr/lsattr (e2fsprogs)');
  const root = scratch();
  if (!keepsTopdir(root)) return skipPart('ext4 top-directory flag', `${tmpdir()} has no such flag (not ext2/3/4)`);
  const state = describeState(join(root, 'state'));
  mkdirSync(state.boxes, { recursive: true });
  openState(state);
  assert.not.ok(flagsOf(state.boxes).includes('T'), 'the existing boxes/ untouched');
  assert.ok(flagsOf(state.tmp).includes('T'), 'the new tmp/ marked');
});

test('a file system without the flag, or no directory at all: no error', () => {
  spreadSubdirectories([]);
  spreadSubdirectories([join(scratch(), 'missing')]);
  const shm = '/dev/shm';
  try {
    const dir = scratch(shm);
    spreadSubdirectories([dir]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EACCES') return skipPart('tmpfs case', 'no writable /dev/shm');
    throw error;
  }
});

test.run();
