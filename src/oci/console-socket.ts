// --console-socket: small perl-base programs (Essential on Debian; no compiled helper) that allocate a pty in a
// container's own devpts instance and hand its master to the caller (conmon, the containerd shim) over a unix
// socket. Node cannot pass an fd over a socket through its public API; perl's builtin syscall() can sendmsg.
//
// The protocol conmon and the shim accept (what runc sends): connect to the SOCK_STREAM socket, ONE sendmsg whose
// payload is the name NUL-terminated and whose control data is ONE SCM_RIGHTS message with exactly one fd. conmon
// refuses a cmsg_len other than CMSG_LEN(sizeof(int)) = 20. Then close: the caller now holds the only master.
//
// Struct layouts (LP64, identical on x86_64 and aarch64): msghdr {void *name; socklen_t namelen (+4 pad);
// iovec *iov; size_t iovlen; void *control; size_t controllen; int flags (+4 pad)} = 56 bytes; iovec {void *base;
// size_t len}; cmsghdr {size_t len; int level; int type} = 16 bytes, then the int fd and 4 bytes of padding:
// CMSG_LEN(4) = 20, CMSG_SPACE(4) = 24. SOL_SOCKET and SCM_RIGHTS are 1; the pty ioctls are asm-generic's.

import { NsboxError } from '../errors.js';
import { OPEN_IN_ROOT_PERL } from '../tty/open-in-root.js';

/** sendmsg(2)'s number per Node architecture: the only thing that differs between the two. */
const SYS_SENDMSG: Readonly<Record<string, number>> = { x64: 46, arm64: 211 };

/** The name runc sends with the master (its os.File name); conmon and the shim only keep it as a label. */
export const CONSOLE_NAME = '/dev/ptmx';

const COMMON = String.raw`
use strict; use Fcntl (); use Socket (); use File::Basename ();
my ($TIOCSPTLCK, $TIOCGPTN, $TIOCSWINSZ) = (0x40045431, 0x80045430, 0x5414);
${OPEN_IN_ROOT_PERL}
# A new pty on PTMX (a devpts instance's ptmx): unlocked, sized when ROWS > 0. Returns (master, slave number).
sub open_pty {
  my ($ptmx, $rows, $cols) = @_;
  my $master = open_in_root($ptmx, Fcntl::O_RDWR() | Fcntl::O_NOCTTY()) or die "nsbox-console: cannot open $ptmx: $!\n";
  my $unlock = pack('i', 0);
  ioctl($master, $TIOCSPTLCK, $unlock) or die "nsbox-console: cannot unlock the pty of $ptmx: $!\n";
  my $n = pack('I', 0);
  ioctl($master, $TIOCGPTN, $n) or die "nsbox-console: cannot get the pty number from $ptmx: $!\n";
  my $size = pack('S4', $rows, $cols, 0, 0);
  ioctl($master, $TIOCSWINSZ, $size) or die "nsbox-console: cannot set the pty size: $!\n" if $rows > 0;
  return ($master, unpack('I', $n));
}
# One sendmsg on a new connection to SOCKET: payload NAME\0, one SCM_RIGHTS message with FD.
sub send_fd {
  my ($socket, $fd, $name, $sys_sendmsg) = @_;
  my $s;
  # fd:N: a connection already made by the host side (a user namespace's root may not reach the socket's path).
  if ($socket =~ /^fd:(\d+)$/) { open($s, '+<&=', $1) or die "nsbox-console: no console socket connection on fd $1: $!\n"; }
  else {
  socket($s, Socket::AF_UNIX(), Socket::SOCK_STREAM(), 0) or die "nsbox-console: cannot make a unix socket: $!\n";
  my $address = $socket;
  # sun_path holds 107 bytes: reach a longer path from its directory.
  if (length($socket) > 107) { chdir(File::Basename::dirname($socket)) or die "nsbox-console: cannot reach $socket: $!\n"; $address = File::Basename::basename($socket); }
  connect($s, Socket::pack_sockaddr_un($address)) or die "nsbox-console: cannot connect to the console socket $socket: $!\n";
  }
  my $payload = "$name\0";
  my $iov = pack('P Q', $payload, length $payload);
  my $cmsg = pack('Q l l l x4', 20, 1, 1, $fd);
  my $msg = pack('Q L x4 P Q P Q l x4', 0, 0, $iov, 1, $cmsg, length $cmsg, 0);
  my $sent = syscall($sys_sendmsg, fileno($s), $msg, 0);
  die "nsbox-console: cannot send the terminal to $socket: $!\n" if $sent < 0;
  die "nsbox-console: the console socket $socket took $sent of " . length($payload) . " bytes\n" if $sent != length $payload;
  close($s);
}
`;

