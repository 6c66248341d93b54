// `nsbox cp` operands -> a validated copy: which side is the box, the paths split the way docker cp reads them.
// Pure: no file is looked at here (box paths are only ever resolved inside the box).

import { posix, resolve } from 'node:path';
import { NsboxError } from '../errors.js';

/** A path as docker cp reads it: `dir/name`, `dir/name/.` (the contents), a trailing `/` (must be a directory). */
export interface CopyPath {
  /** As the user wrote it, for messages. */
  readonly given: string;
  /** Absolute and normalized, without a trailing `/` or `/.` ("/" for the root). */
  readonly path: string;
  readonly dir: string;
  /** '' for the root. */
  readonly name: string;
  /** Ends in `/.` (or is the root): the directory's contents, not the directory. */
  readonly contents: boolean;
  /** Ends in `/`: must be (or become) a directory. */
  readonly trailingSlash: boolean;
}

export interface CopySpec {
  readonly direction: 'from-box' | 'to-box';
  readonly box: string;
  readonly boxPath: CopyPath;
  /** undefined: `-` (a tar stream on stdout for from-box, on stdin for to-box). */
  readonly hostPath: CopyPath | undefined;
  /** -a: keep uid/gid (and setuid/setgid bits). */
  readonly archive: boolean;
  /** -L: follow a symlink SRC. */
  readonly followLink: boolean;
}

const USAGE = 'nsbox cp [-aL] BOX:SRC DEST|-  or  nsbox cp [-aL] SRC|- BOX:DEST';

/**
 * `BOX:PATH` names a box unless the word starts with `/` or `.` (docker's rule: a local path with a colon is written
 * `./a:b`); `-` is a stream.
 */
export function splitBoxOperand(word: string): { readonly box: string; readonly path: string } | undefined {
  if (word.startsWith('/') || word.startsWith('.')) return undefined;
  const colon = word.indexOf(':');
  if (colon <= 0) return undefined;
  const box = word.slice(0, colon);
  if (box.includes('/')) return undefined;
  return { box, path: word.slice(colon + 1) };
}

/** docker cp's reading of a path; a box path is relative to the box's `/`, a host path to the cwd. */
export function readCopyPath(given: string, base: 'box' | string): CopyPath {
  const absolute = base === 'box' ? posix.normalize(`/${given}`) : resolve(base, given);
  const path = absolute.length > 1 ? absolute.replace(/\/+$/, '') : absolute;
  const contents = path === '/' || /(^|\/)\.$/.test(given);
  return {
    given,
    path,
    dir: posix.dirname(path),
    name: path === '/' ? '' : posix.basename(path),
    contents,
    trailingSlash: /\/\.?$/.test(given) || given === '.',
  };
}

/** The two operands -> the copy, or a one-line error (both or neither a box, an empty path). */
export function buildCopySpec(source: string, dest: string, flags: { archive?: boolean; followLink?: boolean }, cwd: string = process.cwd()): CopySpec {
  if (source === '' || dest === '') throw new NsboxError(`invalid empty path: ${USAGE}`);
  const from = source === '-' ? undefined : splitBoxOperand(source);
  const to = dest === '-' ? undefined : splitBoxOperand(dest);
  if (from && to) throw new NsboxError(`cannot copy between two boxes (${from.box} and ${to.box}): copy through the host, or pipe one cp into another with -`);
  if (!from && !to) throw new NsboxError(`cannot copy: neither ${JSON.stringify(source)} nor ${JSON.stringify(dest)} names a box (BOX:PATH): ${USAGE}`);
  if (source === '-' && dest === '-') throw new NsboxError(`cannot copy from - to -: ${USAGE}`);
  const common = { archive: flags.archive ?? false, followLink: flags.followLink ?? false };
  if (from) {
    if (from.path === '') throw new NsboxError(`invalid path "" in ${JSON.stringify(source)}: give the path in the box (BOX:/path)`);
    return { direction: 'from-box', box: from.box, boxPath: readCopyPath(from.path, 'box'), hostPath: dest === '-' ? undefined : readCopyPath(dest, cwd), ...common };
  }
  if (to!.path === '') throw new NsboxError(`invalid path "" in ${JSON.stringify(dest)}: give the path in the box (BOX:/path)`);
  return { direction: 'to-box', box: to!.box, boxPath: readCopyPath(to!.path, 'box'), hostPath: source === '-' ? undefined : readCopyPath(source, cwd), ...common };
}
