// The table-driven flag parser of run/sh: same option table as yargs, same strictness.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFlags } from '../../src/spec/parse-flags.js';
import { RUN_OPTIONS } from '../../src/spec/run-flags.js';
import { NsboxError } from '../../src/errors.js';

test('booleans, values, = form, aliases, repeatable arrays, bundled short booleans', () => {
  const args = parseFlags(['--uts', '--hostname', 'h', '--uid-map=0:1:1', '--uid-map', '1:2:1', '-e', 'A=1', '-it', '--no-pid', '-w', '/tmp'], RUN_OPTIONS);
  assert.is(args.uts, true);
  assert.is(args.hostname, 'h');
  assert.equal(args['uid-map'], ['0:1:1', '1:2:1']);
  assert.equal(args.env, ['A=1']);
  assert.is(args.interactive, true);
  assert.is(args.tty, true);
  assert.is(args.pid, false);
  assert.is(args.workdir, '/tmp');
});

test('unknown flags and missing values are one-line errors', () => {
  for (const [argv, pattern] of [
    [['--bogus'], /^unknown flag --bogus for nsbox run$/],
    [['-x'], /^unknown flag -x for nsbox run$/],
    [['--hostname'], /^flag --hostname of nsbox run needs a value$/],
    [['--uts=maybe'], /Not a boolean/],
    [['-iZ'], /^unknown flag -iZ for nsbox run$/],
  ] as const) {
    try {
      parseFlags(argv, RUN_OPTIONS);
      assert.unreachable(argv.join(' '));
    } catch (error) {
      assert.instance(error, NsboxError);
      assert.match((error as Error).message, pattern);
    }
  }
});

test.run();
