// How both entries (main.ts, box-main.ts) end the process once their command has returned its exit code.

import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { trace, TRACING } from './exec/trace.js';

/** Which of fds 0-2 are terminals, looked at first thing: one that is gone at exit (hung up) must be let go. */
export function terminalFds(): number[] {
  return [0, 1, 2].filter((fd) => isatty(fd));
}

/**
 * Exit now rather than when node's loop drains: stdout/stderr writes are synchronous on Linux (files, pipes,
 * terminals), and nothing else of nsbox is pending once the command has returned.
 * Node restores a terminal's modes at exit and aborts (an assertion, SIGABRT) when the terminal has been hung up;
 * a closed fd it skips. So a hung-up terminal is closed first (run -it, exec -it, attach, nsbox sh).
 */
export function exitWith(code: number, terminals: readonly number[]): never {
  for (const fd of terminals) if (!isatty(fd)) closeSync(fd);
  if (TRACING) trace(`exit ${code}`);
  process.exit(code);
}
