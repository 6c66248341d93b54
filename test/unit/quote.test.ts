// Shell quoting of printed commands: what --explain prints must re-parse to the same argv.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { quoteArgv, quoteLiteralArgv, quoteWord, quoteTemplate, fillTemplate } from '../../src/plan/quote.js';

test('safe words stay bare, others are single-quoted', () => {
  assert.is(quoteWord('unshare'), 'unshare');
  assert.is(quoteWord('--uid-map=0:1:2'), '--uid-map=0:1:2');
  assert.is(quoteWord(''), "''");
  assert.is(quoteWord("it's"), `'it'\\''s'`);
  assert.is(quoteWord('a b'), "'a b'");
});

test('quoted argv round-trips through a real sh', () => {
  const argv = ['printf', '%s|', 'a b', "it's", '$HOME', '`id`', '"q"', '\\', '', '*', 'new\nline', 'ünï'];
  const out = execFileSync('sh', ['-c', quoteArgv(argv)], { encoding: 'utf8' });
  assert.is(out, argv.slice(2).map((a) => `${a}|`).join(''));
});

test('placeholders become variables in double quotes; the executor fills them', () => {
  assert.is(quoteTemplate('/proc/{box}/uid_map'), '"/proc/${box}/uid_map"');
  assert.is(quoteTemplate('{script:init}'), '"$init"');
  assert.is(quoteTemplate('$x {holder}'), '"\\$x ${holder}"');
  assert.is(fillTemplate('/proc/{box}/ns/{holder}', { box: 12, holder: 7 }), '/proc/12/ns/7');
  assert.is(fillTemplate('{script:init}', {}, { init: 'echo hi' }), 'echo hi');
  assert.is(quoteTemplate('NSBOX_INIT={script:init}'), 'NSBOX_INIT="$init"');
  assert.is(fillTemplate('NSBOX_INIT={script:init}', {}, { init: 'echo hi' }), 'NSBOX_INIT=echo hi');
  assert.throws(() => fillTemplate('{box}', {}), /before it was launched/);
});

test('a literal argv keeps placeholder-like words as they are (a box\'s data in exec\'s argv)', () => {
  const argv = ['printf', '%s|', '{box}', 'X={script:HOME}', '{script:HOME}', 'a{holder}b'];
  assert.is(quoteLiteralArgv(argv), "printf '%s|' '{box}' 'X={script:HOME}' '{script:HOME}' 'a{holder}b'");
  const out = execFileSync('sh', ['-c', quoteLiteralArgv(argv)], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/secret', box: '1', holder: '2' } });
  assert.is(out, argv.slice(2).map((a) => `${a}|`).join(''));
});

test.run();
