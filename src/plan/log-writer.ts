// The log writer of a detached box without a terminal: a small perl-base program (Essential on Debian) under the
// box's supervisor that keeps the box's stdout and stderr apart in one log, in the order the lines came. The
// supervisor gives it two fifos (the box's fd 1 and fd 2); it appends one record per line to its stdout (the log):
//
//   2026-12-01T22:40:00.123456789Z stdout F hello
//
// time (UTC), stream, F for a full line or P for a part of one (a prompt with no newline yet: shown at once, the rest
// follows in later records), the bytes themselves. This is the CRI log format Kubernetes writes: readable with cat,
// parsed by lifecycle/box-log.ts.
//
// It ends when both fifos do, or, should a process left behind by a box without its own pid namespace hold one open,
// once the box's process is gone (reaped by the supervisor, which waits for this writer before it records the exit
// status): it copies what is still buffered, then stops. No signal: one could come before perl has its handler.
// Why it looks (kill 0) five times a second rather than wait on a third fifo the supervisor holds: every fifo it
// opens by path can be gone before it is opened (a start killed midway and its state dir cleaned up), and a writer
// waiting for a fifo nobody will open again keeps its supervisor waiting too, for ever.
//
// Size: the log is on the state dir, a tmpfs by default (/run): host memory outside the box's --memory limit, shared
// with every service's /run. A box that wrote without end filled it (200 MB of `yes` from a box limited to 32m). So
// once the log holds LOG_MAX_BYTES the writer renames it to LOG.1 (replacing the one before) and starts a new LOG, as
// Docker's max-size/max-file do: at most two files, the newest output kept (logs reads LOG.1, then LOG).
//
// Memory is what it is for (one per box): no module at all. Loading Time::HiRes and Errno (which loads Config) cost
// 370 KiB of private memory per box; the clock is clock_gettime(2) through perl's built-in syscall, errno numbers are
// compared as numbers. Where nsbox has no syscall number, whole seconds (perl's time).
//
// A box with a terminal (-dt) has one stream, the relay's: the writer gets one fifo and copies its bytes as they are
// (the raw log, no records), rotated the same way. The relay itself could not: it is in the box's mount namespace,
// where the state dir's paths are gone once the box has its root.

/** clock_gettime(2) by Node's process.arch, for 64-bit ABIs (a timespec of two 64-bit words); from src/seccomp/tables. */
export const CLOCK_GETTIME: Readonly<Record<string, number>> = { x64: 228, arm64: 113 };

/** Where the writer starts a new log (the old one becomes LOG.1): a box's log never holds much more than twice this. */
export const LOG_MAX_BYTES = 10 * 1024 * 1024;

/**
 * The program, run as `perl -e PROGRAM STDOUT_FIFO STDERR_FIFO BOX_PID [LOG MAX_BYTES]` (LOG: its stdout's path).
 * STDERR_FIFO '' (a box with a terminal, -dt: one stream, the relay's): the bytes of STDOUT_FIFO are copied as they
 * are (the raw log), no records, rotated the same way.
 */
export function logWriterPerl(nodeArch: string = process.arch): string {
  const clock = CLOCK_GETTIME[nodeArch];
  const now = clock === undefined
    ? 'sub now { (time, 0) }'
    : `my $ts = "\\0" x 16;\nsub now { syscall(${clock}, 0, $ts) == 0 ? unpack('q q', $ts) : (time, 0) }  # CLOCK_REALTIME`;
  return String.raw`# No strict or warnings (written clean under both): 240 KiB less per box.
# ps -ef shows it as what it is, with its box's short id (the fifos are in the box's state dir, named by its id).
my ($id) = $ARGV[0] =~ m{([0-9a-f]{12})[0-9a-f]*/[^/]+\z};
$0 = 'nsbox-log ' . ($id // '');
$SIG{$_} = 'IGNORE' for qw(HUP INT QUIT PIPE TERM WINCH USR1 USR2);
my ($EINTR, $EAGAIN) = (4, 11);
my ($ended, $box, $log, $max) = (0, @ARGV[2, 3, 4]);
my @name = ('stdout', 'stderr');
my $raw = $ARGV[1] eq '';
my @in;
for my $i ($raw ? 0 : (0, 1)) { open($in[$i], '<', $ARGV[$i]) or die "nsbox-log: cannot open $ARGV[$i]: $!\n" }
unlink grep { $_ ne '' } @ARGV[0, 1];
binmode STDOUT;
${now}
sub stamp {
  my ($s, $ns) = now();
  my @t = gmtime $s;
  return sprintf('%04d-%02d-%02dT%02d:%02d:%02d.%09dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0], $ns);
}
my $size = (-s STDOUT) || 0;
# Our stderr is the log too (the supervisor's): it moves with it, else the first LOG stays allocated once replaced.
my $errs_too = join(':', (stat STDERR)[0, 1]) eq join(':', (stat STDOUT)[0, 1]);
# A new LOG once this one is full (whole records only: put writes whole ones; raw, any byte: LOG.1 and LOG are read
# as one); should LOG be gone, this one goes on.
sub rotate {
  $size = 0;
  return unless rename($log, "$log.1");
  open(my $new, '>>', $log) or return;
  open(STDOUT, '>&', $new) and binmode STDOUT;
  open(STDERR, '>&', $new) if $errs_too;
  close $new;
}
sub put {
  my $out = $_[0];
  $size += length $out;
  while (length $out) { my $n = syswrite(STDOUT, $out); last unless defined $n || $! == $EINTR; substr($out, 0, $n // 0) = '' }
  rotate() if $max && $size >= $max;
}
my %open = $raw ? (0 => 1) : (0 => 1, 1 => 1);
my $rounds = 0;
while (%open) {
  my $rin = '';
  vec($rin, fileno($in[$_]), 1) = 1 for keys %open;
  my $n = select(my $rout = $rin, undef, undef, $ended ? 0 : 0.2);
  if ($n < 0) { next if $! == $EINTR; die "nsbox-log: select: $!\n" }
  if ($n == 0) { last if $ended; $ended = !kill(0, $box); next }
  last if $ended && ++$rounds > 256;
  for my $i (sort keys %open) {
    next unless vec($rout, fileno($in[$i]), 1);
    my $got = sysread($in[$i], my $data, 65536);
    if (!defined $got) { next if $! == $EINTR || $! == $EAGAIN; delete $open{$i}; next }
    if ($got == 0) { delete $open{$i}; next }
    if ($raw) { put($data); next }
    my $time = stamp();
    my $out = '';
    for my $piece (split /(?<=\n)/, $data) {
      $out .= $piece =~ s/\n\z// ? "$time $name[$i] F $piece\n" : "$time $name[$i] P $piece\n";
    }
    put($out);
  }
}
`;
}
