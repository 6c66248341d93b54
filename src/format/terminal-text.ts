// Text that a box or an image chose (a file name, a history step), made safe to print on the caller's terminal as
// one field of a line: every control character becomes "?", as `ls` shows them. ESC and the C1 controls would be
// terminal commands there (a window title, the clipboard, a cleared screen, queries some terminals answer as if
// typed), and a line break would make a line of its own ("A /x\nD /etc/passwd" in diff).

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text` with each C0, DEL and C1 control character replaced by "?". */
export function terminalField(text: string): string {
  return text.replace(CONTROLS, '?');
}
