// The terminal relay of `-t`: a small perl-base program (Essential on Debian, no compiled helper) that opens a pty
// on a given ptmx (the box's own devpts instance), starts the box's process on its slave as the controlling
// terminal of a new session, and copies bytes between the caller's terminal and the master until the process ends.
//
// Only the relay ever holds the caller's terminal: the box's processes get the slave alone, so TIOCSTI or a write
// from inside reaches the box's own pty, never the caller's. The relay stays outside the box's pid namespace, so
// no box process can signal it, ptrace it or open /proc/<relay>/fd.
//
// When the caller's terminal goes away (the terminal emulator closed: its reads end, writes fail with EIO, it is no
// terminal any more), the relay hangs up the box's pty as a real terminal would: it closes the master, so the kernel
// sends SIGHUP to the pty's session and the box's reads end. A process that outlives the hangup by HANGUP_GRACE
// seconds is killed (PID 1 with it, and so the whole box): nothing is left running on a terminal nobody can reach.
//
// It preloads everything it uses (POSIX is XS, the rest are builtins): after the box's pivot_root, the host's perl
// library is gone from this mount namespace.

import { NsboxError } from '../errors.js';
import { OPEN_IN_ROOT_PERL } from './open-in-root.js';

/**
 * ATTACH: the relay of a detached box with a terminal (`run -dit`), under the box's supervisor, with no caller
 * terminal. It keeps the pty's master, appends all the pty's output to its stdout (the box's log: `nsbox logs`),
 * and serves `nsbox attach` on a unix socket (mode 0600 in the root-only state dir). One client at a time: a new one
 * takes over, and the old one is told so ('k'). Frames both ways are TYPE(1 byte) LENGTH(16 bits, big-endian) DATA:
 * from the client 'd' keys and 'w' a window size (rows, cols, xpixel, ypixel as four 16-bit numbers); to it 'o' the
 * log's size when it connected (decimal; 'n' instead when the log is a fifo to the log writer, -dt: how many bytes the
 * relay had written to it), 'd' the terminal's output, 'k' taken over, and 'x' the box's exit status
 * (one byte) just before the relay ends. A client
 * that goes away changes nothing for the box (Docker's detach).
 */
