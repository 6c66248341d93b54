// image save -o: an output that cannot be written (missing directory, a directory) is one NsboxError before any
// work, and leaves no temp file beside the target or work dir in the store.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NsboxError } from '../../src/errors.js';
import { saveImages } from '../../src/image/save-archive.js';
import { describeStore } from '../../src/image/store.js';

const base = mkdtempSync(join(tmpdir(), 'nsbox-unit-save-'));
test.after(() => rmSync(base, { recursive: true, force: true }));
const store = describeStore(join(base, 'store'));
mkdirSync(store.tmp, { recursive: true });

const failure = (output: string) => saveImages(store, [], output).then(() => undefined, (e: unknown) => e);

test('a missing directory: one line naming it, nothing left', async () => {
  const error = await failure(join(base, 'missing', 'x.tar'));
  assert.instance(error, NsboxError);
  assert.match((error as Error).message, /^cannot save to .*x\.tar: no such directory .*missing$/);
  assert.equal(readdirSync(store.tmp), [], 'no work dir left');
});

test('a directory as the output: refused, the directory untouched', async () => {
  const dir = join(base, 'out');
  mkdirSync(dir);
  const error = await failure(dir);
  assert.instance(error, NsboxError);
  assert.match((error as Error).message, /it is a directory/);
  assert.equal(readdirSync(dir), []);
  assert.equal(readdirSync(base).sort(), ['out', 'store'], 'no temp file beside it');
});

test('a writable output: the archive, and no temp file beside it', async () => {
  const file = join(base, 'ok.tar');
  await saveImages(store, [], file);
  assert.ok(existsSync(file));
  assert.equal(readdirSync(base).filter((n) => n.startsWith('.')), []);
  rmSync(file);
});

test.run();
