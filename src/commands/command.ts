// The contract every subcommand module fulfils: cli.ts imports only the module of the command being run.

import type { Argv, ArgumentsCamelCase } from 'yargs';

export interface NsboxCommand<A = Record<string, unknown>> {
  /** yargs command string, e.g. "ns <pid> [other]". */
  readonly usage: string;
  readonly describe: string;
  readonly aliases?: readonly string[];
  /** Left out of --help, the man page and completion (helpers that scripts call). */
  readonly hidden?: boolean;
  builder(y: Argv): Argv<A>;
  /**
   * A command whose handler reads its own words (exec: the box command's words are never nsbox's flags): true when
   * those words need nothing from yargs (no --help), so the handler runs without it (src/fast-args.ts).
   */
  readonly parsesOwnWords?: (words: readonly string[]) => boolean;
  /** Returns nsbox's exit code; throws NsboxError for failures of nsbox itself. */
  handler(args: ArgumentsCamelCase<A>): Promise<number>;
}