const ATTACH_PART = String.raw`
sub listen_on {
  my ($path) = @_;
  require Socket;
  my ($dir, $name) = $path =~ m{^(.*)/([^/]+)$} or die "nsbox-tty: bad socket path $path\n";
  socket(my $server, Socket::AF_UNIX(), Socket::SOCK_STREAM(), 0) or die "nsbox-tty: cannot make a socket: $!\n";
  # sun_path holds 108 bytes: bind the name from inside its directory, as state dirs can be deeper than that.
  my $back = POSIX::getcwd();
  chdir($dir eq '' ? '/' : $dir) or die "nsbox-tty: cannot enter $dir: $!\n";
  unlink $name;
  my $mask = umask 077;
  bind($server, Socket::pack_sockaddr_un($name)) or die "nsbox-tty: cannot listen on $path: $!\n";
  umask $mask;
  chmod 0600, $name;
  listen($server, 4) or die "nsbox-tty: cannot listen on $path: $!\n";
  chdir $back if defined $back;
  return $server;
}
sub frame { pack('a n', $_[0], length $_[1]) . $_[1] }
sub serve_attach {
  # The gate (fd 3) is PID 1's alone now: nsbox sees it close when the command starts.
  POSIX::close(3);
  my ($mfd, $sfd) = (fileno($master), fileno($server));
  my ($client, $from_client, $to_client, $to_box, $out_open, $status, $written) = (undef, '', '', '', 1, undef, 0);
  my $drop = sub { close($client) if $client; ($client, $from_client, $to_client) = (undef, '', ''); };
  while ($out_open || !defined $status) {
    my ($rin, $win) = ('', '');
    vec($rin, $mfd, 1) = 1 if $out_open;
    vec($rin, $sfd, 1) = 1;
    if ($client) {
      vec($rin, fileno($client), 1) = 1 if length($to_box) < 65536;
      vec($win, fileno($client), 1) = 1 if length $to_client;
    }
    vec($win, $mfd, 1) = 1 if $out_open && length $to_box;
    my $n = select(my $rout = $rin, my $wout = $win, undef, defined $status ? 0.05 : 0.5);
    if ($n > 0) {
      if (vec($rout, $mfd, 1)) {
        my $r = sysread($master, my $buf, 65535);
        if ($r) {
          for (my $off = 0; $off < $r;) { my $w = syswrite(STDOUT, $buf, $r - $off, $off); last unless $w; $off += $w; $written += $w; }
          if ($client) { $to_client .= frame('d', $buf); $drop->() if length($to_client) > 4 << 20; }  # a client that stopped reading
        }
        else { $out_open = 0; }  # EIO: every slave fd is closed
      }
      if ($out_open && vec($wout, $mfd, 1)) {
        my $w = syswrite($master, $to_box);
        substr($to_box, 0, $w, '') if $w;
      }
      if ($client && vec($wout, fileno($client), 1)) {
        my $w = syswrite($client, $to_client);
        if ($w) { substr($to_client, 0, $w, ''); } elsif (!$!{EAGAIN}) { $drop->(); }
      }
      if ($client && vec($rout, fileno($client), 1)) {
        my $r = sysread($client, my $buf, 65536);
        if ($r) { $from_client .= $buf; }
        elsif (defined $r || !$!{EAGAIN}) { $drop->(); }
        while (length($from_client) >= 3) {
          my ($type, $len) = unpack('a n', $from_client);
          last if length($from_client) < 3 + $len;
          my $data = substr($from_client, 3, $len);
          substr($from_client, 0, 3 + $len, '');
          if ($type eq 'd') { $to_box .= $data if $out_open; }
          elsif ($type eq 'w' && $len == 8) { my $ws = pack('S4', unpack('n4', $data)); ioctl($master, $TIOCSWINSZ, $ws); }
        }
      }
      if (vec($rout, $sfd, 1) && accept(my $new, $server)) {
        if ($client) { syswrite($client, frame('k', '')); $drop->(); }
        my $flags = fcntl($new, POSIX::F_GETFL(), 0);
        fcntl($new, POSIX::F_SETFL(), $flags | POSIX::O_NONBLOCK());
        # First frame 'o': the log's size now ('n': the bytes written to the log writer's fifo). All output up to
        # it went to the log only, all after it comes in frames too, so nsbox start -a -i can show what the box
        # wrote before it connected, once.
        ($client, $to_box, $to_client) = ($new, '', -f STDOUT ? frame('o', (stat(STDOUT))[7]) : frame('n', $written));
      }
    } elsif (defined $status && $n == 0) {
      last;
    }
    if (!defined $status && waitpid($pid, POSIX::WNOHANG()) == $pid) { $status = $?; }
  }
  if (!defined $status) { waitpid($pid, 0); $status = $?; }
  my $code = ($status & 127) ? 128 + ($status & 127) : $status >> 8;
  if ($client) {
    # The last output and the exit status, waiting at most a second for a slow client.
    my $flags = fcntl($client, POSIX::F_GETFL(), 0);
    fcntl($client, POSIX::F_SETFL(), $flags & ~POSIX::O_NONBLOCK());
    my $sndtimeo = pack('l!l!', 1, 0);
    setsockopt($client, Socket::SOL_SOCKET(), Socket::SO_SNDTIMEO(), $sndtimeo);
    $to_client .= frame('x', chr($code));
    while (length $to_client) { my $w = syswrite($client, $to_client); last unless $w; substr($to_client, 0, $w, ''); }
  }
  POSIX::_exit($code);
}
`;

/**
 * PTMX "recv:SYS_RECVMSG:/SOCKET" (`nsbox-runtime run` of a container with process.terminal and no console socket,
 * as runc's own): the relay listens on SOCKET, says "listening" on fd 3 and closes it, and takes the pty's master
 * from the one message the container's init sends there (the --console-socket protocol, console-socket.ts: one
 * SCM_RIGHTS fd, received with recvmsg(2) through perl's syscall; msghdr and cmsghdr as laid out there). The relay
 * starts no process then: the container's init already runs on the slave.
 */
