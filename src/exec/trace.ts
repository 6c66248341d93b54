// NSBOX_TRACE=1: a line on stderr per step with its completion time since the process started (for finding slow
// steps). Written straight to fd 2 and any error ignored: a trace read through `| head` must not end nsbox in the
// middle of a box (an EPIPE on process.stderr is an uncaught error; the box's record and directory were left behind).

import { writeSync } from 'node:fs';

export const TRACING = !!process.env.NSBOX_TRACE;

/** Prints `nsbox: trace +<ms>ms <what>`; callers test TRACING first (no string is built for nothing). */
export function trace(what: string): void {
  try {
    writeSync(2, `nsbox: trace +${performance.now().toFixed(1)}ms ${what}\n`);
  } catch {
    // the reader is gone (or fd 2 is): a trace line is all that is lost
  }
}
