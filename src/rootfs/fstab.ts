// Renders the box's mounts as fstab(5) text: `mount --all --fstab FILE` then makes them all in one process, in
// order, and the file stays in containers/<id>/ as a readable record of what the box got.

/** One mount: fields as in fstab(5), with a one-line why written above it. */
export interface FstabEntry {
  readonly source: string;
  readonly target: string;
  readonly type: string;
  readonly options: string;
  readonly why: string;
}

/** fstab(5) text; spaces, tabs, newlines, backslashes and '#' in fields are written as octal escapes. */
export function renderFstab(title: string, entries: readonly FstabEntry[]): string {
  const out = [`# ${title}`];
  for (const e of entries) {
    out.push(`# ${e.why}`, [e.source, e.target, e.type, e.options, '0', '0'].map(escapeField).join(' '));
  }
  return `${out.join('\n')}\n`;
}

/** libmount decodes \ooo octal escapes in every field (mnt_unmangle). */
export function escapeField(field: string): string {
  return field.replace(/[ \t\n\\#]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}
