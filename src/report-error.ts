// The one place an error becomes output: nsbox's full entry (cli.ts) and the box bundle's (box-main.ts) both use it.

import { NsboxError, EXIT_NSBOX } from './errors.js';
import { terminalField, terminalText } from './format/terminal-text.js';

/** Prints an error as one line (`nsbox: ...`), plus a hint line when there is one; returns the exit code. */
export function reportError(error: unknown): number {
  if (error instanceof NsboxError) {
    process.stderr.write(`nsbox: ${firstLine(error.message)}\n`);
    if (error.hint) process.stderr.write(`nsbox: hint: ${terminalText(error.hint)}\n`);
    if (error.cleanupError) process.stderr.write(`nsbox: also failed to clean up: ${firstLine(error.cleanupError.message)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`nsbox: internal error: ${firstLine(message)}\n`);
  if (process.env.NSBOX_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return EXIT_NSBOX;
}

/** The first line with text, as one terminal field: an error may quote a box's words (its Cmd, a path). */
export function firstLine(text: string): string {
  return terminalField(text.split('\n').find((l) => l.trim() !== '')?.trim() ?? text);
}
