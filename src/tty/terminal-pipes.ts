// A box without -t never gets the caller's terminal: a process holding it could inject input into the caller's
// shell (TIOCSTI) or read its keystrokes after the box ends. Whichever of fds 0-2 is a terminal becomes a pipe
// that nsbox relays; files and pipes pass as they are (the common case costs nothing).

import { isatty } from 'node:tty';
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** Which of nsbox's fds 0-2 are terminals. */
export function terminalFds(): number[] {
  return [0, 1, 2].filter((fd) => isatty(fd));
}

/** spawn's stdio for fds 0-2: 'pipe' for a terminal, `otherwise` (inherit, or ignore for stdin) for the rest. */
export function stdioAvoidingTerminals(terminals: readonly number[], stdin: 'inherit' | 'ignore' = 'inherit'): ('pipe' | 'inherit' | 'ignore')[] {
  return [0, 1, 2].map((fd) => (fd === 0 && stdin === 'ignore' ? 'ignore' : terminals.includes(fd) ? 'pipe' : 'inherit'));
}

export interface TerminalRelay {
  /** After the child exited: wait (at most timeoutMs) for its output to be copied, then stop reading the terminal. */
  finish(timeoutMs?: number): Promise<void>;
}

/** Copy between the caller's terminal and the child's pipes, for the fds stdioAvoidingTerminals made pipes. */
export function relayTerminalPipes(child: ChildProcess, terminals: readonly number[]): TerminalRelay {
  const input = terminals.includes(0) ? (child.stdio[0] as Writable | null) : null;
  if (input) {
    input.on('error', () => {}); // the box may exit before reading everything
    process.stdin.pipe(input);
  }
  const copied: Promise<void>[] = [];
  for (const fd of [1, 2] as const) {
    const from = terminals.includes(fd) ? (child.stdio[fd] as Readable | null) : null;
    if (!from) continue;
    const to = fd === 1 ? process.stdout : process.stderr;
    from.on('data', (chunk: Buffer) => to.write(chunk));
    copied.push(new Promise((resolve) => from.once('close', () => resolve())));
  }
  return {
    async finish(timeoutMs = 200) {
      // A process the box left behind (no pid namespace) may hold the pipe open: do not wait for it forever.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(copied), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      if (input) {
        process.stdin.unpipe(input);
        process.stdin.pause();
      }
    },
  };
}
