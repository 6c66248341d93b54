// docker cp's rules for where a copy lands, as pure decisions, and the host tar's argv. The box side's answers
// (what the first member is, what DEST is in the box) come in as data; nothing here looks at a file.

import { NsboxError } from '../errors.js';
import type { BoxDestKind } from './box-side.js';
import type { CopyPath } from './cp-spec.js';

/** Where an archive is extracted and the name its top member gets there ('' = the directory's contents). */
export interface Landing {
  readonly dir: string;
  readonly name: string;
}

/** What is at DEST on the host (followed: the host's own links are the user's). */
export type HostDestKind = 'dir' | 'file' | 'missing' | 'no-parent';

/**
 * Box -> host, once the first member says whether SRC is a directory. SRC dir onto an existing dir: into it (its
 * contents with SRC/.); onto a missing DEST: DEST is made with SRC's contents; onto a file: refused. A file onto a dir:
 * into it; onto a file or a missing DEST: that name (a missing DEST/ is refused).
 */
export function landOnHost(src: CopyPath, srcIsDir: boolean, dest: CopyPath, destKind: HostDestKind): Landing {
  if (destKind === 'no-parent') throw new NsboxError(`cannot copy to ${dest.given}: no such directory: ${dest.dir}`);
  if (srcIsDir) {
    if (destKind === 'file') throw new NsboxError(`cannot copy a directory to a file: ${dest.given} is not a directory`);
    if (destKind === 'dir') return src.contents || src.name === '' ? { dir: dest.path, name: '' } : { dir: dest.path, name: src.name };
    return { dir: dest.dir, name: dest.name };
  }
  if (src.contents) throw new NsboxError(`cannot copy the contents of ${src.given}: it is not a directory`);
  if (destKind === 'dir') return { dir: dest.path, name: src.name };
  if (destKind === 'missing' && dest.trailingSlash) throw new NsboxError(`cannot copy to ${dest.given}: no such directory`);
  if (destKind === 'file' && dest.trailingSlash) throw new NsboxError(`cannot copy to ${dest.given}: it is not a directory`);
  return { dir: dest.dir, name: dest.name };
}

/**
 * Host -> box, once the box said what DEST is there. The box's tar is already in the right directory (DEST when it is
 * one, else its parent): only the top name is decided here.
 */
export function landInBox(src: CopyPath | undefined, srcIsDir: boolean, dest: CopyPath, destKind: BoxDestKind, box: string): string {
  const where = `${box}:${dest.given}`;
  if (!src) {
    if (destKind !== 'dir') throw new NsboxError(`cannot extract into ${where}: ${destKind === 'missing' ? 'no such directory in the box' : 'not a directory'} (a tar from stdin goes into a directory)`);
    return '';
  }
  if (srcIsDir) {
    if (destKind === 'file') throw new NsboxError(`cannot copy a directory to a file: ${where} is not a directory`);
    if (destKind === 'dir') return src.contents ? '' : src.name;
    return dest.name;
  }
  if (src.contents) throw new NsboxError(`cannot copy the contents of ${src.given}: it is not a directory`);
  if (destKind === 'dir') return src.name;
  if (dest.trailingSlash) throw new NsboxError(`cannot copy to ${where}: ${destKind === 'missing' ? 'no such directory in the box' : 'not a directory'}`);
  return dest.name;
}

const HOST_TAR_COMMON = ['--numeric-owner'];

/** The host's tar reading SRC (trusted: the user's files); `.` for a directory's contents. */
export function hostArchiveArgv(tar: string, src: { readonly dir: string; readonly name: string }): string[] {
  return [tar, '--create', '--file=-', ...HOST_TAR_COMMON, '-C', src.dir, src.name === '' ? '.' : `./${src.name}`];
}

/**
 * The host's tar extracting the box's checked archive (archive-filter.ts) into `dir`: owners only with -a (else the
 * caller's: root's), existing directories keep their owner and mode (a box's `./` never chmods DEST).
 */
export function hostExtractArgv(tar: string, dir: string, archive: boolean): string[] {
  return [tar, '--extract', '--file=-', ...HOST_TAR_COMMON, '--no-overwrite-dir', archive ? '--same-owner' : '--no-same-owner', '-C', dir];
}
