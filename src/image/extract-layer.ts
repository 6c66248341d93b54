// Extracts one uncompressed tar stream into an empty directory, confined to it, and hashes the tar on the way.
//
// Parsing is tar-stream's (mafintosh/tar-stream): a small, widely used streaming parser that only decodes
// headers (ustar, pax, GNU long names) and hands over each member's data; it never touches the disk. The part
// that matters for safety, where and how each member is written, is ours: node-tar would do the writing with
// its own rules (it follows existing symlinked dirs in some modes and knows nothing of overlay whiteouts).
// Rules: names are validated (no absolute path, no ".."); parents are walked with lstat and must be real
// directories; files are created O_EXCL|O_NOFOLLOW; hardlink targets must be inside the layer, reached
// without symlinks; symlinks are created as data and never followed; device nodes other than a 0/0 whiteout
// are dropped; overlay xattrs in pax headers fail the import. Other xattrs (file capabilities, user.*) are read
// byte for byte from the pax headers (pax-xattrs.ts) and set last, once every member is in place, on paths walked
// again with lstat (a later member may have replaced a parent with a symlink), never following a final symlink.

import { createHash } from 'node:crypto';
import { chmod, chown, lchown, link, lutimes, mkdir, symlink, utimes } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { join } from 'node:path';
import * as tarStream from 'tar-stream';
import { NsboxError } from '../errors.js';
import {
  classifyWhiteout, findOverlayXattr, hostileMember, RUNTIME_PATHS, splitMemberPath,
} from './member-path.js';
import { createFileNoFollow, ensureDirectories, lstatOrUndefined, removeEntry, resolveExisting } from './safe-fs.js';
import { makeFifo, makeWhiteout, markOpaque, restoreXattrs } from './host-tools.js';
import { isKeptXattr, PaxXattrWalker, type Xattrs } from './pax-xattrs.js';

export interface ExtractOptions {
  /** Turn `.wh.` members into overlayfs whiteouts and opaque dirs (image layers); false for outer archives. */
  readonly whiteouts: boolean;
  /** Called with each chunk's size, for progress. */
  readonly onBytes?: (bytes: number) => void;
  /** Names the archive in error messages. */
  readonly label: string;
}

export interface LayerSummary {
  /** sha256 of the uncompressed tar: "sha256:<hex>". */
  readonly digest: string;
  readonly size: number;
  readonly entries: number;
  /** Device nodes skipped (the runtime makes its own /dev). */
  readonly dropped: readonly string[];
  /** Symlinks at paths the runtime mounts or writes (see RUNTIME_PATHS): kept as data, flagged. */
  readonly flagged: readonly { readonly path: string; readonly target: string }[];
}

interface Pending {
  readonly parts: readonly string[];
  readonly mode: number;
  readonly mtime: Date | undefined;
}

/** A tar header as tar-stream decodes it (pax: the extended header's key/values). */
type Member = Omit<tarStream.Header, 'pax'> & { readonly pax?: Record<string, string> | null };

const asRoot = process.getuid?.() === 0;

