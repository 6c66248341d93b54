// Tells unshare's `--user` (a new user namespace) from Docker's `--user NAME[:GROUP]` (who runs the command).

/**
 * `--user` is both unshare's user-namespace flag and Docker's run-as flag. The rule (shown in `run --help`):
 *   - `--user=VALUE` is always run-as; `--userns` is always the namespace.
 *   - `run`: a command on the host's root comes after `--`, so a word after `--user` that is not a flag or `--`
 *     can only be its value (Docker's `run --user alice busybox id`); a bare `--user` is the namespace.
 *   - `sh` (whose words are the shell's): only a numeric UID[:GID] after `--user` is taken as its value.
 * Rewrites run-as uses to --run-as.
 */
export function rewriteUserFlag(argv: readonly string[], command: 'run' | 'sh' = 'sh'): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    const takesNext = next !== undefined && (command === 'run' ? !next.startsWith('-') : /^\d+(:\d+)?$/.test(next));
    if (arg.startsWith('--user=')) out.push(`--run-as=${arg.slice('--user='.length)}`);
    else if (arg === '--user' && takesNext) {
      out.push('--run-as', next);
      i++;
    } else out.push(arg);
  }
  return out;
}