/**
 * argv after `perl -e PROGRAM`: PTMX SOCKET NAME SYS_SENDMSG ROWS COLS. Allocates a pty on PTMX (e.g.
 * /proc/<init>/root/dev/pts/ptmx), sends its master to SOCKET and prints the slave's number ("3\n"): the container's
 * process then opens /dev/pts/3 (in its own devpts) as its terminal. Exits non-zero with one line on stderr.
 */
export const CONSOLE_SOCKET_PROGRAM = `${COMMON}
my ($ptmx, $socket, $name, $sys_sendmsg, $rows, $cols, $uid, $gid) = @ARGV;
die "nsbox-console: usage: PTMX SOCKET NAME SYS_SENDMSG ROWS COLS [UID GID]\\n" unless defined $cols;
my ($master, $n) = open_pty($ptmx, $rows, $cols);
if (defined $gid) {
  # A user namespace's process cannot open a slave the host's root owns: chown it through its own fd (TIOCGPTPEER),
  # never through a path the container could have redirected.
  my $peer = ioctl($master, 0x5441, Fcntl::O_RDWR() | Fcntl::O_NOCTTY()) or die "nsbox-console: cannot open the pty's slave: $!\\n";
  open(my $slave, '+<&=', int($peer)) or die "nsbox-console: cannot open the pty's slave: $!\\n";
  chown($uid, $gid, $slave) or die "nsbox-console: cannot chown the pty's slave to $uid:$gid: $!\\n";
  close($slave);
}
send_fd($socket, fileno($master), $name, $sys_sendmsg);
print "$n\\n";
`;

/**
 * argv after `perl -e PROGRAM`: PTMX ROWS COLS FD -- CMD...: allocates a pty on PTMX, prints the slave's number on
 * stdout, and runs CMD with the master open on FD (for a relay in the foreground, or SEND_FD_PROGRAM).
 */
export const ALLOCATE_PTY_PROGRAM = `${COMMON}
my ($ptmx, $rows, $cols, $fd, $dash, @cmd) = @ARGV;
die "nsbox-console: usage: PTMX ROWS COLS FD -- CMD...\\n" unless defined $dash && $dash eq '--' && @cmd && $fd =~ /^\\d+$/ && $fd > 2;
my ($master, $n) = open_pty($ptmx, $rows, $cols);
$| = 1; print "$n\\n";
my $mfd = fileno($master);
if ($mfd != $fd) {
  # dup2's copy has no close-on-exec flag; perl set it on the original (every fd above $^F = 2).
  require POSIX;
  defined POSIX::dup2($mfd, $fd) or die "nsbox-console: cannot move the master to fd $fd: $!\\n";
  POSIX::close($mfd);
} else {
  fcntl($master, Fcntl::F_SETFD(), 0) or die "nsbox-console: cannot keep the master open: $!\\n";
}
exec { $cmd[0] } @cmd;
die "nsbox-console: cannot run $cmd[0]: $!\\n";
`;

/** argv after `perl -e PROGRAM`: SOCKET FD NAME SYS_SENDMSG: sends the inherited fd FD to SOCKET. */
export const SEND_FD_PROGRAM = `${COMMON}
my ($socket, $fd, $name, $sys_sendmsg) = @ARGV;
die "nsbox-console: usage: SOCKET FD NAME SYS_SENDMSG\\n" unless defined $sys_sendmsg && $fd =~ /^\\d+$/;
open(my $check, '+<&=', $fd) or die "nsbox-console: fd $fd is not open: $!\\n";
send_fd($socket, $fd, $name, $sys_sendmsg);
`;

