// linkToolboxSet: a box's toolbox as one directory of hard links to exactly its files (the same inodes as the
// copies), made once per set, a new one when a file changes; a file on another file system is copied instead.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linkToolboxSet, type Toolbox } from '../../src/rootfs/toolbox.js';

const store = mkdtempSync(join(tmpdir(), 'nsbox-toolbox-set-'));
const copies = join(store, 'toolbox-copies');
test.after(() => rmSync(store, { recursive: true, force: true }));

function toolboxOf(names: readonly string[]): Toolbox {
  return { loader: undefined, files: names.map((name) => ({ name, source: join(copies, name) })) };
}

test('exactly the box\'s files, hard links of them, made once', () => {
  rmSync(copies, { recursive: true, force: true });
  mkdirSync(copies, { recursive: true });
  for (const name of ['setpriv', 'env', 'perl']) writeFileSync(join(copies, name), `#!${name}\n`, { mode: 0o555 });
  const box = linkToolboxSet(toolboxOf(['setpriv', 'env']), store);
  assert.ok(box.dir !== undefined && box.dir.startsWith(join(store, 'toolbox-sets')), String(box.dir));
  assert.equal(readdirSync(box.dir!).sort(), ['env', 'setpriv'], 'only the box\'s files (no perl)');
  for (const name of ['setpriv', 'env']) assert.is(statSync(join(box.dir!, name)).ino, statSync(join(copies, name)).ino, `${name}: the copy's inode`);
  assert.equal(box.files, toolboxOf(['setpriv', 'env']).files, 'the files as they were');
  const made = statSync(box.dir!).ino;
  assert.is(linkToolboxSet(toolboxOf(['setpriv', 'env']), store).dir, box.dir, 'the same set: the same directory');
  assert.is(statSync(box.dir!).ino, made, 'not made again');
  assert.is.not(linkToolboxSet(toolboxOf(['setpriv', 'env', 'perl']), store).dir, box.dir, 'another set of files: another directory');
});

test('a file replaced (a new inode): a new set with the new file', () => {
  const before = linkToolboxSet(toolboxOf(['setpriv']), store).dir!;
  writeFileSync(join(copies, 'setpriv.new'), '#!new\n', { mode: 0o555 });
  renameSync(join(copies, 'setpriv.new'), join(copies, 'setpriv'));
  const after = linkToolboxSet(toolboxOf(['setpriv']), store).dir!;
  assert.is.not(after, before);
  assert.is(readFileSync(join(after, 'setpriv'), 'utf8'), '#!new\n');
});

test('a file on another file system is copied, read-only and executable', () => {
  if (!existsSync('/dev/shm')) return;
  const other = mkdtempSync('/dev/shm/nsbox-toolbox-set-');
  try {
    writeFileSync(join(other, 'tar'), '#!tar\n', { mode: 0o755 });
    const box = linkToolboxSet({ loader: undefined, files: [{ name: 'tar', source: join(other, 'tar') }] }, store);
    const stat = statSync(join(box.dir!, 'tar'));
    assert.is(readFileSync(join(box.dir!, 'tar'), 'utf8'), '#!tar\n');
    assert.is(stat.mode & 0o777, 0o555);
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});

test.run();
