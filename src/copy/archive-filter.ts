// nsbox cp's one pass over an archive between the box and the host: renames its top member (docker cp's naming
// rules) and, for an archive a box made (hostile data), checks every member before the host's tar sees it.
//
// The box's root is an attacker: its tar's output is whatever the box wants. GNU tar on the host already refuses
// absolute and ".." names and delays symlinks that point outside, but the archive is made to be harmless first:
//  - every name is below the top member, with no "..", no absolute path, no NUL, and appears once;
//  - every parent of a member is a directory member that came earlier: a member is never written through a symlink
//    (or file) the archive made, and a directory member replaces a symlink already on the host (GNU tar's default),
//    so a link left by an earlier copy is not followed either;
//  - a hardlink names an earlier regular file of the same archive, never a host file;
//  - device nodes and fifos are skipped (named on stderr), other member types refused;
//  - setuid/setgid bits are cleared unless -a, owner names dropped (ids are numeric), xattrs dropped.

import type { Readable, Writable } from 'node:stream';
import * as tarStream from 'tar-stream';
import { NsboxError } from '../errors.js';

/** A member as tar-stream decodes it. */
export type ArchiveMember = tarStream.Header;

export interface FilterOptions {
  /**
   * The top names the archive may have: '' when it was made of `.` (a directory's contents), else the copied name
   * (the box picks `.` for a symlink -L follows to a directory). The first member is the top.
   */
  readonly tops: readonly string[];
  /**
   * Called with the first member, before anything is written: returns the top name in the output ('' keeps the
   * members at the top: a directory's contents) and where the output goes, or throws (docker cp's type errors).
   */
  readonly decide: (first: ArchiveMember) => { readonly to: string; readonly sink: Writable };
  /** The box made the archive: check every member (above). */
  readonly hostile: boolean;
  /** Keep setuid/setgid bits (-a). */
  readonly keepSetId: boolean;
  /** Names a member that was left out (a device node or fifo: its tar-stream type). */
  readonly onSkip: (name: string, type: string) => void;
  /** Where the archive came from, for messages ("box web"). */
  readonly label: string;
}

const KEPT_TYPES: ReadonlySet<string> = new Set(['file', 'contiguous-file', 'directory', 'symlink', 'link']);
const SKIPPED_TYPES: ReadonlySet<string> = new Set(['character-device', 'block-device', 'fifo']);

/** Why a member of the box's archive was refused. */
function refused(label: string, name: string, reason: string): NsboxError {
  return new NsboxError(`cannot copy from ${label}: refusing archive member ${JSON.stringify(name)}: ${reason}`, {
    hint: 'the box sent an archive a tar of its files never makes (a hostile box, or a damaged archive)',
  });
}

/** Splits a member name: leading "./" and empty or "." components dropped; absolute, "..", NUL refused. */
export function memberParts(label: string, name: string): string[] {
  if (name.includes('\0')) throw refused(label, name, 'the name contains a NUL byte');
  if (name.startsWith('/')) throw refused(label, name, 'absolute path');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refused(label, name, 'the path contains ".."');
  return parts;
}

/** The member's path in the output: its top name `from` replaced by `to`; undefined when it is not below `from`. */
export function renameParts(parts: readonly string[], from: string, to: string): string[] | undefined {
  if (from !== '' && parts[0] !== from) return undefined;
  const rest = from === '' ? parts : parts.slice(1);
  return to === '' ? [...rest] : [to, ...rest];
}