const RECEIVE_MASTER_PART = String.raw`
sub receive_master {
  my ($sys_recvmsg, $path) = @_;
  require Socket;
  # nsbox-runtime's caller may have left fds open (its --preserve-fds ones): they are the container's, not the relay's.
  opendir(my $fds, '/proc/self/fd') or die "nsbox-tty: cannot list /proc/self/fd: $!\n";
  my @open = grep { /^\d+$/ && $_ > 3 && $_ != fileno($fds) } readdir($fds);
  closedir($fds);
  POSIX::close($_) for @open;
  socket(my $server, Socket::AF_UNIX(), Socket::SOCK_STREAM(), 0) or die "nsbox-tty: cannot make a socket: $!\n";
  bind($server, Socket::pack_sockaddr_un($path)) or die "nsbox-tty: cannot listen on $path: $!\n";
  listen($server, 1) or die "nsbox-tty: cannot listen on $path: $!\n";
  if (open(my $said, '>&=', 3)) { syswrite($said, "listening\n"); close($said); }
  accept(my $c, $server) or die "nsbox-tty: no terminal arrived at $path: $!\n";
  close($server); unlink $path;
  my ($data, $control) = ("\0" x 256, "\0" x 24);
  my $iov = pack('P Q', $data, length $data);
  my $msg = pack('Q L x4 P Q P Q l x4', 0, 0, $iov, 1, $control, length $control, 0);
  my $n = syscall($sys_recvmsg, fileno($c), $msg, 0);
  die "nsbox-tty: cannot receive the terminal: $!\n" if $n < 0;
  my ($len, $level, $type, $fd) = unpack('Q l l l', $control);
  die "nsbox-tty: no terminal in the message at $path\n" unless $len == 20 && $level == 1 && $type == 1;
  close($c);
  open(my $master, '+<&=', $fd) or die "nsbox-tty: cannot use the received terminal: $!\n";
  return $master;
}
`;

/**
 * argv after `perl -e PROGRAM`: TITLE PTMX STDIN(0|1|/SOCKET) CTTY(0|1) -- CMD...
 * TITLE becomes the process title ($0); STDIN 1 relays the caller's stdin (raw mode when it is a terminal), an
 * absolute path makes the relay detached (`run -dit`, see ATTACH below); CTTY 1
 * makes the pty the controlling terminal of CMD's new session, CTTY 0 leaves that to CMD (`nsbox exec` runs
 * `setsid --ctty` inside the box's pid namespace, so the session's leader is a process the box's shell can see).
 * Exit status: the process's, or 128+N when signal N killed it (as sh reports it). PTMX may be "recv:..." instead
 * (RECEIVE_MASTER_PART), with no CMD: exit status 0 once the pty closed, 129 when the caller's terminal hung up.
 */
