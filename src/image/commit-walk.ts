// Reads a container's upper dir (and its init layer) from disk into the entries commit-entries.ts converts.
// node:fs cannot read xattrs: `getfattr -h -e hex` (package attr) on the entries found dumps their xattrs: the
// overlay ones say what the upper dir means, the others (file capabilities, user.*) go into the layer.
//
// The upper dir of a running box (diff) changes while it is read, and a box process can swap a directory for a link
// to a host directory between a check and a use (renameat2 RENAME_EXCHANGE in a loop): read by path, the host's
// directory was listed as the box's (diff printed its names) and getfattr -R walked the host's tree. Each directory
// is therefore opened without following a link at its name and read through its fd (/proc/self/fd/N/NAME), never by
// its path again; an entry that is gone (or swapped) meanwhile is skipped, as Docker's diff skips it.

import { closeSync, constants, lstatSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { requireTool } from '../host/tools.js';
import type { InitMark, UpperEntry, UpperKind } from './commit-entries.js';
import { isKeptXattr } from './pax-xattrs.js';

/** Every xattr name (getfattr -m): overlay's are interpreted, the kept ones (isKeptXattr) carried into the layer. */
const XATTR_PATTERN = '-';

/** A directory, never through a link at its own name. */
const OPEN_DIRECTORY = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** What a path that changed under the walk gives: gone, or no longer a directory (a link swapped in). */
const CHANGED = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'EINVAL']);

function changedMeanwhile(error: unknown): boolean {
  return CHANGED.has((error as NodeJS.ErrnoException).code ?? '');
}

/**
 * lstat, and readlink for a link. A name swapped between the two (a link when lstat looked, a directory when readlink
 * did: renameat2 RENAME_EXCHANGE leaves the name there all along) is looked at again, so the entry is still listed, as
 * what it is now; a name gone is undefined.
 */
function statEntry(path: string): { info: Stats; linkTarget?: string } | undefined {
  for (let attempt = 0; ; attempt++) {
    try {
      const info = lstatSync(path);
      return info.isSymbolicLink() ? { info, linkTarget: readlinkSync(path) } : { info };
    } catch (error) {
      if (!changedMeanwhile(error)) throw error;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || attempt >= 8) return undefined;
    }
  }
}

/** Every entry below dir (not dir itself), parents before children, names sorted (the same tree, the same tar). */
export async function walkUpperDir(dir: string): Promise<readonly UpperEntry[]> {
  const found: Omit<UpperEntry, 'opaque' | 'xattrs'>[] = [];
  const visit = (fd: number, rel: string): void => {
    const at = `/proc/self/fd/${fd}`;
    for (const name of readdirSync(at, { encoding: 'buffer' }).map(utf8Name).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const seen = statEntry(`${at}/${name}`);
      if (seen === undefined) continue;
      const { info, linkTarget } = seen;
      const kind = kindOf(info);
      found.push({
        path,
        kind,
        mode: info.mode & 0o7777,
        uid: info.uid,
        gid: info.gid,
        mtime: info.mtime,
        size: kind === 'file' ? info.size : 0,
        rdevMajor: Math.floor(info.rdev / 256) & 0xfff,
        rdevMinor: (info.rdev & 0xff) | ((info.rdev >> 12) & 0xfff00),
        ino: info.ino,
        nlink: info.nlink,
        ...(linkTarget !== undefined ? { linkTarget } : {}),
      });
      if (kind !== 'directory') continue;
      let child: number;
      try {
        child = openSync(`${at}/${name}`, OPEN_DIRECTORY);
      } catch (error) {
        if (changedMeanwhile(error)) continue;
        throw error;
      }
      try {
        visit(child, path);
      } finally {
        closeSync(child);
      }
    }
  };
  const top = openSync(dir, OPEN_DIRECTORY);
  try {
    visit(top, '');
  } finally {
    closeSync(top);
  }
  const xattrs = parseGetfattr(await dumpXattrs(dir, found.map((e) => e.path)), dir);
  for (const [path, attrs] of xattrs) {
    const feature = ['redirect', 'metacopy'].find((n) => attrs.has(`trusted.overlay.${n}`));
    if (feature) {
      throw new NsboxError(`cannot commit: /${path} in the upper layer uses overlayfs ${feature === 'redirect' ? 'redirect_dir' : 'metacopy'}, which a layer tar cannot express`, {
        hint: 'mount overlayfs without redirect_dir/metacopy (the kernel defaults) and run the box again',
      });
    }
  }
  return found.map((e) => ({
    ...e,
    opaque: e.kind === 'directory' && decodeValue(xattrs.get(e.path)?.get('trusted.overlay.opaque')).toString() === 'y',
    ...keptOf(xattrs.get(e.path)),
  }));
}

/** A name as node reads it (UTF-8); one that is not would be looked up as another name (and skipped as gone). */
function utf8Name(raw: Buffer): string {
  const name = raw.toString('utf8');
  if (!Buffer.from(name, 'utf8').equals(raw)) throw new NsboxError(`cannot read ${JSON.stringify(raw.toString('latin1'))} in the upper layer: its name is not valid UTF-8`);
  return name;
}

