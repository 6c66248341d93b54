// What an `inspect` prints, as Docker does: the items as a JSON array, or with -f/--format one line per item
// through the Go template (network inspect and volume inspect share it with the box's inspect).

import { compileFormat } from './template.js';
import { terminalJson } from './terminal-text.js';

/** Compiles the format first (a bad template fails before anything is read), then renders what `items` returns. */
export async function inspectOutput<T>(format: string | undefined, items: () => T[] | Promise<T[]>, indent = 2): Promise<string> {
  const compiled = format === undefined ? undefined : compileFormat(format);
  const out = await items();
  return compiled ? out.map((item) => `${compiled.render(item)}\n`).join('') : `${terminalJson(out, indent)}\n`;
}
