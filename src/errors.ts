// The one error type nsbox raises on purpose: a stable exit code, a one-line message and an optional hint.

/** Docker's exit codes for failures of the runtime itself (not of the command). */
export const EXIT_NSBOX = 125;
export const EXIT_NOT_EXECUTABLE = 126;
export const EXIT_NOT_FOUND = 127;

export class NsboxError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;
  /** A second failure met while rolling back after this one (kept, not hidden). */
  cleanupError: Error | undefined;

  constructor(message: string, options: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NsboxError';
    this.exitCode = options.exitCode ?? EXIT_NSBOX;
    this.hint = options.hint;
    this.cleanupError = undefined;
  }
}

/** Shorthand for a bad-input error about one flag: `invalid --memory "12bogus": <reason>`. */
export function flagError(flag: string, value: unknown, reason: string): NsboxError {
  return new NsboxError(`invalid ${flag} ${JSON.stringify(String(value))}: ${reason}`);
}
