// Text that a box or an image chose (a file name, a history step, an image's Cmd, a process's argv), made safe to print
// on the caller's terminal: every control character becomes "?", as `ls` shows them. ESC and the C1 controls would be
// terminal commands there (a window title, the clipboard, a cleared screen, queries some terminals answer as if
// typed), and a line break would make a line of its own ("A /x\nD /etc/passwd" in diff).

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const JSON_UNESCAPED_CONTROLS = /[\u007f-\u009f]/g;

/** `text` with each C0, DEL and C1 control character replaced by "?" (one field of a line). */
export function terminalField(text: string): string {
  return text.replace(CONTROLS, '?');
}

/** As terminalField, but tabs and line ends stay: a template's output (`{{join .Args "\n"}}`), an error's text. */
export function terminalText(text: string): string {
  return text.replace(CONTROLS_BUT_LAYOUT, '?');
}

/**
 * JSON.stringify, with DEL and the C1 controls escaped too (\u009b): JSON.stringify escapes only C0, and U+009B as
 * UTF-8 is a CSI to some terminals. Still the exact data once parsed.
 */
export function terminalJson(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, null, indent);
  return text === undefined ? text : text.replace(JSON_UNESCAPED_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
