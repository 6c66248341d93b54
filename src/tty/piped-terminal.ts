// -i -t with a stdin that is no terminal (`echo ls | nsbox run -it ...`), refused as Docker refuses it ("the input
// device is not a TTY"): the keys would reach the box's pty, whose line discipline echoes them and can drop the end of
// the input (a shell in its line editor's raw mode never sees the end-of-file, and waits for ever). -i alone pipes
// stdin into the box; -t alone is fine.

import { isatty } from 'node:tty';
import { NsboxError } from '../errors.js';

/** Throws when the process has a pty and takes our stdin (-i) but stdin is no terminal. `what`: "run -it", ... */
export function refusePipedTerminal(process: { readonly tty: boolean; readonly openStdin?: boolean }, what: string): void {
  if (!process.tty || process.openStdin !== true || isatty(0)) return;
  throw new NsboxError(`cannot ${what}: the input device is not a TTY (stdin is a pipe or a file)`, { hint: 'use -i without -t to pass stdin to the box' });
}
