// Tells unshare's `--user` (a new user namespace) from Docker's `--user UID[:GID]` (who runs the command).

/**
 * `--user` is both unshare's user-namespace flag and Docker's run-as flag. A bare `--user` means the namespace;
 * `--user=VALUE`, or `--user` followed by a numeric UID[:GID], means run-as. Rewrite the latter to --run-as.
 */
export function rewriteUserFlag(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (arg.startsWith('--user=')) out.push(`--run-as=${arg.slice('--user='.length)}`);
    else if (arg === '--user' && /^\d+(:\d+)?$/.test(argv[i + 1] ?? '')) {
      out.push('--run-as', argv[i + 1]!);
      i++;
    } else out.push(arg);
  }
  return out;
}
