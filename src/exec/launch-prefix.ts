// The wrappers at the head of a launch argv that node's spawn does itself, so they cost no process on the run path.

/** A launch argv without its leading `setsid --` and `env [-i] NAME=VALUE...`, and what spawn does instead. */
export interface NativeLaunch {
  readonly argv: readonly string[];
  /** `env [-i] NAME=VALUE...`: the variables, on top of nsbox's environment or (`-i`) alone; undefined: no env. */
  readonly env: { readonly clear: boolean; readonly vars: Readonly<Record<string, string>> } | undefined;
  /** `setsid --`: spawn's `detached` calls setsid(2) in the child (a new session without a controlling terminal). */
  readonly setsid: boolean;
}

/**
 * Peels `env [-i] NAME=VALUE...` and `setsid --` off the head of argv, in either order, as long as they lead it:
 * the same effect as running the tools (--explain's script still runs them), one exec each less. Stops at anything
 * else; a later `env` or `setsid` (after cgexec, inside a supervisor) stays a process.
 */
export function peelLaunchPrefix(argv: readonly string[]): NativeLaunch {
  let rest = argv;
  let env: NativeLaunch['env'];
  let setsid = false;
  for (;;) {
    if (!setsid && rest[0] === 'setsid' && rest[1] === '--' && rest.length > 2) {
      setsid = true;
      rest = rest.slice(2);
      continue;
    }
    if (env === undefined && rest[0] === 'env') {
      const clear = rest[1] === '-i';
      let i = clear ? 2 : 1;
      const vars: Record<string, string> = {};
      for (; i < rest.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[i]!); i++) {
        const word = rest[i]!;
        vars[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1);
      }
      if (i >= rest.length || rest[i]!.startsWith('-')) break; // env with options, or with nothing to run: keep it
      env = { clear, vars };
      rest = rest.slice(i);
      continue;
    }
    break;
  }
  return { argv: rest, env, setsid };
}

/** The environment spawn gives the child for a peeled `env`, given nsbox's own. */
export function launchEnvironment(native: NativeLaunch, own: NodeJS.ProcessEnv): NodeJS.ProcessEnv | undefined {
  if (!native.env) return undefined;
  return native.env.clear ? { ...native.env.vars } : { ...own, ...native.env.vars };
}

/** Wrappers that exec the program after their `--` with the same PATH and the same files (no env, no nsenter). */
const SAME_VIEW_WRAPPERS = ['setpriv', 'unshare', 'cgexec', 'setsid'];

/**
 * argv with its tools by path: argv[0], and the program after each wrapper's `--` (setpriv -- unshare -- ...) while
 * the wrapper keeps PATH and the files as they are (SAME_VIEW_WRAPPERS), up to the first absolute one. `find` is
 * findTool (PATH first, as execvp; checkPlanTools found them already): each tool starts at once instead of after a
 * failed execve per PATH directory before its own (8 each with this host's PATH: in the child while nsbox waits in
 * spawn, then in setpriv before unshare). A name `find` does not know stays a name.
 */
export function withToolPaths(argv: readonly string[], find: (name: string) => string | undefined): string[] {
  const out = [...argv];
  for (let i = 0; i < out.length; ) {
    const word = out[i]!;
    if (word.startsWith('/') || word.startsWith('{')) break;
    out[i] = find(word) ?? word;
    const dash = out.indexOf('--', i + 1);
    if (!SAME_VIEW_WRAPPERS.includes(word) || dash === -1) break;
    i = dash + 1;
  }
  return out;
}
