// run, sh and create on their fast path: the small table-driven parser, no yargs. cli.ts takes it for a plain box
// command line; the box bundle (box-main.ts, dist/bundle/nsbox-box.cjs) runs only this, so a box start reads and
// deserializes a third of nsbox's code.

import { isatty } from 'node:tty';

/** A box command line for yargs, not the fast path: its flags (the words before the command) ask for --help or --version. */
export function wantsYargs(flags: readonly string[]): boolean {
  return flags.some((a) => a === '--help' || a === '-h' || a === '--version');
}

/**
 * run/sh/create without --help: parse with the small table-driven parser and skip loading yargs (start-up time).
 * create takes run's flags and words, and records the box that `start` runs (detached, as docker create).
 */
export async function runBoxFast(argv: readonly string[], name: 'run' | 'sh' | 'create'): Promise<number> {
  const [{ splitCommandLine }, { RUN_OPTIONS }, { parseFlags }, { runBox, titleOf }] = await Promise.all([
    import('./spec/command-line.js'),
    import('./spec/run-flags.js'),
    import('./spec/parse-flags.js'),
    import('./commands/box-command.js'),
  ]);
  const [flags, command, afterDash] = splitCommandLine(await rewriteBoxWords(argv.slice(1), name), RUN_OPTIONS);
  const parsed = parseFlags((await import('./plan/explain.js')).rewriteExplainFlag(flags), RUN_OPTIONS, name) as Parameters<typeof runBox>[0];
  const args = name === 'create' ? await createOnly(parsed) : parsed;
  const title = titleOf(argv.filter((a) => a !== '--explain' && a !== '--dry-run'));
  // `run IMAGE [CMD...]` and `run --rootfs DIR [-- CMD...]` get a root filesystem of their own; `run -- CMD` the host's.
  if (name !== 'sh' && (args.rootfs !== undefined || (!afterDash && command.length > 0))) {
    const { runImageBox } = await import('./commands/run-image.js');
    return runImageBox(args, command, afterDash, title);
  }
  // On a terminal, the shell gets a pty of its own (like -t); from a pipe, it reads its commands from stdin.
  if (name === 'sh') return runBox(args, [process.env.SHELL || '/bin/sh', ...command], isatty(0), title);
  return runBox(args, command, false, title);
}

/** create's run flags: detached, recorded, not started (lifecycle/run-options.ts). */
async function createOnly<T extends Record<string, unknown>>(args: T): Promise<T> {
  const { CREATE_ONLY } = await import('./lifecycle/run-options.js');
  return { ...args, detach: true, [CREATE_ONLY]: true };
}

/**
 * run's, sh's and create's words with Docker's spellings turned into the flags RUN_OPTIONS parses (-u, --pid host,
 * --net, --mount), in one order for the fast path and the yargs path alike.
 */
export async function rewriteBoxWords(words: readonly string[], name: string): Promise<string[]> {
  const [{ rewriteUserFlag }, { RUN_OPTIONS }, { rewriteNetFlag }, { rewriteMountFlag }, { rewriteHostNamespaceFlags }] = await Promise.all([
    import('./spec/user-flag.js'),
    import('./spec/run-flags.js'),
    import('./net/net-flag.js'),
    import('./spec/mount-flag.js'),
    import('./spec/host-namespace-flag.js'),
  ]);
  return rewriteMountFlag(rewriteNetFlag(rewriteHostNamespaceFlags(rewriteUserFlag(words, name === 'sh' ? 'sh' : 'run'), RUN_OPTIONS), RUN_OPTIONS), RUN_OPTIONS);
}

