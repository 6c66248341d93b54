// `--format` as Docker reads it: a Go template (src/format/template-parse.ts, -exec.ts), `\t` and `\n` typed as
// two characters meaning tab and newline, `table ...` for a header row and aligned columns, `json` for {{json .}}.

import { parseTemplate, type TemplateNode } from './template-parse.js';
import { executeTemplate } from './template-exec.js';

export { TemplateError } from './template-error.js';

export interface CompiledFormat {
  /** `table ...`: print a header row, align the columns. */
  readonly table: boolean;
  /** One data item's text (no newline added). */
  render(data: unknown): string;
}

/** Compile a --format value; a syntax error is a TemplateError (exit 1). */
export function compileFormat(format: string): CompiledFormat {
  let text = format;
  let table = false;
  if (/^table(\s|$)/.test(text)) {
    table = true;
    text = text.slice('table'.length);
  }
  text = text.trim();
  if (text === 'json') text = '{{json .}}';
  text = text.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const nodes: TemplateNode[] = parseTemplate(text);
  return { table, render: (data) => executeTemplate(nodes, data) };
}

/** Render a template against data once (inspect -f). */
export function renderTemplate(format: string, data: unknown): string {
  return compileFormat(format).render(data);
}

/**
 * Every row through the format, one line each; a table format gets a header row (the same template run against
 * `headers`, a map of field name to column title, or to a function for a method) and Docker's tabwriter alignment.
 */
export function formatRows(format: string, rows: readonly unknown[], headers: Readonly<Record<string, unknown>>): string {
  const compiled = compileFormat(format);
  const lines = rows.map((row) => compiled.render(row));
  if (!compiled.table) return lines.map((l) => `${l}\n`).join('');
  return alignColumns([compiled.render(headers), ...lines]);
}

/**
 * Go's text/tabwriter as Docker sets it up (minwidth 10, padding 3, spaces): each tab-terminated cell is padded to
 * its column's width; the text after a line's last tab is not.
 */
export function alignColumns(lines: readonly string[], minWidth = 10, padding = 3): string {
  const rows = lines.flatMap((l) => l.split('\n')).map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const cells of rows) {
    cells.slice(0, -1).forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, Math.max(minWidth, displayWidth(cell) + padding));
    });
  }
  return rows.map((cells) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - displayWidth(cell)))).join('').trimEnd()).join('\n') + '\n';
}

/** Characters, not UTF-16 units (a name may hold non-ASCII letters). */
function displayWidth(text: string): number {
  return [...text].length;
}
