// How a box's helper scripts reach their shells without becoming their process titles: each script's text travels
// in an environment variable (NSBOX_<NAME>), set once by env(1) in front of the launch, and each helper is
// `sh -c 'eval "$NSBOX_<NAME>"' 'nsbox-<name> <id12>'`, so ps and lsns show a short line that names it (sh's $0).
// A detached box's supervisor gets the box's launch command the same way (NSBOX_BOX, shell-quoted words), so its
// own title stays short too. Every script unsets its own variable first, and the last one before the command unsets
// the rest: a box's command never inherits them (image boxes also start the command from env -i).

import { quoteDataWord, quoteWord } from './quote.js';

/** The environment variable that carries the plan's script `name` (NSBOX_REAPER for "reaper"). */
export function scriptVariable(name: string): string {
  return `NSBOX_${name.toUpperCase()}`;
}

/** `env NSBOX_A={script:a} ...`: the launch's first words, putting each script in the environment. */
export function scriptEnvArgv(names: readonly string[]): string[] {
  return ['env', ...names.map((n) => `${scriptVariable(n)}={script:${n}}`)];
}

/** The shell that runs script `name`, titled `title` ($0, what ps shows after the short -c text). */
export function runScriptArgv(name: string, title: string): string[] {
  return ['/bin/sh', '-c', evalScript(name), title];
}

/** The -c text that runs script `name` from its variable. */
export function evalScript(name: string): string {
  return `eval "$${scriptVariable(name)}"`;
}

/** A helper's title: `nsbox-supervisor 0123456789ab`. */
export function helperTitle(role: string, id: string): string {
  return `nsbox-${role} ${id.slice(0, 12)}`;
}

/** The first line of a script run by runScriptArgv: its text is in this shell now, so no child inherits it. */
export function unsetLine(names: readonly string[]): string {
  return `unset ${names.map(scriptVariable).join(' ')}  # this script's text: no process started from here inherits it`;
}

/**
 * A box's launch argv: its scripts in the environment, then `chain` (the box's command), or for a detached box its
 * supervisor, in a session of its own (no terminal, no signals meant for nsbox's process group), which runs `chain`
 * from NSBOX_BOX. Placeholders ({holder}) in `chain` stay placeholders: the executor fills them in that one word, and
 * --explain's shell expands them when it assigns the variable.
 */
export function launchArgv(id: string, scripts: readonly { readonly name: string }[], detached: boolean, chain: readonly string[], cleanPath?: string, literalTail = 0): string[] {
  const env = scriptEnvArgv(scripts.map((s) => s.name));
  // An image box in the foreground: the launch's tools and the reaper get only PATH and the scripts (env -i), so
  // the reaper starts PID 1 without an env -i of its own (pid1Launch's launchedClean).
  if (!detached && cleanPath !== undefined) return ['env', '-i', `PATH=${cleanPath}`, ...env.slice(1), ...chain];
  if (!detached) return [...env, ...chain];
  // The command's words (the chain's last literalTail) quoted so that the fill finds no placeholder in them.
  const words = chain.map((w, i) => (i >= chain.length - literalTail ? quoteDataWord(w) : quoteWord(w)));
  return [...env, `NSBOX_BOX=${words.join(' ')}`, 'setsid', '--', ...runScriptArgv('supervisor', helperTitle('supervisor', id))];
}
