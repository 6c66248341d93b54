// Tells unshare-style `--mount` (a new mount namespace) from Docker's `--mount type=...,target=...` (a mount).

import type { Options } from 'yargs';

/** A value of Docker's --mount: comma-separated key=value fields, one of them naming the target. */
const MOUNT_SPEC = /(^|,)(type|target|destination|dst|source|src)=/;

/**
 * `--mount=SPEC` and `--mount SPEC` (SPEC in Docker's key=value form) become `--mount-spec=SPEC`; a bare `--mount`
 * stays the boolean. Words after the command are never touched (the first non-flag word ends the flags).
 */
export function rewriteMountFlag(argv: readonly string[], options: Readonly<Record<string, Options>>): string[] {
  const takesValue = new Set<string>();
  for (const [name, opt] of Object.entries(options)) {
    if (opt.type === 'boolean' || opt.count) continue;
    const aliases = opt.alias === undefined ? [] : Array.isArray(opt.alias) ? opt.alias : [opt.alias];
    for (const n of [name, ...aliases]) takesValue.add(n.length === 1 ? `-${n}` : `--${n}`);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--' || !word.startsWith('-') || word === '-') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (word.startsWith('--mount=') && MOUNT_SPEC.test(word.slice(8))) out.push(`--mount-spec=${word.slice(8)}`);
    else if (word === '--mount' && next !== undefined && MOUNT_SPEC.test(next)) {
      out.push(`--mount-spec=${next}`);
      i++;
    } else {
      out.push(word);
      if (!word.includes('=') && takesValue.has(word) && next !== undefined) {
        out.push(next);
        i++;
      }
    }
  }
  return out;
}