export const RELAY_PROGRAM = String.raw`
use strict; use POSIX ();
my ($title, $ptmx, $relay_stdin, $ctty, $dash, @cmd) = @ARGV;
$0 = $title;
my $receive = $ptmx =~ m{^recv:(\d+):(/.+)$} ? [$1, $2] : undef;
die "nsbox-tty: usage: TITLE PTMX STDIN CTTY -- CMD...\n" unless defined $dash && $dash eq '--' && (@cmd || $receive);
my $listen = $relay_stdin =~ m{^/} ? $relay_stdin : undef;
$relay_stdin = 0 if $listen;
# ioctl numbers of asm-generic (x86, arm, arm64, riscv, s390).
my ($TIOCGWINSZ, $TIOCSWINSZ, $TIOCSCTTY, $TIOCSPTLCK, $TIOCGPTPEER) = (0x5413, 0x5414, 0x540E, 0x40045431, 0x5441);
${OPEN_IN_ROOT_PERL}
${RECEIVE_MASTER_PART}
# The box's ptmx, seen through /proc/PID/root: a link the box made there is not followed (console-socket.ts).
my $master;
if ($receive) { $master = receive_master(@$receive); }
else {
$master = open_in_root($ptmx, POSIX::O_RDWR() | POSIX::O_NOCTTY()) or die "nsbox-tty: cannot open $ptmx: $!\n";
my $unlock = pack('i', 0);
ioctl($master, $TIOCSPTLCK, $unlock) or die "nsbox-tty: cannot unlock the pty: $!\n";
}
my $size_from = $listen ? undef : -t STDIN ? \*STDIN : -t STDOUT ? \*STDOUT : undef;
sub copy_size { my $ws = "\0" x 8; ioctl($size_from, $TIOCGWINSZ, $ws) and ioctl($master, $TIOCSWINSZ, $ws) if $size_from; }
copy_size();
# Detached: a terminal's usual 24x80 until someone attaches; the socket is bound now, while the host's paths are
# still in view (the box's pivot_root moves this process's root too).
if ($listen) { my $ws = pack('S4', 24, 80, 0, 0); ioctl($master, $TIOCSWINSZ, $ws); }
my $server = $listen ? listen_on($listen) : undef;
my $pid = @cmd ? fork() // die "nsbox-tty: cannot fork: $!\n" : undef;
if (defined $pid && $pid == 0) {
  # The box's side: a session of its own (whose controlling terminal is the slave with CTTY), on fds 0-2 only.
  POSIX::setsid();
  my $slave = ioctl($master, $TIOCGPTPEER, POSIX::O_RDWR() | POSIX::O_NOCTTY());
  unless ($slave) { print STDERR "nsbox-tty: cannot open the pty's slave: $!\n"; POSIX::_exit(125); }
  $slave = 0 + $slave;
  POSIX::dup2($slave, $_) for 0 .. 2;
  POSIX::close($slave) if $slave > 2;
  if ($ctty) { ioctl(STDIN, $TIOCSCTTY, 0) or do { print STDERR "nsbox-tty: cannot make the pty the controlling terminal: $!\n"; POSIX::_exit(125); }; }
  exec { $cmd[0] } @cmd;
  print STDERR "nsbox-tty: cannot run $cmd[0]: $!\n";
  POSIX::_exit(127);
}
# The caller's side. nsbox sends signals to the box's process itself: the relay only survives them.
$SIG{$_} = 'IGNORE' for qw(HUP INT QUIT TERM USR1 USR2 PIPE TSTP TTIN TTOU);
# A received master: nsbox-runtime ends the relay with SIGTERM if the pty outlives the container's init.
my $stop = 0;
$SIG{TERM} = sub { $stop = 1 } if $receive;
serve_attach() if $listen;
my $winch = 0;
$SIG{WINCH} = sub { $winch = 1 };
my $saved;
if ($relay_stdin && -t STDIN) {
  # Raw mode: every key (Ctrl-C, Ctrl-Z too) goes to the box's pty, whose line discipline turns it into a signal.
  $saved = POSIX::Termios->new; $saved->getattr(0);
  my $raw = POSIX::Termios->new; $raw->getattr(0);
  $raw->setiflag($raw->getiflag & ~(POSIX::IGNBRK() | POSIX::BRKINT() | POSIX::PARMRK() | POSIX::ISTRIP() | POSIX::INLCR() | POSIX::IGNCR() | POSIX::ICRNL() | POSIX::IXON()));
  $raw->setoflag($raw->getoflag & ~POSIX::OPOST());
  $raw->setlflag($raw->getlflag & ~(POSIX::ECHO() | POSIX::ECHONL() | POSIX::ICANON() | POSIX::ISIG() | POSIX::IEXTEN()));
  $raw->setcflag(($raw->getcflag & ~(POSIX::CSIZE() | POSIX::PARENB())) | POSIX::CS8());
  $raw->setcc(POSIX::VMIN(), 1); $raw->setcc(POSIX::VTIME(), 0);
  $raw->setattr(0, POSIX::TCSANOW());
}
sub restore { $saved->setattr(0, POSIX::TCSADRAIN()) if $saved; }
my $mfd = fileno($master);
my $in_open = $relay_stdin ? 1 : 0;
my ($to_box, $last) = ('', "\n");
my ($status, $out_open, $hung_up, $killed) = (undef, 1, undef, 0);
my $HANGUP_GRACE = 5;
sub hang_up {
  return if defined $hung_up;
  # The master's last close hangs up the slave: SIGHUP (and SIGCONT) to the session's leader, EOF to its readers.
  close($master); $hung_up = time; ($out_open, $in_open, $to_box) = (0, 0, '');
}
while ($out_open || !defined $status) {
  if ($winch) { $winch = 0; copy_size(); }
  # A hung-up terminal answers every ioctl with EIO, so it is no terminal any more.
  hang_up() if $size_from && !defined $hung_up && !-t $size_from;
  if ($pid && defined $hung_up && !defined $status && !$killed && time - $hung_up >= $HANGUP_GRACE) { $killed = kill 'KILL', $pid; }
  my ($rin, $win) = ('', '');
  vec($rin, $mfd, 1) = 1 if $out_open;
  vec($rin, 0, 1) = 1 if $in_open && length($to_box) < 65536;
  vec($win, $mfd, 1) = 1 if length $to_box;
  # Once the process is gone, whatever its children still write is drained for a moment, then the relay ends.
  my $n = select(my $rout = $rin, my $wout = $win, undef, defined $status ? 0.05 : 0.5);
  if ($n > 0) {
    if (vec($rout, $mfd, 1)) {
      my $r = sysread($master, my $buf, 65536);
      if ($r) {
        my $off = 0;
        while ($off < $r) {
          my $w = syswrite(STDOUT, $buf, $r - $off, $off);
          unless ($w) { hang_up() if $size_from && $!{EIO}; last; }
          $off += $w;
        }
      }
      else { $out_open = 0; }  # EIO: every slave fd is closed
    }
    if (!defined $hung_up && vec($wout, $mfd, 1)) {
      my $w = syswrite($master, $to_box);
      substr($to_box, 0, $w, '') if $w;
    }
    if ($in_open && vec($rout, 0, 1)) {
      my $r = sysread(STDIN, my $buf, 65536);
      if ($r) { $to_box .= $buf; $last = substr($buf, -1); }
      elsif ($saved) { hang_up(); }  # a terminal in raw mode ends only when it is hung up
      else {
        # The caller's stdin ended: the pty's end-of-file character (twice after a partial line, as a terminal would).
        $in_open = 0;
        $to_box .= ($last eq "\n" ? "\x04" : "\x04\x04") unless $saved;
      }
    }
  } elsif (defined $status && $n == 0) {
    last;
  }
  if ($pid && !defined $status && waitpid($pid, POSIX::WNOHANG()) == $pid) { $status = $?; }
  # No process of its own: done once the pty is (every slave closed, or hung up: 129 says so), or when told.
  ($out_open, $status) = (0, defined $hung_up ? 129 << 8 : 0) if !$pid && (!$out_open || $stop);
}
if (!defined $status) { waitpid($pid, 0); $status = $?; }
restore();
POSIX::_exit(($status & 127) ? 128 + ($status & 127) : $status >> 8);
${ATTACH_PART}`;