export interface ConsoleSize {
  readonly rows: number;
  readonly columns: number;
}

/** sendmsg's syscall number here; other architectures get a one-line error (their layout is not checked). */
export function sendmsgNumber(nodeArch: string = process.arch): number {
  const n = SYS_SENDMSG[nodeArch];
  if (n === undefined) throw new NsboxError(`cannot use --console-socket on ${nodeArch}: nsbox sends terminals only on x86_64 and aarch64`);
  return n;
}

/** `perl -e CONSOLE_SOCKET_PROGRAM ...`: a pty from `ptmx`, its master to `socket`; stdout is the slave's number. */
export function consoleSocketArgv(ptmx: string, socket: string, size?: ConsoleSize, nodeArch: string = process.arch, owner?: { readonly uid: number; readonly gid: number }): string[] {
  return ['perl', '-e', CONSOLE_SOCKET_PROGRAM, ptmx, socket, CONSOLE_NAME, String(sendmsgNumber(nodeArch)), String(size?.rows ?? 0), String(size?.columns ?? 0), ...(owner ? [String(owner.uid), String(owner.gid)] : [])];
}

/** `perl -e ALLOCATE_PTY_PROGRAM ...`: a pty from `ptmx`, CMD run with the master on `fd` (3 or more). */
export function allocatePtyArgv(ptmx: string, fd: number, command: readonly string[], size?: ConsoleSize): string[] {
  if (!Number.isInteger(fd) || fd < 3) throw new NsboxError(`cannot pass a pty master on fd ${fd}: it must be 3 or more`);
  return ['perl', '-e', ALLOCATE_PTY_PROGRAM, ptmx, String(size?.rows ?? 0), String(size?.columns ?? 0), String(fd), '--', ...command];
}

/** `perl -e SEND_FD_PROGRAM ...`: the inherited `fd` to `socket` as one message. */
export function sendFdArgv(socket: string, fd: number, name: string = CONSOLE_NAME, nodeArch: string = process.arch): string[] {
  return ['perl', '-e', SEND_FD_PROGRAM, socket, String(fd), name, String(sendmsgNumber(nodeArch))];
}

/** The pty number these programs print ("3\n" -> 3); anything else is an error naming the output. */
export function parsePtyNumber(stdout: string): number {
  const m = /^(\d+)\n?$/.exec(stdout);
  if (!m) throw new NsboxError(`cannot read the pty number from ${JSON.stringify(stdout.slice(0, 80))}`);
  return Number(m[1]);
}

/** The path of the pty's slave from inside the container (its own devpts at /dev/pts). */
export function slavePath(ptyNumber: number): string {
  return `/dev/pts/${ptyNumber}`;
}

/**
 * argv prefix that connects to `socket` (as the host's root, before a user namespace) and runs the rest with the
 * connection on fd `fd`: the container's init then sends the pty's master over it (consoleSocketArgv with "fd:N").
 */
export function connectConsoleArgv(socket: string, fd: number): string[] {
  const program = String.raw`use strict; use Socket (); use File::Basename (); require POSIX;
my ($socket, $fd, @cmd) = @ARGV;
socket(my $s, Socket::AF_UNIX(), Socket::SOCK_STREAM(), 0) or die "nsbox-console: cannot make a unix socket: $!
";
my $address = $socket;
if (length($socket) > 107) { chdir(File::Basename::dirname($socket)) or die "nsbox-console: cannot reach $socket: $!
"; $address = File::Basename::basename($socket); }
connect($s, Socket::pack_sockaddr_un($address)) or die "nsbox-console: cannot connect to the console socket $socket: $!
";
defined POSIX::dup2(fileno($s), $fd) or die "nsbox-console: cannot move the connection to fd $fd: $!
";
exec { $cmd[0] } @cmd; die "nsbox-console: cannot run $cmd[0]: $!
";`;
  return ['perl', '-e', program, socket, String(fd)];
}