/** Arguments per getfattr run: well below ARG_MAX with the environment. */
const ARGV_BYTES = 96 * 1024;

/**
 * The xattrs of the entries (relative to dir) as getfattr's dump: the paths given, never a walk of its own (-R
 * would list whatever a swapped link led to). An entry gone (or swapped: an xattr listed then not there) meanwhile is no error.
 */
async function dumpXattrs(dir: string, paths: readonly string[]): Promise<string> {
  const getfattr = requireTool('getfattr');
  let out = '';
  for (let i = 0; i < paths.length;) {
    const batch: string[] = [];
    for (let bytes = 0; i < paths.length && (batch.length === 0 || bytes < ARGV_BYTES); i++) {
      const path = join(dir, paths[i]!);
      batch.push(path);
      bytes += Buffer.byteLength(path) + 1;
    }
    out += await runGetfattr(getfattr, ['-h', '--absolute-names', '-d', '-e', 'hex', '-m', XATTR_PATTERN, '--', ...batch], dir);
  }
  return out;
}

function runGetfattr(getfattr: string, args: readonly string[], dir: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(getfattr, [...args], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const complaints = String(stderr).split('\n').filter((line) => line !== '' && !/: (No such file or directory|No such attribute)$/.test(line));
      if (error && (complaints.length > 0 || (error as { code?: unknown }).code !== 1)) {
        reject(new NsboxError(`cannot read the extended attributes of ${dir}: getfattr: ${complaints[0] ?? error.message}`));
      } else {
        resolvePromise(String(stdout));
      }
    });
  });
}

/** A value as getfattr -e hex prints it (0x...), or quoted text from an older dump, as bytes. */
export function decodeValue(value: string | undefined): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  if (/^0x([0-9a-f]{2})*$/i.test(value)) return Buffer.from(value.slice(2), 'hex');
  if (/^0s/.test(value)) return Buffer.from(value.slice(2), 'base64');
  return Buffer.from(value, 'latin1');
}

function keptOf(attrs: ReadonlyMap<string, string> | undefined): { xattrs?: ReadonlyMap<string, Buffer> } {
  if (!attrs) return {};
  const kept = new Map([...attrs].filter(([name]) => isKeptXattr(name)).map(([name, value]) => [name, decodeValue(value)] as const));
  return kept.size > 0 ? { xattrs: kept } : {};
}

/** The init layer's entries (what the runtime made for its mount points), by relative path. */
export async function readInitMarks(dir: string): Promise<ReadonlyMap<string, InitMark>> {
  const marks = new Map<string, InitMark>();
  const visit = async (rel: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(rel === '' ? dir : join(dir, rel));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const info = await lstat(join(dir, path));
      if (!info.isDirectory() && !info.isFile()) continue;
      marks.set(path, { kind: info.isDirectory() ? 'directory' : 'file', mode: info.mode & 0o7777, uid: info.uid, gid: info.gid });
      if (info.isDirectory()) await visit(path);
    }
  };
  await visit('');
  return marks;
}

/**
 * Parses `getfattr -d --absolute-names` output for the tree under root: relative path -> (xattr -> value).
 * getfattr writes "# file: PATH" (bytes outside printable ASCII and "\" as \ooo octal), then name="value" lines.
 */
export function parseGetfattr(text: string, root: string): ReadonlyMap<string, ReadonlyMap<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  const prefix = `${root.replace(/\/+$/, '')}/`;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      const path = unescapeOctal(line.slice(8));
      const rel = path === prefix.slice(0, -1) ? '' : path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
      current = rel === undefined ? undefined : new Map();
      if (current && rel !== undefined) out.set(rel, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq <= 0) continue;
    const value = line.slice(eq + 1);
    current.set(line.slice(0, eq), value.startsWith('"') && value.endsWith('"') ? unescapeOctal(value.slice(1, -1)) : value);
  }
  return out;
}

/** getfattr's escaping: \ooo is one byte (the path's bytes are decoded as UTF-8 afterwards). */
export function unescapeOctal(text: string): string {
  if (!text.includes('\\')) return text;
  const bytes: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x5c && i + 3 < raw.length && /^[0-7]{3}$/.test(raw.subarray(i + 1, i + 4).toString('latin1'))) {
      bytes.push(parseInt(raw.subarray(i + 1, i + 4).toString('latin1'), 8));
      i += 3;
    } else bytes.push(raw[i]!);
  }
  return Buffer.from(bytes).toString('utf8');
}

function kindOf(info: Stats): UpperKind {
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'directory';
  if (info.isSymbolicLink()) return 'symlink';
  if (info.isCharacterDevice()) return 'char-device';
  if (info.isBlockDevice()) return 'block-device';
  if (info.isFIFO()) return 'fifo';
  return 'socket';
}