/** The relay as a plan's script: --explain shows it once, the reaper runs it with `perl -e "$relay"`. */
export const RELAY_SCRIPT = { name: 'relay', why: 'The terminal relay (perl-base): a pty for the box\'s process, the only holder of your terminal.', text: RELAY_PROGRAM.replace(/^\n/, '') } as const;

/** `perl -e RELAY TITLE PTMX STDIN CTTY -- CMD...`: the relay's argv around a process of the box. */
export function relayArgv(title: string, ptmx: string, options: { stdin: boolean; ctty: boolean }, command: readonly string[]): string[] {
  return ['perl', '-e', RELAY_PROGRAM, title, ptmx, options.stdin ? '1' : '0', options.ctty ? '1' : '0', '--', ...command];
}

/** recvmsg(2)'s number per Node architecture (the structs are console-socket.ts's, LP64). */
const SYS_RECVMSG: Readonly<Record<string, number>> = { x64: 47, arm64: 212 };

/** `perl -e RELAY TITLE recv:N:SOCKET 1 0 --`: a relay for the pty whose master arrives at `socket` (fd 3: "listening"). */
export function receivingRelayArgv(title: string, socket: string, nodeArch: string = process.arch): string[] {
  const n = SYS_RECVMSG[nodeArch];
  if (n === undefined) throw new NsboxError(`cannot relay a terminal on ${nodeArch}: nsbox receives terminals only on x86_64 and aarch64`);
  return relayArgv(title, `recv:${n}:${socket}`, { stdin: true, ctty: false }, []);
}
