// The fast command-line path (src/fast-args.ts) against yargs itself: for every command and many command lines made
// from the command's own options, either the fast path declines (yargs parses, as before) or it gives exactly the
// args yargs gives the handler.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { COMMANDS } from '../../src/cli.js';
import { findUnknownFlag, parseFast, recordedShape } from '../../src/fast-args.js';
import type { NsboxCommand } from '../../src/commands/command.js';

const yargs = createRequire(import.meta.url)('yargs') as typeof import('yargs').default;

/** What yargs gives the handler for `nsbox NAME WORDS`, configured as cli.ts does; an Error when it refuses. */
function viaYargs(command: NsboxCommand<any>, name: string, words: readonly string[]): Record<string, unknown> | Error {
  let got: Record<string, unknown> | Error = new Error('no handler ran');
  try {
    yargs([name, ...words])
      .scriptName('nsbox')
      .parserConfiguration({ 'populate--': true })
      .strict()
      .exitProcess(false)
      .help(false)
      .version(false)
      .fail((message, error) => {
        throw error ?? new Error(message);
      })
      .command({ command: command.usage, describe: 'x', builder: (b: any) => command.builder(b), handler: (args: any) => void (got = { ...args }) })
      .parse();
  } catch (error) {
    return error as Error;
  }
  return got;
}

/** Command lines from the command's declared options and operands. */
function samples(name: string, command: NsboxCommand<any>): string[][] {
  const shape = recordedShape(command);
  if (!shape) return [];
  const operands = shape.positionals.flatMap((p) => (p.variadic ? ['b1', 'b2'] : p.required ? ['b1'] : []));
  const optional = shape.positionals.filter((p) => !p.required && !p.variadic).map(() => 'o1');
  const out: string[][] = [[], operands, [...operands, ...optional], [...operands, 'extra', 'extra2'], ['b1']];
  for (const [key, spec] of shape.options) {
    const aliases = spec.alias === undefined ? [] : typeof spec.alias === 'string' ? [spec.alias] : [...spec.alias];
    const flags = [`--${key}`, ...aliases.map((a) => (a.length === 1 ? `-${a}` : `--${a}`))];
    for (const flag of flags) {
      if (spec.type === 'boolean') {
        out.push([...operands, flag], [flag, ...operands], [`--no-${key}`, ...operands], [...operands, flag, 'false']);
      } else {
        const value = spec.type === 'number' ? '5' : spec.choices ? String(spec.choices[0]) : 'v';
        out.push([...operands, flag, value], [flag, value, ...operands], [...operands, `${flag}=${value}`], [...operands, flag], [...operands, flag, '-x']);
        out.push([...operands, flag, value, flag, value]);
        if (spec.array) out.push([...operands, flag, 'a', 'b'], [flag, 'a', 'b', ...operands]);
        if (spec.choices) out.push([...operands, flag, 'not-a-choice']);
        if (spec.type === 'number') out.push([...operands, flag, 'NaN-ish']);
      }
    }
  }
  const shorts = shape.options.flatMap(([, spec]) => (spec.type === 'boolean' && typeof spec.alias === 'string' && spec.alias.length === 1 ? [spec.alias] : []));
  if (shorts.length > 1) out.push([...operands, `-${shorts.join('')}`]);
  out.push([...operands, '--no-such-flag'], [...operands, '--help'], [...operands, '--', 'x'], [...operands, '-1']);
  return out;
}

test('every command line the fast path takes gets the args yargs would give', async () => {
  let fast = 0;
  let declined = 0;
  for (const [name, load] of Object.entries(COMMANDS)) {
    if (name === 'run' || name === 'sh' || name === 'exec') continue; // parsed by their own table-driven parsers
    const { command } = await load();
    for (const words of samples(name, command)) {
      const mine = parseFast(command, name, words);
      if (!mine) {
        declined++;
        continue;
      }
      fast++;
      const theirs = viaYargs(command, name, words);
      const line = `nsbox ${name} ${words.join(' ')}`;
      assert.ok(!(theirs instanceof Error), `${line}: the fast path took a line yargs refuses (${(theirs as Error).message})`);
      assert.equal(mine, theirs, line);
    }
  }
  // The point of the fast path: most plain lines never load yargs.
  assert.ok(fast > 100, `only ${fast} command lines took the fast path (${declined} went to yargs)`);
});

test('the common commands take the fast path', async () => {
  for (const [name, words] of [['ps', ['-a']], ['rm', ['-f', 'web']], ['stop', ['-t', '3', 'a', 'b']], ['logs', ['web']], ['inspect', ['web']], ['images', []], ['port', ['web', '80']]] as const) {
    const { command } = await COMMANDS[name]!();
    assert.ok(parseFast(command, name, words), `nsbox ${name} ${words.join(' ')}`);
  }
  const { command: exec } = await COMMANDS.exec!();
  assert.ok(exec.parsesOwnWords?.(['-it', 'web', 'sh', '--help']), 'exec: a --help of the box command is the command\'s');
  assert.not.ok(exec.parsesOwnWords?.(['--help']), 'exec --help is yargs\'s');
});

test('a flag the command lacks is found (yargs first trips on the operand it took as its value)', async () => {
  const logs = (await COMMANDS.logs!()).command;
  const stop = (await COMMANDS.stop!()).command;
  assert.is(findUnknownFlag(logs, ['-z', 'web']), '-z');
  assert.is(findUnknownFlag(logs, ['-fz', 'web']), '-z', 'a letter in a group');
  assert.is(findUnknownFlag(logs, ['--details', 'web']), '--details');
  assert.is(findUnknownFlag(logs, ['-f', '-t', '--tail=3', '-n', '2', '--no-follow', '--timestamps', '--state', '/s', 'web']), undefined, 'every flag known, negations and aliases too');
  assert.is(findUnknownFlag(stop, ['--time', '3', 'web', '--', '-x']), undefined, 'nothing after --');
  assert.is(findUnknownFlag(stop, ['-t', '-1', 'web']), undefined, 'a negative number is a value');
});

test.run();
