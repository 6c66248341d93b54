// A box's processes get a session keyring of their own, as runc gives each container one. Without it they share the
// caller's: a box whose filter lets keyctl through (--security-opt seccomp=unconfined, a profile of its own; nsbox's
// default refuses it, as Docker's does) read the keys of the caller's session (a login's, a tool's tokens), and so
// could any process exec'd into it. perl (Essential on Debian; nsbox's tty relay already needs it) joins a new
// anonymous session keyring, then execs the rest of its argv.

import { NsboxError } from '../errors.js';

/** keyctl(2)'s number per Node architecture. */
const KEYCTL: Readonly<Record<string, number>> = { x64: 250, arm64: 219, ia32: 288, riscv64: 219 };
const KEYCTL_JOIN_SESSION_KEYRING = 1;

/** `perl -e ... -- ` before the rest: the rest runs in a new anonymous session keyring. */
export function newSessionKeyringArgv(arch: string = process.arch): string[] {
  const keyctl = KEYCTL[arch];
  if (keyctl === undefined) throw new NsboxError(`cannot give the box a session keyring of its own: nsbox has no keyctl number for ${arch}`);
  const script = `syscall(${keyctl}, ${KEYCTL_JOIN_SESSION_KEYRING}, 0) >= 0 or die "nsbox: cannot join a new session keyring: $!\\n"; exec { $ARGV[0] } @ARGV; die "nsbox: cannot run $ARGV[0]: $!\\n"`;
  return ['perl', '-e', script, '--'];
}
