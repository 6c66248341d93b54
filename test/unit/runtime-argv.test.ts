// nsbox-runtime's command line: runc's global flags in both spellings, each subcommand's flags, exec's command words.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRuntimeArgv, DEFAULT_ROOT } from '../../src/runtime/argv.js';
import { parseSignal } from '../../src/runtime/signals.js';

test('global flags before the command, --flag=value and --flag value', () => {
  const a = parseRuntimeArgv(['--root=/r', '--log', '/l.json', '--log-format=json', '--systemd-cgroup', 'create', '--bundle', '/b', '--pid-file=/p', 'ID']);
  assert.equal(a.globals, { root: '/r', log: '/l.json', logFormat: 'json', systemdCgroup: true, debug: false });
  assert.equal([a.command, a.flags.bundle, a.flags['pid-file'], a.args], ['create', '/b', '/p', ['ID']]);
  assert.equal(parseRuntimeArgv(['state', 'x']).globals.root, DEFAULT_ROOT);
});

test('kill: id and signal positional, -a/--all; delete --force; ps --format json', () => {
  const k = parseRuntimeArgv(['kill', '--all', 'ID', 'KILL']);
  assert.equal([k.flags.all, k.args], [true, ['ID', 'KILL']]);
  assert.equal(parseRuntimeArgv(['kill', '-a', 'ID', '9']).flags.all, true);
  assert.equal(parseRuntimeArgv(['delete', '--force', 'ID']).flags.force, true);
  assert.equal(parseRuntimeArgv(['ps', '--format', 'json', 'ID']).flags.format, 'json');
});

test('exec: flags before the id; words after it are the command, even ones that look like flags', () => {
  const e = parseRuntimeArgv(['exec', '--process', '/p.json', '--detach', '--pid-file', '/pid', 'ID']);
  assert.equal([e.flags.process, e.flags.detach, e.flags['pid-file'], e.args], ['/p.json', true, '/pid', ['ID']]);
  const c = parseRuntimeArgv(['exec', '-e', 'A=1', '--env', 'B=2', 'ID', 'ls', '-l', '--color']);
  assert.equal([c.flags.env, c.args], [['A=1', 'B=2'], ['ID', 'ls', '-l', '--color']]);
});

test('bad input: an unknown command, an unknown flag, a missing value, a bad log format are one-line errors', () => {
  assert.throws(() => parseRuntimeArgv(['frobnicate']), /unknown command "frobnicate"/);
  assert.throws(() => parseRuntimeArgv(['create', '--bogus', 'x']), /create: unknown flag --bogus/);
  assert.throws(() => parseRuntimeArgv(['create', '--bundle']), /needs a value/);
  assert.throws(() => parseRuntimeArgv(['--log-format', 'xml', 'list']), /invalid --log-format/);
  assert.equal(parseRuntimeArgv(['--version']).version, true);
});

test('signals: numbers, names with and without SIG in any case, TERM by default', () => {
  assert.equal([parseSignal(undefined), parseSignal('9'), parseSignal('KILL'), parseSignal('sigusr1'), parseSignal('SIGHUP')], ['SIGTERM', 'SIGKILL', 'SIGKILL', 'SIGUSR1', 'SIGHUP']);
  assert.throws(() => parseSignal('NOPE'), /invalid signal/);
  assert.throws(() => parseSignal('999'), /invalid signal/);
});

test.run();
