// `nsbox exec`'s look at the command before it execs it, inside the box (after the user change, in the box's root,
// PATH and -w), so a missing or non-executable command reads as `docker exec` says it (runc's words), with Docker's
// 127 and 126, instead of the toolbox env's "/dev/.nsbox/env: 'x': No such file or directory" or setpriv's message.
// It only reads (test -e/-d/-x, cd in a subshell) and then execs the rest of its argv, the final exec unchanged.

import { quoteWord } from '../plan/quote.js';

/** execvp's search path when the environment has no PATH (glibc's default). */
export const DEFAULT_EXEC_PATH = '/bin:/usr/bin';

/** The line `exec -d`'s check writes on its stderr, last, once the command is found: nsbox then returns 0. */
export const EXEC_STARTED = 'nsbox-exec-started';

/**
 * The check as `SH -c SCRIPT nsbox-exec PROGRAM WORKDIR REST...`: PROGRAM is looked up as execvp will (in `searchPath`,
 * or the shell's own $PATH when undefined: a host-root box, whose command inherits it), WORKDIR ("" for none) entered
 * first (in a subshell: only `enterWorkdir` stays there, where no env --chdir follows); then it execs REST.
 */
export function execCheckScript(label: string, searchPath: string | undefined, options: { readonly enterWorkdir?: boolean; readonly detached?: boolean } = {}): string {
  const fail = (code: number, what: string) => `{ printf '%s\\n' "nsbox: cannot exec in box $box: ${what}" >&2; exit ${code}; }`;
  return [
    `box=${quoteWord(label)} prog=$1 wd=$2; shift 2`,
    '(',
    // The names in a message may be the box's (its image's WorkingDir): one that holds a terminal command is not printed.
    '  shown() { case $1 in *[![:print:]]*) printf \'%s\' \'(a name with unprintable characters)\' ;; *) printf \'%s\' "$1" ;; esac; }',
    `  set -f; path=${searchPath === undefined ? '$PATH' : quoteWord(searchPath)}`,
    `  [ -z "$wd" ] || cd -- "$wd" 2>/dev/null || ${fail(126, 'chdir to \\"$(shown "$wd")\\": no such directory')}`,
    '  case $prog in',
    '    */*)',
    `      [ -e "$prog" ] || ${fail(127, 'exec: \\"$(shown "$prog")\\": stat $(shown "$prog"): no such file or directory')}`,
    `      [ ! -d "$prog" ] || ${fail(126, 'exec: \\"$(shown "$prog")\\": is a directory')}`,
    `      [ -x "$prog" ] || ${fail(126, 'exec: \\"$(shown "$prog")\\": permission denied')} ;;`,
    '    *)',
    '      denied=; IFS=:',
    '      for d in $path; do',
    '        [ -f "${d:-.}/$prog" ] || continue',
    '        [ -x "${d:-.}/$prog" ] && exit 0',
    '        denied=1',
    '      done',
    `      [ -z "$denied" ] || ${fail(126, 'exec: \\"$(shown "$prog")\\": permission denied')}`,
    `      ${fail(127, 'exec: \\"$(shown "$prog")\\": executable file not found in \\$PATH')} ;;`,
    '  esac',
    ') || exit',
    ...(options.enterWorkdir ? ['[ -z "$wd" ] || cd -- "$wd" || exit 126'] : []),
    // exec -d: the check passed, so nsbox may return; the command's output goes nowhere (the box's /dev/null), as Docker's.
    ...(options.detached ? [`printf '%s\\n' ${EXEC_STARTED} >&2`, 'exec </dev/null >/dev/null 2>&1'] : []),
    'exec "$@"',
  ].join('\n');
}
