// Validates a PID given on the command line: a positive decimal integer within the kernel's pid range.

import { flagError } from '../errors.js';

/** Highest PID the kernel can hand out (PID_MAX_LIMIT, 2^22 on 64-bit). */
const PID_MAX_LIMIT = 4194304;

/** The PID in `value`, or a one-line NsboxError naming the argument (`label`). */
export function parsePidArgument(value: unknown, label: string): number {
  const text = String(value ?? '').trim();
  if (!/^\d+$/.test(text)) throw flagError(label, value ?? '', 'not a process ID (a positive integer)');
  const pid = Number(text);
  if (pid < 1 || pid > PID_MAX_LIMIT) throw flagError(label, value, `out of range 1..${PID_MAX_LIMIT}`);
  return pid;
}
