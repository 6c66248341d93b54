// Splits an import SOURCE operand into a path and an optional TAG: `DIR:TAG`, `ARCHIVE:TAG` (skopeo's oci:DIR:TAG).

import { existsSync } from 'node:fs';

export interface SourceOperand {
  readonly path: string;
  readonly selector?: string;
}

/**
 * The path is the operand itself when it exists; else the part before the first ":" after which what remains
 * is a TAG and what precedes it exists (a path may hold colons: every split point is tried, left to right).
 */
export function parseSourceOperand(operand: string, exists: (path: string) => boolean = existsSync): SourceOperand {
  if (exists(operand)) return { path: operand };
  for (let at = operand.indexOf(':'); at > 0; at = operand.indexOf(':', at + 1)) {
    const path = operand.slice(0, at);
    const selector = operand.slice(at + 1);
    if (selector !== '' && exists(path)) return { path, selector };
  }
  return { path: operand };
}
