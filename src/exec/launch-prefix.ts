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
