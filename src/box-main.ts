// Entry of the box bundle (dist/bundle/nsbox-box.cjs), which start.ts runs for a command line that begins with run,
// sh or create: their fast path and nothing else, a third of nsbox's code, so a box start reads and deserializes
// that much less. A line the fast path does not take (--help, --version, words it cannot split) goes to the full
// bundle, which then does what it always did.

import { runBoxFast, wantsYargs } from './box-fast-path.js';
import { exitWith, terminalFds } from './exit-main.js';
import { reportError } from './report-error.js';
import { splitCommandLine } from './spec/command-line.js';
import { RUN_OPTIONS } from './spec/run-flags.js';

const terminals = terminalFds();

/** Starts nsbox's arguments (`words`, after bin/nsbox's "--") on the fast path: true; false leaves them to the full bundle. */
export function startBox(words: readonly string[]): boolean {
  const name = words[0];
  if (name !== 'run' && name !== 'sh' && name !== 'create') return false;
  try {
    if (wantsYargs(splitCommandLine(words.slice(1), RUN_OPTIONS)[0])) return false;
  } catch {
    // the full bundle reports it, through the path it always took
    return false;
  }
  void runBoxFast(words, name)
    .catch(reportError)
    .then((code) => exitWith(code, terminals));
  return true;
}