/** Extracts tar bytes from input into dest (an existing empty directory); returns what it found. */
export async function extractLayer(input: Readable, dest: string, options: ExtractOptions): Promise<LayerSummary> {
  const hash = createHash('sha256');
  let size = 0;
  let lastEnd = 0;
  let entries = 0;
  const dropped: string[] = [];
  const flagged: { path: string; target: string }[] = [];
  const dirs: Pending[] = [];
  const walker = options.whiteouts ? new PaxXattrWalker() : undefined;
  const xattrs: { parts: readonly string[]; values: Xattrs }[] = [];

  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      walker?.push(chunk);
      hash.update(chunk);
      size += chunk.length;
      options.onBytes?.(chunk.length);
      done(null, chunk);
    },
  });
  const extract = tarStream.extract();
  // tar-stream's streams are streamx streams: plain .pipe() into it, errors forwarded by hand.
  input.on('error', (e) => extract.destroy(e));
  tap.on('error', (e) => extract.destroy(e));
  let parserError: unknown;
  extract.on('error', (e) => (parserError ??= e));
  input.pipe(tap).pipe(extract as unknown as NodeJS.WritableStream);
  try {
    // tar-stream hands over the next member only after this one's data is drained (its async iterator).
    for await (const entry of extract) {
      entries += 1;
      const header = entry.header as Member;
      lastEnd = entry.offset + 512 + Math.ceil((header.size ?? 0) / 512) * 512;
      await applyMember(header, entry, dest, options, { dropped, flagged, dirs });
      entry.resume();
      const found = walker?.xattrsOf(entries - 1);
      if (found) {
        const kept = keptXattrs(header, found);
        if (kept) xattrs.push({ parts: splitMemberPath(header.name), values: kept });
      }
    }
  } catch (error) {
    // A parse error (e.g. "Unexpected end of data") destroys the member stream we were reading first: report
    // the parser's reason, which tar-stream emits a moment later, rather than "Stream was destroyed".
    await new Promise((r) => setImmediate(r));
    extract.destroy();
    input.destroy();
    throw asArchiveError(error instanceof NsboxError ? error : parserError ?? error, options.label);
  }
  // tar-stream accepts a stream that stops right after a member; a real archive ends with zero blocks.
  if (entries === 0 && size < 1024) throw new NsboxError(`cannot import ${options.label}: not a tar archive (empty)`);
  if (size < lastEnd + 512) throw new NsboxError(`cannot import ${options.label}: the archive is truncated (no end-of-archive blocks)`);

  // Directory modes and times last: writing into a directory changes its mtime, and a 0555 dir must stay writable.
  for (const dir of dirs.reverse()) {
    const found = await resolveExisting(dest, dir.parts, dir.parts.join('/') || '.').catch(() => undefined);
    if (!found || !found.info.isDirectory()) continue; // replaced by a later member
    await chmod(found.path, dir.mode);
    if (dir.mtime) await utimes(found.path, dir.mtime, dir.mtime);
  }
  await applyXattrs(dest, xattrs);
  return { digest: `sha256:${hash.digest('hex')}`, size, entries, dropped, flagged };
}

interface Sinks {
  readonly dropped: string[];
  readonly flagged: { path: string; target: string }[];
  readonly dirs: Pending[];
}

async function applyMember(
  header: Member,
  data: AsyncIterable<unknown>,
  dest: string,
  options: ExtractOptions,
  sinks: Sinks,
): Promise<void> {
  const name = header.name;
  const parts = splitMemberPath(name);
  const xattr = findOverlayXattr(header.pax);
  if (xattr) throw hostileMember(name, `it carries the overlay xattr ${xattr.replace(/^\w+\.xattr\./, '')}`);
  const mode = (header.mode ?? 0o644) & 0o7777;
  const type = header.type ?? 'file';

  if (parts.length === 0) {
    if (type !== 'directory') throw hostileMember(name, 'the layer root must be a directory');
    sinks.dirs.push({ parts, mode, mtime: header.mtime });
    await setOwner(dest, header, false);
    return;
  }
  const parentParts = parts.slice(0, -1);
  const base = parts[parts.length - 1]!;
  const whiteout = options.whiteouts ? classifyWhiteout(base) : 'none';
  if (whiteout !== 'none' && type !== 'file' && type !== 'contiguous-file' && type !== 'directory' && type !== 'link') {
    throw hostileMember(name, 'a whiteout member must be a plain file');
  }
  if (whiteout === 'aufs-meta') return; // .wh..wh.plnk & co: aufs bookkeeping, meaningless for overlayfs
  const parent = await ensureDirectories(dest, parentParts, name);
  if (whiteout === 'opaque') {
    await markOpaque(parent);
    return;
  }
  if (whiteout === 'whiteout') {
    const hidden = base.slice(4);
    const target = join(parent, hidden);
    splitMemberPath(hidden); // "." or ".." after the prefix would be hostile
    if (hidden === '' || hidden === '.' || hidden === '..') throw hostileMember(name, 'whiteout of an invalid name');
    await removeEntry(target, await lstatOrUndefined(target));
    await makeWhiteout(target);
    return;
  }

  const path = join(parent, base);
  const existing = await lstatOrUndefined(path);
  const relative = parts.join('/');
  switch (type) {
    case 'directory': {
      if (!existing?.isDirectory()) {
        await removeEntry(path, existing);
        await mkdir(path, { mode: 0o700 });
      }
      await setOwner(path, header, false);
      sinks.dirs.push({ parts, mode, mtime: header.mtime });
      return;
    }
    case 'file':
    case 'contiguous-file': {
      await removeEntry(path, existing);
      const handle = await createFileNoFollow(path, 0o600);
      try {
        for await (const chunk of data) await handle.write(chunk as Uint8Array);
        if (asRoot) await handle.chown(header.uid ?? 0, header.gid ?? 0);
        await handle.chmod(mode); // after chown: chown clears setuid bits
        if (header.mtime) await handle.utimes(header.mtime, header.mtime);
      } finally {
        await handle.close();
      }
      return;
    }
    case 'symlink': {
      const target = header.linkname ?? '';
      if (target === '' || target.includes('\0')) throw hostileMember(name, 'empty or invalid symlink target');
      await removeEntry(path, existing);
      await symlink(target, path);
      await setOwner(path, header, true);
      if (header.mtime) await lutimes(path, header.mtime, header.mtime);
      if (RUNTIME_PATHS.has(relative)) sinks.flagged.push({ path: `/${relative}`, target });
      return;
    }
    case 'link': {
      const targetName = header.linkname ?? '';
      const targetParts = splitMemberPath(targetName);
      if (targetParts.length === 0) throw hostileMember(name, 'hardlink to the layer root');
      const found = await resolveExisting(dest, targetParts, name);
      if (found.info.isDirectory()) throw hostileMember(name, `hardlink to the directory "${targetName}"`);
      if (found.path === path) return;
      await removeEntry(path, existing);
      await link(found.path, path); // link(2) does not follow a symlink target: it links the symlink itself
      return;
    }
    case 'character-device':
    case 'block-device': {
      if (type === 'character-device' && header.devmajor === 0 && header.devminor === 0) {
        await removeEntry(path, existing);
        await makeWhiteout(path);
        return;
      }
      sinks.dropped.push(`/${relative}`);
      return;
    }
    case 'fifo': {
      await removeEntry(path, existing);
      await makeFifo(path, mode);
      await setOwner(path, header, true);
      return;
    }
    default:
      throw hostileMember(name, `unsupported member type ${String(type)}`);
  }
}

