// The per-boot facts file: tool lookups are answered from it until the boot, PATH, a PATH directory or the tool
// itself changes; a file someone else could have written is ignored. (Tool names no host has: PATH also gets the sbin dirs.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToolFinder } from '../../src/host/tools.js';

let tmp = '';
let a = '';
let b = '';
let file = '';

test.before.each(() => {
  tmp = mkdtempSync(join(tmpdir(), 'nsbox-facts-'));
  a = join(tmp, 'a');
  b = join(tmp, 'b');
  mkdirSync(a);
  mkdirSync(b);
  file = join(tmp, 'host-facts.json');
  tool(b, 'nsbox-tt-setpriv');
});
test.after.each(() => rmSync(tmp, { recursive: true, force: true }));

function tool(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n', { mode: 0o755 });
  return path;
}

/** A finder as one nsbox process would make it, saving at its end; returns what it found and whether it scanned. */
function run(names: string[], bootId = 'boot-1', pathVar = `${a}:${b}`): { found: (string | undefined)[]; scanned: boolean } {
  let scanned = false;
  const finder = createToolFinder(file, pathVar, bootId, () => (scanned = true));
  const found = names.map((n) => finder.find(n));
  finder.save();
  return { found, scanned };
}

test('a second process answers from the file, a missing tool included, without scanning PATH', () => {
  const first = run(['nsbox-tt-setpriv', 'nosuchtool']);
  assert.equal(first.found, [join(b, 'nsbox-tt-setpriv'), undefined]);
  assert.ok(first.scanned);
  assert.ok(JSON.parse(readFileSync(file, 'utf8')).tools['nsbox-tt-setpriv'].path === join(b, 'nsbox-tt-setpriv'));
  const second = run(['nsbox-tt-setpriv', 'nosuchtool']);
  assert.equal(second.found, first.found);
  assert.not.ok(second.scanned, 'answered from the facts file');
});

test('a new boot id discards every fact', () => {
  run(['nsbox-tt-setpriv']);
  assert.ok(run(['nsbox-tt-setpriv'], 'boot-2').scanned);
});

test('a tool replaced in place (new mtime, size or mode) is looked up again', () => {
  run(['nsbox-tt-setpriv']);
  utimesSync(join(b, 'nsbox-tt-setpriv'), new Date(2001, 1, 1), new Date(2001, 1, 1));
  assert.ok(run(['nsbox-tt-setpriv']).scanned, 'mtime');
  run(['nsbox-tt-setpriv']);
  chmodSync(join(b, 'nsbox-tt-setpriv'), 0o644);
  const after = run(['nsbox-tt-setpriv']);
  assert.ok(after.scanned, 'mode (ctime)');
  assert.equal(after.found, [undefined], 'no longer executable');
});

test('a tool installed earlier on PATH (its directory changes) wins over the cached one; so does one installed at all', () => {
  assert.equal(run(['nsbox-tt-setpriv', 'nsbox-tt-ip']).found, [join(b, 'nsbox-tt-setpriv'), undefined]);
  tool(a, 'nsbox-tt-setpriv');
  tool(a, 'nsbox-tt-ip');
  const after = run(['nsbox-tt-setpriv', 'nsbox-tt-ip']);
  assert.ok(after.scanned);
  assert.equal(after.found, [join(a, 'nsbox-tt-setpriv'), join(a, 'nsbox-tt-ip')]);
});

test('another PATH is another key', () => {
  run(['nsbox-tt-setpriv']);
  assert.ok(run(['nsbox-tt-setpriv'], 'boot-1', b).scanned);
});

test('a facts file others can write is not trusted', () => {
  run(['nsbox-tt-setpriv']);
  chmodSync(file, 0o666);
  assert.ok(run(['nsbox-tt-setpriv']).scanned);
});

test.run();
