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
  const out = [`# ${commentText(title)}`];
  if (entries.some((e) => bindFlagsRemount(e))) out.push('# A bind\'s flags are set again by a remount line after it: mount --all skips an entry whose source already shows at its target.');
  for (const e of entries) {
    out.push(`# ${commentText(e.why)}`, [e.source, e.target, e.type, e.options, '0', '0'].map(escapeField).join(' '));
    const again = bindFlagsRemount(e);
    if (again) out.push(['none', e.target, 'none', again, '0', '0'].map(escapeField).join(' '));
  }
  return `${out.join('\n')}\n`;
}

/**
 * Text for a comment line of an fstab or a script: its why names paths the container's config or image chose (a mount
 * destination, where an image's /etc leads), and a line break there would start a line of its own, an fstab entry or a
 * shell command run as the host's root. Line breaks are written as \n, \r.
 */
export function commentText(text: string): string {
  return text.replace(/[\n\r]/g, (c) => (c === '\n' ? '\\n' : '\\r'));
}

/** libmount decodes \ooo octal escapes in every field (mnt_unmangle). */
export function escapeField(field: string): string {
  return field.replace(/[ \t\n\\#]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** Flags a bind gets only with a second mount(2) call, MS_REMOUNT|MS_BIND; libmount ignores a remount's data. */
const BIND_FLAGS = new Set(['ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'noatime', 'atime', 'nodiratime', 'diratime', 'strictatime', 'nosymfollow']);

/**
 * The options of a remount that sets a bind entry's flags again, or undefined for an entry with none (or not a bind).
 * mount --all (libmount) treats an entry whose source already shows at its target as mounted and skips it, flags
 * and all: a read-only path over a volume would stay writable. The remount is never skipped and applies the flags
 * to whatever is on top there, as runc's bind-then-remount does.
 */
export function bindFlagsRemount(e: FstabEntry): string | undefined {
  const words = e.options.split(',');
  if ((!words.includes('bind') && !words.includes('rbind')) || words.includes('remount')) return undefined;
  const flags = words.filter((w) => BIND_FLAGS.has(w));
  return flags.length > 0 ? ['remount', 'bind', ...flags].join(',') : undefined;
}
