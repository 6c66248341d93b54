// The image box's last check before its exec: is the command there, and executable? It runs inside the box (after
// pivot_root, in the box's PATH and working directory), so it answers for the box's files, not the host's. nsbox
// prints the answer as "CMD: not found in the box" (127) or "not executable" (126) instead of setpriv's message.

import { quoteWord } from '../plan/quote.js';

/**
 * Shell lines defining and running check_command on "$1"; the verdict goes to fd 3, as set-up failures do.
 * `searchPath` is the box's PATH: a plain shell variable here, since the box's environment is applied only at the
 * final exec (final-exec.ts).
 */
export function commandCheckLines(searchPath: string): string[] {
  return [
    '# The command, looked up the way execvp will (the box\'s PATH unless it holds a /): 127 if missing, 126 if not executable.',
    `box_path=${quoteWord(searchPath)}`,
    'check_command() {',
    '  case $1 in',
    '    */*)',
    '      [ -e "$1" ] || { echo "not-found: $1" >&3; exit 127; }',
    '      [ ! -d "$1" ] || { echo "is-a-directory: $1" >&3; exit 126; }',
    '      [ -x "$1" ] || { echo "not-executable: $1" >&3; exit 126; }',
    '      return 0 ;;',
    '  esac',
    '  denied=; saved_ifs=$IFS; IFS=:',
    '  for d in $box_path; do',
    '    [ -f "${d:-.}/$1" ] || continue',
    '    [ -x "${d:-.}/$1" ] && { IFS=$saved_ifs; return 0; }',
    '    denied=1',
    '  done',
    '  IFS=$saved_ifs',
    '  [ -z "$denied" ] || { echo "not-executable: $1" >&3; exit 126; }',
    '  echo "not-found: $1" >&3; exit 127',
    '}',
    'check_command "$1"',
  ];
}
