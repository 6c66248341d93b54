// The host runner's execInOrder with real processes: one sh runs the commands in order, stops at the first that
// fails and reports it as exec would (its argv and its stderr, else its exit status); words reach them exactly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostRunner } from '../../src/exec/runner.js';

const dir = mkdtempSync(join(tmpdir(), 'nsbox-exec-in-order-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('in order, each word exactly as given (quotes, $, backquotes, spaces)', async () => {
  const file = join(dir, 'order');
  const odd = "it's $HOME `id` a  b \\ \"q\"";
  await hostRunner.execInOrder!([
    ['sh', '-c', 'printf "%s|" "$1" >> "$2"', 'sh', 'first', file],
    ['sh', '-c', 'printf "%s|" "$1" >> "$2"', 'sh', odd, file],
  ]);
  assert.is(readFileSync(file, 'utf8'), `first|${odd}|`);
});

test('stops at the first failure and names it with what it said; the rest never runs', async () => {
  const after = join(dir, 'after');
  const run = hostRunner.execInOrder!([['true'], ['sh', '-c', 'echo "cgset: bad value" >&2; exit 3'], ['touch', after]]);
  await run.then(() => assert.unreachable('should fail'), (error) => assert.is((error as Error).message, 'sh -c echo "cgset: bad value" >&2; exit 3: cgset: bad value'));
  assert.not.ok(existsSync(after), 'the command after the failed one did not run');
});

test('a failure that says nothing: its exit status', async () => {
  await hostRunner.execInOrder!([['true'], ['sh', '-c', 'exit 7']]).then(() => assert.unreachable('should fail'), (error) => assert.is((error as Error).message, 'sh -c exit 7: exit status 7'));
});

test('the commands do not get the fd the runner reads the failure from', async () => {
  await hostRunner.execInOrder!([['sh', '-c', '! [ -e /proc/self/fd/3 ]']]);
});

test.run();