/** Checks and renames the members of `input` into a new archive on the sink `decide` picks; resolves when done. */
export async function filterArchive(input: Readable, options: FilterOptions): Promise<{ readonly members: number; readonly sink: Writable | undefined }> {
  const extract = tarStream.extract();
  const pack = tarStream.pack();
  input.on('error', (e) => extract.destroy(e));
  let parserError: unknown;
  extract.on('error', (e) => (parserError ??= e));
  input.pipe(extract as unknown as NodeJS.WritableStream);
  const kinds = new Map<string, string>(); // output path -> member type, for the parent and hardlink rules
  let to: string | undefined;
  let from = '';
  let sink: Writable | undefined;
  let piped: Promise<void> | undefined;
  let members = 0;
  try {
    for await (const entry of extract) {
      const header = entry.header;
      const parts = memberParts(options.label, header.name);
      if (to === undefined) {
        from = parts.length === 0 ? '' : parts[0]!;
        if (parts.length > 1 || !options.tops.includes(from)) {
          throw refused(options.label, header.name, `the first member must be ${options.tops.map((t) => JSON.stringify(`./${t}`)).join(' or ')}`);
        }
        ({ to, sink } = options.decide(header));
        piped = pipeInto(pack, sink);
        piped.catch(() => undefined); // awaited below; a failure before that is the one reported
      }
      const out = renameParts(parts, from, to);
      if (!out) throw refused(options.label, header.name, `not below ${JSON.stringify(`./${from}`)}`);
      const path = out.join('/');
      const type = header.type ?? 'file';
      if (SKIPPED_TYPES.has(type)) {
        options.onSkip(header.name, type);
        entry.resume();
        continue;
      }
      if (!KEPT_TYPES.has(type)) throw refused(options.label, header.name, `member type ${type}`);
      if (options.hostile) checkPlace(options.label, header, out, kinds);
      kinds.set(path, type);
      const linkname = type === 'link' ? renameLink(options, header, from, to, kinds) : header.linkname;
      const mode = (header.mode ?? 0o644) & (options.keepSetId ? 0o7777 : 0o1777);
      const written: tarStream.Header = {
        name: out.length === 0 ? './' : `./${path}${type === 'directory' ? '/' : ''}`,
        type: type === 'contiguous-file' ? 'file' : type,
        mode,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        mtime: header.mtime ?? new Date(0),
        size: type === 'file' || type === 'contiguous-file' ? header.size ?? 0 : 0,
        uname: '',
        gname: '',
        devmajor: 0,
        devminor: 0,
        linkname: (type === 'symlink' || type === 'link') && typeof linkname === 'string' ? linkname : '',
      };
      await copyEntry(pack, written, entry as unknown as Readable);
      members += 1;
    }
  } catch (error) {
    await new Promise((r) => setImmediate(r));
    extract.destroy();
    input.destroy();
    pack.destroy();
    if (error instanceof NsboxError) throw error;
    throw new NsboxError(`cannot copy from ${options.label}: ${((parserError ?? error) as Error).message}`);
  }
  if (to === undefined) return { members, sink: undefined };
  pack.finalize();
  await piped;
  return { members, sink };
}

/** The parent and duplicate rules (top of this file). */
function checkPlace(label: string, header: tarStream.Header, out: readonly string[], kinds: ReadonlyMap<string, string>): void {
  const path = out.join('/');
  if (kinds.has(path)) throw refused(label, header.name, 'it appears twice');
  for (let i = out.length - 1; i >= 1; i--) {
    const parent = out.slice(0, i).join('/');
    const kind = kinds.get(parent);
    if (kind !== 'directory') {
      throw refused(label, header.name, kind === undefined ? `its parent ${JSON.stringify(parent)} is not an earlier directory member` : `its parent ${JSON.stringify(parent)} is a ${kind} member`);
    }
  }
}

/** A hardlink's target, renamed like the names; for a box's archive it must be an earlier regular file member. */
function renameLink(options: FilterOptions, header: tarStream.Header, from: string, to: string, kinds: ReadonlyMap<string, string>): string {
  const target = renameParts(memberParts(options.label, header.linkname ?? ''), from, to);
  if (!target || (target.length === 0 && to === '')) throw refused(options.label, header.name, `hardlink to ${JSON.stringify(header.linkname)} outside the copy`);
  const kind = kinds.get(target.join('/'));
  if (options.hostile && kind !== 'file' && kind !== 'contiguous-file') {
    throw refused(options.label, header.name, `hardlink to ${JSON.stringify(header.linkname)}, which is not an earlier file of the archive`);
  }
  return target.length === 0 ? './' : `./${target.join('/')}`;
}

function copyEntry(pack: tarStream.Pack, header: tarStream.Header, data: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null): void => (error ? reject(error) : resolve());
    data.on('error', reject);
    if (header.type !== 'file' || header.size === 0) {
      data.resume();
      // A file's entry without a buffer waits for its data: an empty one gets an empty buffer.
      if (header.type === 'file') pack.entry(header, Buffer.alloc(0), done);
      else pack.entry(header, done);
      return;
    }
    const sink = pack.entry(header, done);
    sink.on('error', reject); // a truncated member destroys it too
    data.pipe(sink as unknown as NodeJS.WritableStream);
  });
}

function pipeInto(pack: tarStream.Pack, sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.on('error', reject);
    sink.on('error', reject);
    pack.pipe(sink);
    pack.on('end', resolve);
  });
}
