// /dev's nodes and standard links made by one host perl in the init (perl-base is Essential, and the init runs it
// for the links anyway): mknod(1) is one process per node, six for the nodes every container gets. perl has no
// mknod of its own, so it calls mknodat(2) through its built-in `syscall`, whose number is the host's: chosen here
// at plan time from node's architecture. On an architecture not in the table, mknod(1) makes each node. Pure.

import { quoteWord } from '../plan/quote.js';
import type { OciDevice } from '../oci/container.js';

/** mknodat's syscall number per node architecture (the kernel's unistd tables). */
const MKNODAT: Readonly<Record<string, number>> = { x64: 259, ia32: 297, arm64: 33, arm: 324, riscv64: 33, loong64: 33, ppc64: 288, s390x: 290 };

/** S_IFCHR, S_IFBLK, S_IFIFO. */
const FILE_TYPE: Readonly<Record<OciDevice['type'], number>> = { c: 0o020000, b: 0o060000, p: 0o010000 };

/** glibc's makedev(3): the dev_t the kernel expects (12 bits of major low, the rest above bit 44). */
export function makedev(major: number, minor: number): bigint {
  return (BigInt(major & 0xfff) << 8n) | (BigInt(major >>> 12) << 44n) | BigInt(minor & 0xff) | (BigInt(minor >>> 8) << 20n);
}

/** A node to make: its path as an init-script word ("$R/dev/null", resolved inside the root). */
export interface PlacedDevice {
  readonly device: OciDevice;
  readonly word: string;
}

/**
 * The perl program: @ARGV is the directory count, then each directory (made 0755, as `mkdir -m 755`: it must not
 * exist), then the node count, PATH MODE DEV UID GID per node, then TARGET LINK pairs. A node replaces what is at its
 * path (as rm -f then mknod did); a link is made only where nothing is (not even a dangling link). umask 0: MODE is
 * the node's mode exactly, as `mknod -m` gives it.
 */
export function nodesAndLinksPerl(mknodat: number): string {
  return [
    'umask 0;',
    'for (1 .. shift @ARGV) { my $dir = shift @ARGV; mkdir $dir, 0755 or die "mkdir $dir: $!\\n" }',
    'for (1 .. shift @ARGV) { my ($path, $mode, $dev, $uid, $gid) = splice @ARGV, 0, 5;',
    ' unlink $path if -e $path or -l $path;',
    ` syscall(${mknodat}, -100, $path, $mode + 0, $dev + 0) == 0 or die "mknod $path: $!\\n";`,
    ' $uid == 0 and $gid == 0 or chown $uid, $gid, $path or die "chown $path: $!\\n" }',
    'while (my ($target, $link) = splice @ARGV, 0, 2) { -e $link or -l $link or symlink $target, $link or die "ln -s $target $link: $!\\n" }',
  ].join('\n');
}

/** The mknodat number on this architecture; undefined where the table has none. */
export function mknodatNumber(arch: string = process.arch): number | undefined {
  return MKNODAT[arch];
}

/** One `step perl` line for the directories (words), the nodes and the links (TARGET, LINK-word pairs). */
export function nodesAndLinksLine(mknodat: number, nodes: readonly PlacedDevice[], links: readonly (readonly [string, string])[], dirs: readonly string[] = []): string {
  const nodeWords = nodes.flatMap(({ device: d, word }) => [word, String(FILE_TYPE[d.type] | d.fileMode), String(d.type === 'p' ? 0n : makedev(d.major, d.minor)), String(d.uid), String(d.gid)]);
  return `step perl -e ${quoteWord(nodesAndLinksPerl(mknodat))} ${[String(dirs.length), ...dirs, String(nodes.length), ...nodeWords].join(' ')} ${links.map(([target, link]) => `${quoteWord(target)} ${link}`).join(' ')}`.trimEnd();
}
