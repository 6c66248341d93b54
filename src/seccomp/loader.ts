// How a box's seccomp program is loaded just before its command runs, with stock tools only: setpriv's own
// --seccomp-filter (util-linux 2.41 and newer), else the host's perl (perl-base is Essential on Debian and Ubuntu),
// whose built-in syscall() makes the two calls and whose exec() then runs the rest of the argv. Both run after
// setpriv dropped the capabilities and set no_new_privs, so loading needs no privilege (seccomp(2): without
// CAP_SYS_ADMIN the caller must have no_new_privs). The filter then stays on every process the command starts.

import { NsboxError } from '../errors.js';
import { ARCHES, type ArchName } from './arches.js';

export type SeccompLoader = 'setpriv' | 'perl';

/** What the host offers (from the toolbox: its setpriv and whether it has perl). */
export interface LoaderFacts {
  /** setpriv takes --seccomp-filter (util-linux >= 2.41). */
  readonly setpriv: boolean;
  /** perl is in the toolbox. */
  readonly perl: boolean;
}

/** The loader to use, or an error that names the fix (install perl-base or util-linux 2.41, or opt out). */
export function chooseLoader(facts: LoaderFacts): SeccompLoader {
  if (facts.setpriv) return 'setpriv';
  if (facts.perl) return 'perl';
  throw new NsboxError('cannot confine the box with seccomp: this host has neither setpriv --seccomp-filter (util-linux 2.41 or newer) nor perl', {
    hint: 'install perl-base (apt-get install perl-base) or util-linux 2.41+, or run the box with --security-opt seccomp=unconfined',
  });
}

/**
 * The perl program: read the BPF file (argv[0]), set no_new_privs (already set by setpriv; harmless, and required
 * when it is not), install the filter with seccomp(SECCOMP_SET_MODE_FILTER) and a packed struct sock_fprog
 * { u16 len; struct sock_filter *filter; }, then exec the rest of argv (execvp: a word without / is looked up in
 * PATH). No module is loaded: it runs from the box's read-only toolbox, where only perl itself and its libraries are.
 * A failure is one line on stderr and exit 125, like any other set-up failure; a failed exec is 126 or 127.
 */
export function perlLoaderScript(arch: ArchName, appliesEnv = false): string {
  const nr = ARCHES[arch].syscalls;
  const prctl = nr.prctl;
  const seccomp = nr.seccomp;
  if (prctl === undefined || seccomp === undefined) throw new Error(`no prctl/seccomp numbers for ${arch}`);
  return [
    'sub fail { print STDERR "nsbox: cannot load the seccomp filter: $_[0]\\n"; exit 125 }',
    'my $f = shift; open(my $h, "<", $f) or fail("$f: $!"); binmode $h; my $p = do { local $/; <$h> }; close $h;',
    'length($p) % 8 == 0 && length($p) > 0 or fail("$f: not a BPF program");',
    `syscall(${prctl}, 38, 1, 0, 0, 0) == 0 or fail("prctl(PR_SET_NO_NEW_PRIVS): $!");`,
    `syscall(${seccomp}, 1, 0, pack("S x![P] P", length($p) / 8, $p)) == 0 or fail("seccomp(SECCOMP_SET_MODE_FILTER): $!");`,
    'shift if @ARGV && $ARGV[0] eq "--";',
    // appliesEnv: env -i's job too (K=V ... -- CMD): the environment is set only now, in this last process before
    // the command, after the drop and the filter; perl read its own variables at start-up, from the empty one.
    ...(appliesEnv ? ['%ENV = (); while (@ARGV && $ARGV[0] ne "--") { my ($k, $v) = split /=/, shift, 2; $ENV{$k} = $v } shift;'] : []),
    'exec { $ARGV[0] } @ARGV;',
    'print STDERR "nsbox: cannot run $ARGV[0]: $!\\n"; exit($! == 2 ? 127 : 126);',
  ].join(' ');
}

/** How the final exec loads the filter: setpriv options, or words between setpriv's `--` and the command. */
export interface LoaderWords {
  /** Added to setpriv's options (setpriv applies the filter last, just before its exec). */
  readonly setprivArgs: readonly string[];
  /** Run after setpriv: `perl -e SCRIPT FILE --`, the rest of argv follows. */
  readonly prefix: readonly string[];
}

/**
 * The words for `loader` with the program at `file` (a path as the box sees it). `perlArgv` is how to start perl
 * there (the toolbox's loader and library path).
 */
export function loaderWords(loader: SeccompLoader, file: string, arch: ArchName, perlArgv: readonly string[], appliesEnv = false): LoaderWords {
  if (loader === 'setpriv') return { setprivArgs: [`--seccomp-filter=${file}`], prefix: [] };
  return { setprivArgs: [], prefix: [...perlArgv, '-e', perlLoaderScript(arch, appliesEnv), file, '--'] };
}

/** setpriv --help lists --seccomp-filter from util-linux 2.41 on. */
export function setprivHasSeccompFilter(helpText: string): boolean {
  return /--seccomp-filter\b/.test(helpText);
}
