// The man page, completions and --help are generated from the commands' own flag declarations.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadCommandTable } from '../../src/docs/command-table.js';
import { renderManPage, roffEscape } from '../../src/docs/man-page.js';
import { renderCompletion, operandKind } from '../../src/docs/completion.js';
import { NSBOX_VERSION } from '../../src/version.js';
import { versionLine } from '../../src/commands/version.js';

const NSBOX = fileURLToPath(new URL('../../../bin/nsbox', import.meta.url));
const PACKAGE = fileURLToPath(new URL('../../../package.json', import.meta.url));

function help(args: string[], columns: number): string {
  const r = spawnSync(NSBOX, args, { encoding: 'utf8', env: { ...process.env, COLUMNS: String(columns) } });
  assert.is(r.status, 0, r.stderr);
  return r.stdout;
}

// yargs may glue a type note to the text when a line is unlimited ("text[boolean]"): split before '['.
const words = (text: string) => new Set(text.replace(/\[/g, ' [').split(/\s+/).filter(Boolean));

for (const args of [['--help'], ['run', '--help'], ['exec', '--help'], ['image', '--help']]) {
  test(`--help never breaks a word: nsbox ${args.join(' ')}`, () => {
    const unwrapped = words(help(args, 100_000)); // no line is long enough to wrap
    const narrow = help(args, 60);
    assert.ok(narrow.split('\n').some((l) => l.length > 40), 'the narrow help has no content');
    const broken = [...words(narrow)].filter((w) => !unwrapped.has(w));
    assert.equal(broken, [], `pieces of words at width 60: ${broken.join(' ')}`);
  });
}

test('the command table holds every listed command with its flags', async () => {
  const table = await loadCommandTable();
  const names = table.map((c) => c.name);
  for (const n of ['run', 'exec', 'ps', 'image', 'network', 'version', 'completion']) assert.ok(names.includes(n), `missing ${n}`);
  assert.not.ok(names.includes('__complete'), 'a hidden helper is listed');
  const run = table.find((c) => c.name === 'run')!;
  const memory = run.options.find((o) => o.name === 'memory');
  assert.ok(memory, 'run has no --memory');
  assert.equal(memory!.aliases, ['m']);
  assert.ok(run.options.some((o) => o.name === 'pid' && o.type === 'boolean'));
});

test('roff escaping: dashes, backslashes, leading dots', () => {
  assert.is(roffEscape('--pid'), '\\-\\-pid');
  assert.is(roffEscape('a\\b'), 'a\\eb');
  assert.is(roffEscape('.x\n\'y'), '\\&.x\n\\&\'y');
});

test('man page: every command and flag, renders under man -l', async () => {
  const table = await loadCommandTable();
  const page = renderManPage({ version: NSBOX_VERSION, date: '2026-01-01', commands: table });
  assert.match(page, /^\.TH NSBOX 1 "2026-01-01" "nsbox /);
  const r = spawnSync('man', ['-l', '-'], { input: page, encoding: 'utf8', env: { ...process.env, MANWIDTH: '100', MAN_KEEP_FORMATTING: '0' } });
  assert.is(r.status, 0, r.stderr);
  const text = r.stdout.replace(/.\x08/g, '');
  for (const c of table) assert.ok(text.includes(`nsbox ${c.name}`), `man page lacks nsbox ${c.name}`);
  for (const flag of ['--mount-proc', '--memory', '--cgroup-parent']) assert.ok(text.includes(flag), `man page lacks ${flag}`);
});

test('bash completion: commands, flags of the command, operand kinds', async () => {
  const script = renderCompletion('bash', await loadCommandTable());
  const complete = (...words: string[]) => {
    const r = spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _nsbox; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  };
  assert.equal(complete('nsbox', 'ins'), ['inspect']);
  assert.equal(complete('nsbox', 'run', '--mount-p'), ['--mount-proc']);
  assert.ok(complete('nsbox', 'network', '').includes('create'));
  assert.is(operandKind('stop'), 'boxes');
  assert.is(operandKind('run'), 'images');
});

test('zsh and fish scripts are generated too', async () => {
  const table = await loadCommandTable();
  assert.match(renderCompletion('zsh', table), /^#compdef nsbox/);
  const fish = renderCompletion('fish', table);
  assert.match(fish, /complete -c nsbox -n __fish_use_subcommand -a run/);
  assert.match(fish, /__complete boxes/);
});

test('nsbox version matches package.json; version lines are picked from tool output', () => {
  assert.is(NSBOX_VERSION, JSON.parse(readFileSync(PACKAGE, 'utf8')).version);
  assert.is(versionLine('ip utility, iproute2-6.1.0, libbpf 1.1.2\n'), 'ip utility, iproute2-6.1.0, libbpf 1.1.2');
  assert.is(versionLine('Usage: x\nsetpriv from util-linux 2.38.1\n'), 'setpriv from util-linux 2.38.1');
});

test.run();
