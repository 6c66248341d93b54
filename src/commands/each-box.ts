// Several boxes in one command (rm, stop, kill, start, restart), as Docker does it: each box is handled on its own;
// one that fails (unknown, not running, busy) is reported on a line of its own and the others still go; the command
// fails (with the first failure's exit code) if any did. `docker rm -f web db` in a clean-up script removes whichever
// of them exists.

import { reportError } from '../report-error.js';

/** Runs `act` for each box in turn; prints each box that succeeded (stdout) and each failure (stderr). */
export async function eachBox(refs: readonly string[], act: (ref: string) => Promise<void>): Promise<number> {
  let code = 0;
  for (const ref of refs) {
    try {
      await act(ref);
      process.stdout.write(`${ref}\n`);
    } catch (error) {
      const failed = reportError(error);
      if (code === 0) code = failed;
    }
  }
  return code;
}

/** The same, all boxes at once (stop: each waits out its own grace period); output in the order given. */
export async function allBoxes(refs: readonly string[], act: (ref: string) => Promise<void>): Promise<number> {
  const results = await Promise.allSettled(refs.map(act));
  let code = 0;
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') process.stdout.write(`${refs[i]}\n`);
    else {
      const failed = reportError(result.reason);
      if (code === 0) code = failed;
    }
  });
  return code;
}
