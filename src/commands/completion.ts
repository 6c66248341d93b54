// `nsbox completion bash|zsh|fish`: prints a completion script generated from the same flags as --help.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { NsboxError } from '../errors.js';

interface CompletionArgs {
  shell: string;
}

export const command: NsboxCommand<CompletionArgs> = {
  usage: 'completion <shell>',
  describe: 'print a shell completion script (bash, zsh or fish): source <(nsbox completion bash)',
  builder: (y: Argv) => y.positional('shell', { type: 'string', describe: 'bash, zsh or fish' }) as unknown as Argv<CompletionArgs>,
  async handler(args) {
    const [{ loadCommandTable }, { renderCompletion, SHELLS }] = await Promise.all([import('../docs/command-table.js'), import('../docs/completion.js')]);
    const shell = SHELLS.find((s) => s === args.shell);
    if (!shell) throw new NsboxError(`unknown shell ${JSON.stringify(args.shell)}: use one of ${SHELLS.join(', ')}`);
    process.stdout.write(renderCompletion(shell, await loadCommandTable()));
    return 0;
  },
};
