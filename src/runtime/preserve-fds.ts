// --preserve-fds N (runc's flag; podman run/exec --preserve-fds, socket activation): nsbox-runtime's own fds 3 ..
// 3+N-1 become the container process's fds 3 .. 3+N-1, the same open files. The launch and the init use fds 3-8
// themselves (the messages pipe, the gate, the console socket), and sh (dash) names only fds 0-9, so the preserved
// fds travel at fds AT .. AT+N-1 (10 and up: out of every script's way) and are moved to 3.. right after setpriv's
// drop (like the seccomp loader, nothing of it runs privileged): the toolbox's perl (perl-base is Essential on
// Debian), which dups each onto its number, closes the carried copy and execs the rest. Nothing else reaches the process: the runtime's other inherited fds are closed
// before the launch (src/exec/close-fds.ts), and its copies of the preserved ones right after it.

import { existsSync } from 'node:fs';
import { NsboxError } from '../errors.js';
import { toolboxArgv, type Toolbox } from '../rootfs/toolbox.js';
import type { PassedFdsAt } from '../exec/passed-fds.js';

/** Where the preserved fds travel: the runtime's fd 3+i is the launch's fd at+i. */
export type PassedFds = PassedFdsAt;

/** --preserve-fds's value: a count (runc: a non-negative integer); undefined and 0 preserve nothing. */
export function parsePreserveFds(value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^\d+$/.test(value) || Number(value) > 65536) throw new NsboxError(`invalid --preserve-fds ${JSON.stringify(value)}: a number of fds (0 or more)`);
  return Number(value);
}

/**
 * systemd socket activation of nsbox-runtime itself (runc's rule): LISTEN_FDS=L with LISTEN_PID naming this process
 * passes fds 3 .. 2+L before the --preserve-fds ones, and the process gets LISTEN_FDS=L LISTEN_PID=1. Another
 * process's variables (LISTEN_PID not ours) pass nothing, as sd_listen_fds(3) says.
 */
export function listenFdsOf(env: NodeJS.ProcessEnv, pid: number = process.pid): number {
  const count = env.LISTEN_FDS;
  return count !== undefined && /^\d+$/.test(count) && env.LISTEN_PID === String(pid) ? Number(count) : 0;
}

/**
 * `exec`'s shells keep to fds 8 and 9, so up to this many preserved fds go straight to their numbers 3.. and nothing
 * has to move them (no perl in the toolbox needed).
 */
export const EXEC_DIRECT_FDS = 5;

/** `exec`: N preserved fds at 3.. when N <= EXEC_DIRECT_FDS (at 3: nothing moves), else as passedFds. */
export function execPassedFds(count: number): PassedFds | undefined {
  return count > 0 && count <= EXEC_DIRECT_FDS ? { count, at: 3 } : passedFds(count);
}

/** Where N preserved fds travel: from 10 (above what sh can name), and never overlapping their targets 3 .. 2+N. */
export function passedFds(count: number): PassedFds | undefined {
  return count > 0 ? { count, at: Math.max(10, 3 + count) } : undefined;
}

/**
 * Each of the runtime's fds 3 .. 2+N must be the caller's (runc: "unable to stat preserved-fd"). A number the caller
 * left closed holds one of node's own fds by now (its epoll, its pipes: close-on-exec like every fd node has, the
 * inherited ones too), so "open" is not enough: bin/nsbox-runtime lists the caller's open fds 3-9 before node starts
 * (NSBOX_CALLER_FDS); above 9, and without the shim, an open fd is taken as the caller's.
 */
export function checkPreservedFds(count: number, callerFds: string | undefined = process.env.NSBOX_CALLER_FDS): void {
  const listed = callerFds?.split(' ').filter(Boolean);
  for (let fd = 3; fd < 3 + count; fd++) {
    const open = listed !== undefined && fd <= 9 ? listed.includes(String(fd)) : existsSync(`/proc/self/fd/${fd}`);
    if (!open) throw new NsboxError(`cannot honour --preserve-fds ${count}: fd ${fd} is not open`);
  }
}

/** The toolbox has perl (the mover): kept there for boxes that preserve fds, or that load seccomp with it. */
export function toolboxHasPerl(toolbox: Toolbox): boolean {
  return toolbox.files.some((f) => f.name === 'perl');
}

/**
 * The words after setpriv that move fds at .. at+N-1 to 3 .. 2+N. Each target must be free (the init and the exec
 * shell have closed their own fds by then): a taken one is a set-up failure (exit 125), never a silent extra fd.
 * -f: no sitecustomize.pl from the container's files (perls built with it look there at start).
 */
export function moveFdsArgv(toolbox: Toolbox, fds: PassedFds): string[] {
  return [...toolboxArgv(toolbox, 'perl'), '-f', '-e', MOVE_FDS_PROGRAM, String(fds.at), String(fds.count), '--'];
}

/** perl without modules: fcntl's F_DUPFD (0) gives the lowest free fd from the target, which must be the target. */
export const MOVE_FDS_PROGRAM = [
  'sub fail { print STDERR "nsbox: cannot pass the preserved fds: $_[0]\\n"; exit 125 }',
  'my ($at, $n) = splice @ARGV, 0, 2; shift @ARGV if @ARGV && $ARGV[0] eq "--";',
  'for my $i (0 .. $n - 1) { my ($from, $to) = ($at + $i, 3 + $i);',
  'open(my $h, "<&=", $from) or fail("fd $from: $!"); my $got = fcntl($h, 0, $to);',
  'defined $got && $got == $to or fail("fd $to is taken"); close $h }',
  'exec { $ARGV[0] } @ARGV;',
  'print STDERR "nsbox: cannot run $ARGV[0]: $!\\n"; exit($! == 2 ? 127 : 126);',
].join(' ');
