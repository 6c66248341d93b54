// POSIX shell quoting for printed commands: what you copy from --explain runs exactly the same argv.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for sh: unchanged when safe, else single-quoted with ' written as '\''. */
export function quoteWord(word: string): string {
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const PLACEHOLDER = /\{(box|holder)\}/g;
/**
 * An argv word that is exactly `{script:NAME}` stands for the text of the plan's script NAME; `VAR={script:NAME}`
 * for an env(1) assignment of it (a script passed in the environment stays out of every process title).
 */
const SCRIPT_REF = /^((?:[A-Z_][A-Z0-9_]*=)?)\{script:(\w+)\}$/;

/**
 * Quote a word that may hold {box}/{holder} placeholders: those become "$box"/"$holder" inside double quotes,
 * everything else stays literal.
 */
export function quoteTemplate(word: string): string {
  const script = SCRIPT_REF.exec(word);
  if (script) return `${script[1]}"$${script[2]}"`;
  if (!PLACEHOLDER.test(word)) return quoteWord(word);
  PLACEHOLDER.lastIndex = 0;
  const escaped = word.replace(/[\\"$`]/g, (c) => `\\${c}`);
  return `"${escaped.replace(PLACEHOLDER, (_m, name: string) => `\${${name}}`)}"`;
}

/** Quote an argv as one shell command line. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteTemplate).join(' ');
}

/**
 * Quote a data word (a box's command word) that goes into a word the executor fills (a detached box's NSBOX_BOX):
 * as quoteWord, with every "{" outside the single quotes ('a'"{"'box}'), so that no placeholder can appear in it.
 */
export function quoteDataWord(word: string): string {
  return quoteWord(word).replace(/\{/g, `'"{"'`);
}

/**
 * Quote an argv that nsbox spawns as it is (no placeholders filled: exec's, cp's): every word literal. A box's data
 * in it (its Env, WorkingDir, passwd home) may hold "{box}" or "{script:NAME}", which quoteArgv would print as
 * "$box" or "$NAME": the caller's own variables, handed to the box when the script runs.
 */
export function quoteLiteralArgv(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ');
}

/** Substitute placeholders with known PIDs and script texts (the executor's side of quoteTemplate). */
export function fillTemplate(
  word: string,
  pids: Partial<Record<'box' | 'holder', number>>,
  scripts: Readonly<Record<string, string>> = {},
): string {
  const script = SCRIPT_REF.exec(word);
  if (script) {
    const text = scripts[script[2]!];
    if (text === undefined) throw new Error(`internal: unknown script ${script[2]}`);
    return `${script[1]}${text}`;
  }
  return word.replace(PLACEHOLDER, (_m, name: 'box' | 'holder') => {
    const pid = pids[name];
    if (pid === undefined) throw new Error(`internal: {${name}} used before it was launched`);
    return String(pid);
  });
}
