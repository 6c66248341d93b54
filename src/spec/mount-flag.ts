// Tells unshare-style `--mount` (a new mount namespace) from Docker's `--mount type=...,target=...` (a mount).

import type { Options } from 'yargs';
import { rewriteAmbiguousFlag } from './ambiguous-flag.js';

/** A value of Docker's --mount: comma-separated key=value fields, one of them naming the target. */
const MOUNT_SPEC = /(^|,)(type|target|destination|dst|source|src)=/;
const isMountSpec = (value: string) => MOUNT_SPEC.test(value);

/** `--mount=SPEC` and `--mount SPEC` (SPEC in Docker's key=value form) become `--mount-spec=SPEC`. */
export function rewriteMountFlag(argv: readonly string[], options: Readonly<Record<string, Options>>): string[] {
  return rewriteAmbiguousFlag(argv, options, { flag: '--mount', valueFlag: '--mount-spec', joinedIsValue: isMountSpec, nextIsValue: isMountSpec });
}
