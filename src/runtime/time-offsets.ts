// linux.timeOffsets in the launch. The offsets of a new time namespace must be written (/proc/self/timens_offsets) by
// the process that unshared it, before any process enters it: the unsharing process's own execve enters it
// (time_namespaces(7)). util-linux's unshare does that with --monotonic/--boottime, in whole seconds; an offset with
// nanoseconds is set by a short perl-base program instead, which unshares the time namespace itself (unshare(2)
// through perl's syscall), writes each clock's line and execs the rest. Pure.

import { NsboxError } from '../errors.js';
import type { OciTimeOffset } from '../oci/container.js';

/** unshare(2)'s number per Node architecture; CLONE_NEWTIME is 0x80 on all of them. */
const SYS_UNSHARE: Readonly<Record<string, number>> = { x64: 272, arm64: 97 };

/** argv after `perl -e PROGRAM`: SYS_UNSHARE LINE... -- CMD...; each LINE is "CLOCK SECS NANOSECS". */
export const TIME_OFFSETS_PROGRAM = String.raw`use strict; use Fcntl ();
my $nr = shift @ARGV; my @lines; push @lines, shift @ARGV while @ARGV && $ARGV[0] ne '--'; shift @ARGV;
die "nsbox-time: usage: SYS_UNSHARE LINE... -- CMD...\n" unless @ARGV;
syscall($nr, 0x80) == 0 or die "nsbox-time: cannot unshare a time namespace: $!\n";
sysopen(my $f, '/proc/self/timens_offsets', Fcntl::O_WRONLY()) or die "nsbox-time: cannot open /proc/self/timens_offsets: $!\n";
for my $l (@lines) { defined syswrite($f, "$l\n") or die "nsbox-time: cannot set the offset '$l': $!\n"; }
close($f);
exec { $ARGV[0] } @ARGV; die "nsbox-time: cannot run $ARGV[0]: $!\n";`;

export interface TimeNamespaceWords {
  /** Words for unshare's own options (in place of --time when the program makes the namespace). */
  readonly unshareFlags: readonly string[];
  /** Words after unshare's "--", before the command: the program, when nanoseconds are asked. */
  readonly wrapper: readonly string[];
}

/** How the launch makes a new time namespace with these offsets (none: unshare --time alone). */
export function timeNamespaceWords(offsets: readonly OciTimeOffset[], nodeArch: string = process.arch): TimeNamespaceWords {
  if (!offsets.some((o) => o.nanosecs !== 0)) return { unshareFlags: ['--time', ...offsets.flatMap((o) => [`--${o.clock}`, String(o.secs)])], wrapper: [] };
  const nr = SYS_UNSHARE[nodeArch];
  if (nr === undefined) throw new NsboxError(`cannot honour linux.timeOffsets in nanoseconds on ${nodeArch}: nsbox knows unshare(2)'s number only on x86_64 and aarch64`);
  return { unshareFlags: [], wrapper: ['perl', '-e', TIME_OFFSETS_PROGRAM, String(nr), ...offsets.map((o) => `${o.clock} ${o.secs} ${o.nanosecs}`), '--'] };
}