/** The xattrs of a member worth setting: not on whiteouts or dropped device nodes; no user.* on a symlink (EPERM). */
function keptXattrs(header: Member, found: Xattrs): Xattrs | undefined {
  const type = header.type ?? 'file';
  if (!['file', 'contiguous-file', 'directory', 'symlink', 'fifo', 'link'].includes(type)) return undefined;
  const base = header.name.replace(/\/+$/, '').split('/').pop() ?? '';
  if (classifyWhiteout(base) !== 'none') return undefined;
  const kept = new Map([...found].filter(([name]) => isKeptXattr(name) && !(type === 'symlink' && name.startsWith('user.'))));
  return kept.size > 0 ? kept : undefined;
}

/** Sets the recorded xattrs with one `setfattr -h --restore` (attr), on paths re-resolved inside the layer. */
async function applyXattrs(dest: string, entries: readonly { parts: readonly string[]; values: Xattrs }[]): Promise<void> {
  if (entries.length === 0) return;
  const byPath = new Map<string, Xattrs>();
  for (const { parts, values } of entries) {
    const found = parts.length === 0 ? { path: dest } : await resolveExisting(dest, parts, parts.join('/')).catch(() => undefined);
    if (found) byPath.set(found.path, new Map([...(byPath.get(found.path) ?? []), ...values]));
  }
  await restoreXattrs(byPath);
}

async function setOwner(path: string, header: Member, isLink: boolean): Promise<void> {
  if (!asRoot) return;
  const uid = header.uid ?? 0;
  const gid = header.gid ?? 0;
  if (isLink) await lchown(path, uid, gid);
  else await chown(path, uid, gid);
}

function asArchiveError(error: unknown, label: string): Error {
  if (error instanceof NsboxError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/unexpected end|invalid tar header|invalid header|header exceeds|incorrect header check|invalid|unexpected|destroyed|premature/i.test(message)) {
    return new NsboxError(`cannot import ${label}: the archive is corrupt or truncated (${message.split('\n')[0]})`);
  }
  return new NsboxError(`cannot import ${label}: ${message.split('\n')[0]}`);
}
