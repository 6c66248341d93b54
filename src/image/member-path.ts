// Validates tar member names and link targets: a member lands inside its layer or the import fails.

import { NsboxError } from '../errors.js';

/** Why a member was refused; the message names the member, so the error is one clear line. */
export function hostileMember(name: string, reason: string): NsboxError {
  return new NsboxError(`refusing archive member ${JSON.stringify(name)}: ${reason}`, {
    hint: 'the archive tries to reach outside the layer, or is damaged; nothing was imported',
  });
}

/**
 * Splits a member name into path components relative to the layer root ([] is the root itself).
 * Absolute names and ".." components are refused, not rewritten: an archive that uses them is either
 * hostile or broken, and a silent rewrite would hide which.
 */
export function splitMemberPath(name: string): readonly string[] {
  if (name.includes('\0')) throw hostileMember(name, 'the name contains a NUL byte');
  if (name.startsWith('/')) throw hostileMember(name, 'absolute path');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw hostileMember(name, 'the path contains ".."');
  for (const part of parts) {
    if (Buffer.byteLength(part) > 255) throw hostileMember(name, 'a path component is longer than 255 bytes');
  }
  return parts;
}

/** What a member's final component says about overlay whiteouts (OCI image-spec layer.md, "Whiteouts"). */
export type WhiteoutKind = 'none' | 'opaque' | 'whiteout' | 'aufs-meta';

/** Classifies a base name: ".wh..wh..opq" opaque dir, ".wh.NAME" whiteout, other ".wh..wh." aufs metadata. */
export function classifyWhiteout(baseName: string): WhiteoutKind {
  if (baseName === '.wh..wh..opq') return 'opaque';
  if (baseName.startsWith('.wh..wh.')) return 'aufs-meta';
  if (baseName.startsWith('.wh.')) return 'whiteout';
  return 'none';
}

/** pax xattr keys that would let a layer fake overlay metadata (trusted.overlay.* / user.overlay.*). */
export function findOverlayXattr(pax: Readonly<Record<string, string>> | undefined | null): string | undefined {
  if (!pax) return undefined;
  return Object.keys(pax).find((key) => {
    const attr = key.replace(/^(SCHILY|LIBARCHIVE)\.xattr\./, '');
    return attr !== key && /^(trusted|user)\.overlay\./.test(attr);
  });
}

/** Paths where a symlink in an image is flagged: the runtime mounts or writes there. */
export const RUNTIME_PATHS: ReadonlySet<string> = new Set([
  'proc', 'sys', 'dev', 'dev/pts', 'dev/shm', 'dev/mqueue', 'tmp', 'etc', 'etc/hosts', 'etc/hostname',
  'etc/resolv.conf', 'etc/passwd', 'etc/group',
]);
