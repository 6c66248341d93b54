// A perl-base function the pty helpers share (console-socket.ts, relay-program.ts): open a path inside a running
// box's root, reached from the host through /proc/PID/root, without following the box's links out of it.

/**
 * Perl: open_in_root(PATH, FLAGS) opens a path below /proc/PID/root (a running container's root, seen from the
 * host) without following a link the container made: there an absolute link resolves against the HOST's root (a
 * /dev/pts -> /dev/watchdog would open the host's). Each directory is entered and checked to be the one lstat saw
 * (a link swapped in between is caught), the last name opened O_NOFOLLOW; cwd is / again afterwards. Any other
 * path is opened as it is.
 */
export const OPEN_IN_ROOT_PERL = String.raw`
sub open_in_root {
  my ($path, $flags) = @_;
  require Fcntl;
  my $h;
  if ($path !~ m{^(/proc/\d+/root)/(.+)$}) { sysopen($h, $path, $flags) or return undef; return $h; }
  my ($top, @parts) = ($1, split(m{/+}, $2));
  my $last = pop @parts;
  my $ok = chdir($top);
  for my $p (@parts) {
    last unless $ok;
    my @l = lstat($p);
    if (!@l || -l _ || !-d _ || $p eq '..') { $! = 40 if @l; $ok = 0; last; }  # 40: ELOOP
    my @s = (chdir($p) && stat('.'));
    $ok = @s && $s[0] == $l[0] && $s[1] == $l[1];
    $! = 40 if @s && !$ok;
  }
  $ok = sysopen($h, $last, $flags | Fcntl::O_NOFOLLOW()) if $ok;
  my $errno = $! + 0;
  chdir('/');
  $! = $errno;
  return $ok ? $h : undef;
}
`;
