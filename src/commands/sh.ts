// `nsbox sh [flags]`: your shell ($SHELL, else /bin/sh) in new namespaces, on your terminal.

import { isatty } from 'node:tty';
import type { NsboxCommand } from './command.js';
import { RUN_OPTIONS } from '../spec/run-flags.js';
import { commandArgv, runBox, titleOf } from './box-command.js';

export const command: NsboxCommand = {
  usage: 'sh',
  describe: 'Start your shell in new namespaces (a friendlier, safer unshare)',
  builder: (y) => y.usage('nsbox sh [flags] [-- SHELL-ARGS...]').options(RUN_OPTIONS).example('$0 sh --uts --pid --mount-proc', 'a shell that sees only its own processes'),
  handler: (args) => {
    const shell = process.env.SHELL || '/bin/sh';
    // On a terminal, the shell gets a pty of its own (like -t); from a pipe, it reads its commands from stdin.
    return runBox(args, [shell, ...commandArgv(args, 'sh')], isatty(0), titleOf(process.argv.slice(2)));
  },
};
