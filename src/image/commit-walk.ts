// Reads a container's upper dir (and its init layer) from disk into the entries commit-entries.ts converts.
// node:fs cannot read xattrs: one `getfattr -R -e hex` (package attr) dumps every xattr of the whole tree: the
// overlay ones say what the upper dir means, the others (file capabilities, user.*) go into the layer.

import { lstat, readdir, readlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { requireTool } from '../host/tools.js';
import { runProgram } from './host-tools.js';
import type { InitMark, UpperEntry, UpperKind } from './commit-entries.js';
import { isKeptXattr } from './pax-xattrs.js';

/** Every xattr name (getfattr -m): overlay's are interpreted, the kept ones (isKeptXattr) carried into the layer. */
const XATTR_PATTERN = '-';

/** Every entry below dir (not dir itself), parents before children, names sorted (the same tree, the same tar). */
export async function walkUpperDir(dir: string): Promise<readonly UpperEntry[]> {
  const xattrs = parseGetfattr(await runProgram(requireTool('getfattr'), ['-R', '-h', '--absolute-names', '-d', '-e', 'hex', '-m', XATTR_PATTERN, '--', dir], `read the extended attributes of ${dir}`), dir);
  for (const [path, attrs] of xattrs) {
    const feature = ['redirect', 'metacopy'].find((n) => attrs.has(`trusted.overlay.${n}`));
    if (feature) {
      throw new NsboxError(`cannot commit: /${path} in the upper layer uses overlayfs ${feature === 'redirect' ? 'redirect_dir' : 'metacopy'}, which a layer tar cannot express`, {
        hint: 'mount overlayfs without redirect_dir/metacopy (the kernel defaults) and run the box again',
      });
    }
  }
  const out: UpperEntry[] = [];
  const visit = async (rel: string): Promise<void> => {
    const names = (await readdir(rel === '' ? dir : join(dir, rel))).sort();
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const info = await lstat(join(dir, path));
      const kind = kindOf(info);
      out.push({
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
        ...(kind === 'symlink' ? { linkTarget: await readlink(join(dir, path)) } : {}),
        opaque: kind === 'directory' && decodeValue(xattrs.get(path)?.get('trusted.overlay.opaque')).toString() === 'y',
        ...keptOf(xattrs.get(path)),
      });
      if (kind === 'directory') await visit(path);
    }
  };
  await visit('');
  return out;
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
