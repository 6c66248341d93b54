// The host tools the image store runs: mknod for overlay whiteouts, setfattr for opaque dirs, busybox --list.
// node:fs has neither mknod(2) nor setxattr(2), so these two steps shell out to coreutils and attr.

import { execFile } from 'node:child_process';
import { NsboxError } from '../errors.js';
import { findTool } from '../host/tools.js';

const PACKAGES: Readonly<Record<string, string>> = { mknod: 'coreutils', setfattr: 'attr', xz: 'xz-utils', tar: 'tar', busybox: 'busybox-static' };

/** The path of a tool, or an NsboxError naming the Debian package that ships it. */
export function requireImageTool(name: string): string {
  const path = findTool(name);
  if (path) return path;
  throw new NsboxError(`cannot find ${name} in PATH`, { hint: `install it: apt-get install ${PACKAGES[name] ?? name}` });
}

/** Runs a tool with an argv (no shell); resolves to stdout, rejects with a one-line error. */
export function runTool(name: string, args: readonly string[], what: string): Promise<string> {
  return runProgram(requireImageTool(name), args, what);
}

/** Runs the program at path with an argv (no shell); resolves to stdout, rejects with a one-line error. */
export function runProgram(path: string, args: readonly string[], what: string): Promise<string> {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return new Promise((resolvePromise, reject) => {
    execFile(path, [...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const reason = String(stderr).trim().split('\n')[0] || error.message;
        reject(new NsboxError(`cannot ${what}: ${name}: ${reason}`));
      } else {
        resolvePromise(String(stdout));
      }
    });
  });
}

/**
 * Sets xattrs on many paths with one `setfattr -h --restore=-` (getfattr's dump format on stdin, values in hex,
 * paths escaped as getfattr escapes them). -h: a symlink gets the xattr itself, its target is never touched.
 */
export async function restoreXattrs(byPath: ReadonlyMap<string, ReadonlyMap<string, Buffer>>): Promise<void> {
  if (byPath.size === 0) return;
  let dump = '';
  for (const [path, values] of byPath) {
    dump += `# file: ${escapeDumpPath(path)}\n`;
    for (const [name, value] of values) dump += `${escapeDumpPath(name)}=0x${value.toString('hex')}\n`;
    dump += '\n';
  }
  const setfattr = requireImageTool('setfattr');
  await new Promise<void>((resolvePromise, reject) => {
    const child = execFile(setfattr, ['-h', '--restore=-'], { maxBuffer: 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new NsboxError(`cannot set the image's extended attributes: setfattr: ${String(stderr).trim().split('\n')[0] || error.message}`));
      else resolvePromise();
    });
    child.stdin!.end(dump);
  });
}

/** getfattr's escaping: bytes outside printable ASCII, "\\" and "=" as \ooo octal. */
function escapeDumpPath(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) out += byte < 0x21 || byte > 0x7e || byte === 0x5c || byte === 0x3d ? `\\${byte.toString(8).padStart(3, '0')}` : String.fromCharCode(byte);
  return out;
}

/** Makes an overlayfs whiteout at path: a character device 0/0 (Documentation/filesystems/overlayfs.rst). */
export async function makeWhiteout(path: string): Promise<void> {
  await runTool('mknod', ['--mode=0000', '--', path, 'c', '0', '0'], `make whiteout ${path}`);
}

/** Makes a FIFO at path (mknod NAME p). */
export async function makeFifo(path: string, mode: number): Promise<void> {
  await runTool('mknod', [`--mode=${(mode & 0o7777).toString(8)}`, '--', path, 'p'], `make fifo ${path}`);
}

/** Marks a directory opaque for overlayfs (trusted.overlay.opaque=y; needs CAP_SYS_ADMIN). -h: never follow. */
export async function markOpaque(path: string): Promise<void> {
  await runTool('setfattr', ['-h', '-n', 'trusted.overlay.opaque', '-v', 'y', '--', path], `mark ${path} opaque`);
}
