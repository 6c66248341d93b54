// Builds the variables a box adds to its environment from -e KEY=VAL, -e KEY and --env-file.

import { readFileSync } from 'node:fs';
import { NsboxError, flagError } from '../errors.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parse one `-e` value: KEY=VAL sets it, a bare KEY copies nsbox's own value (skipped when unset), like Docker. */
export function parseEnvAssignment(flag: string, value: string, hostEnv: NodeJS.ProcessEnv): [string, string] | undefined {
  const eq = value.indexOf('=');
  const key = eq === -1 ? value : value.slice(0, eq);
  if (!NAME.test(key)) throw flagError(flag, value, 'a variable name is letters, digits and _, not starting with a digit');
  if (eq !== -1) return [key, value.slice(eq + 1)];
  const inherited = hostEnv[key];
  return inherited === undefined ? undefined : [key, inherited];
}

/** Read an env file: KEY=VAL or KEY per line; blank lines and lines starting with # are skipped. */
export function readEnvFile(path: string, hostEnv: NodeJS.ProcessEnv): Array<[string, string]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new NsboxError(`cannot read --env-file ${JSON.stringify(path)}: ${reason}`);
  }
  const pairs: Array<[string, string]> = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) return;
    const pair = parseEnvAssignment(`--env-file ${path}:${index + 1}`, line, hostEnv);
    if (pair) pairs.push(pair);
  });
  return pairs;
}

/** Env files first, then -e values, later ones winning (Docker's order). */
export function buildEnv(envFlags: readonly string[], envFiles: readonly string[], hostEnv: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const file of envFiles) for (const [k, v] of readEnvFile(file, hostEnv)) env[k] = v;
  for (const value of envFlags) {
    const pair = parseEnvAssignment('-e', value, hostEnv);
    if (pair) env[pair[0]] = pair[1];
  }
  return env;
}
