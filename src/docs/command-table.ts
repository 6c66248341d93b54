// One table of every command, its flags and examples, read from the same yargs builders that `--help` uses, so
// the man page and the shell completions can never drift from the real command line.

import type { NsboxCommand } from '../commands/command.js';

export interface OptionDoc {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly type: string;
  readonly describe: string;
  readonly group: string;
  readonly choices: readonly string[];
}

export interface CommandDoc {
  readonly name: string;
  readonly usage: string;
  readonly describe: string;
  readonly options: readonly OptionDoc[];
  readonly positionals: readonly string[];
  readonly examples: readonly (readonly [string, string])[];
}

/** Every command's documentation, in the order `nsbox --help` lists them (hidden ones left out). */
export async function loadCommandTable(): Promise<CommandDoc[]> {
  const { COMMANDS } = await import('../cli.js');
  const docs: CommandDoc[] = [];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const { command } = await load();
    if (command.hidden) continue;
    docs.push(describeCommand(name, command));
  }
  return docs;
}

/** Runs a command's yargs builder against a recorder that keeps what it declares and ignores the rest. */
export function describeCommand(name: string, command: NsboxCommand<any>): CommandDoc {
  const options: OptionDoc[] = [];
  const positionals: string[] = [];
  const examples: [string, string][] = [];
  let usage = `nsbox ${command.usage}`;
  const addOption = (optName: string, o: Record<string, unknown>) => {
    if (o.hidden) return;
    const alias = o.alias === undefined ? [] : Array.isArray(o.alias) ? o.alias.map(String) : [String(o.alias)];
    const type = o.array ? `${String(o.type ?? 'string')}...` : String(o.type ?? 'string');
    options.push({ name: optName, aliases: alias, type, describe: String(o.describe ?? ''), group: String(o.group ?? 'Options:'), choices: Array.isArray(o.choices) ? o.choices.map(String) : [] });
  };
  const recorder: any = new Proxy(
    {},
    {
      get(_target, key) {
        switch (key) {
          case 'option':
            return (n: string, o: Record<string, unknown>) => (addOption(n, o ?? {}), recorder);
          case 'options':
            return (table: Record<string, Record<string, unknown>>) => {
              for (const [n, o] of Object.entries(table)) addOption(n, o);
              return recorder;
            };
          case 'positional':
            return (n: string) => (positionals.push(n), recorder);
          case 'example':
            return (cmd: string, desc: string) => (examples.push([cmd.replace(/^\$0/, 'nsbox'), desc]), recorder);
          case 'usage':
            return (text: string) => ((usage = text.replace(/^\$0/, 'nsbox')), recorder);
          case 'then':
            return undefined; // not a promise
          default:
            return () => recorder;
        }
      },
    },
  );
  command.builder(recorder);
  return { name, usage, describe: command.describe, options, positionals, examples };
}
