// What a box said on its fd 3 when it could not start: a failed set-up step of its init, or a command it cannot run.

import { EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, NsboxError } from '../errors.js';
import { toolMessage } from './tool-message.js';

/** The init script writes the failing tool's stderr, then "failed: <step>", on fd 3. */
export function describeSetupFailure(messages: string): string {
  const lines = messages.trim().split('\n');
  const failed = lines.find((l) => l.startsWith('failed: '))?.slice('failed: '.length);
  const detail = toolMessage(lines.filter((l) => !l.startsWith('failed: ') && !COMMAND_CHECK.test(l)).join('\n'));
  return [failed, detail].filter(Boolean).join(': ');
}

/** The init's check of the command before its exec, on fd 3: "not-found: CMD" (127), "not-executable: CMD" or
 * "is-a-directory: CMD" (126). */
const COMMAND_CHECK = /^(not-found|not-executable|is-a-directory): (.*)$/;

/** A command the box cannot run, as nsbox's error with Docker's exit code; undefined when the init said no such thing. */
export function commandCheckError(messages: string): NsboxError | undefined {
  const match = messages.split('\n').map((l) => COMMAND_CHECK.exec(l)).find((m) => m !== null);
  if (!match) return undefined;
  if (match[1] === 'not-found') return new NsboxError(`${match[2]}: not found in the box`, { exitCode: EXIT_NOT_FOUND });
  const why = match[1] === 'is-a-directory' ? 'is a directory' : 'permission denied';
  return new NsboxError(`${match[2]}: not executable in the box (${why})`, { exitCode: EXIT_NOT_EXECUTABLE });
}
