// Turns the entries of a container's overlay upper dir into the members of an OCI layer tar. Pure.
//
// overlayfs marks deletions in the upper dir its own way (Documentation/filesystems/overlayfs.rst); an image
// layer marks them the OCI way (image-spec layer.md, "Whiteouts"):
//   character device 0/0 NAME                  -> empty file .wh.NAME
//   directory with trusted.overlay.opaque=y    -> the directory, then an empty file DIR/.wh..wh..opq
// Mount points the runtime put in the init layer are not content: a no-op copy of one in the upper dir is dropped.
// Other device nodes and sockets cannot be image content (the importer drops them too) and are reported.

export type UpperKind = 'file' | 'directory' | 'symlink' | 'char-device' | 'block-device' | 'fifo' | 'socket';

/** One entry of the upper dir, as lstat(2) and the overlay xattrs describe it. */
export interface UpperEntry {
  /** Relative to the upper dir, "/"-separated, never empty (the root itself is not an entry). */
  readonly path: string;
  readonly kind: UpperKind;
  /** Permission bits (& 07777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: Date;
  readonly size: number;
  /** Device number (major/minor) for device nodes: 0/0 is an overlay whiteout. */
  readonly rdevMajor: number;
  readonly rdevMinor: number;
  /** Inode and link count, to keep hardlinks as tar links. */
  readonly ino: number;
  readonly nlink: number;
  /** Symlink target. */
  readonly linkTarget?: string;
  /** trusted.overlay.opaque=y on a directory. */
  readonly opaque: boolean;
  /** xattrs carried into the layer (file capabilities, user.*; never overlay's own). */
  readonly xattrs?: ReadonlyMap<string, Buffer>;
}

/** An init-layer entry: what the runtime itself created as a mount point (see src/rootfs/mountpoints.ts). */
export interface InitMark {
  readonly kind: 'file' | 'directory';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** One tar member; `source` is the upper-relative path whose bytes a 'file' member carries. */
export interface LayerMember {
  readonly name: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'link' | 'fifo';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: Date;
  readonly size: number;
  readonly linkname?: string;
  readonly source?: string;
  /** SCHILY.xattr.* records of the member. */
  readonly xattrs?: ReadonlyMap<string, Buffer>;
}

export interface ConvertedLayer {
  readonly members: readonly LayerMember[];
  /** Entries an image cannot hold, left out: "/path (device node)", "/path (socket)". */
  readonly dropped: readonly string[];
  /** The runtime's own mount points found in the upper dir, left out. */
  readonly mountPoints: readonly string[];
}

/** The OCI whiteout prefix and the opaque marker's name. */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * Converts upper-dir entries (parents before children, as a walk yields them) into tar members in the same order.
 * `init` maps init-layer paths to what the runtime made there.
 */
export function convertUpperEntries(entries: readonly UpperEntry[], init: ReadonlyMap<string, InitMark> = new Map()): ConvertedLayer {
  const members: LayerMember[] = [];
  const dropped: string[] = [];
  const mountPoints: string[] = [];
  const firstLink = new Map<number, string>();
  const hasChildren = new Set<string>();
  for (const e of entries) {
    const slash = e.path.lastIndexOf('/');
    if (slash > 0) for (let p = e.path.slice(0, slash); ; p = p.slice(0, p.lastIndexOf('/'))) {
      hasChildren.add(p);
      if (!p.includes('/')) break;
    }
  }
  for (const e of entries) {
    const mark = init.get(e.path);
    if (mark && isInitCopy(e, mark, hasChildren.has(e.path))) {
      mountPoints.push(`/${e.path}`);
      continue;
    }
    const base = { mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, size: 0, ...(e.xattrs ? { xattrs: e.xattrs } : {}) };
    switch (e.kind) {
      case 'directory':
        members.push({ ...base, name: `${e.path}/`, type: 'directory' });
        if (e.opaque) members.push({ mode: 0o600, uid: e.uid, gid: e.gid, mtime: e.mtime, size: 0, name: `${e.path}/${OPAQUE_MARKER}`, type: 'file' });
        break;
      case 'file': {
        const earlier = e.nlink > 1 ? firstLink.get(e.ino) : undefined;
        if (earlier !== undefined) {
          members.push({ mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, size: 0, name: e.path, type: 'link', linkname: earlier });
          break;
        }
        if (e.nlink > 1) firstLink.set(e.ino, e.path);
        members.push({ ...base, name: e.path, type: 'file', size: e.size, source: e.path });
        break;
      }
      case 'symlink':
        members.push({ ...base, name: e.path, type: 'symlink', linkname: e.linkTarget ?? '' });
        break;
      case 'fifo':
        members.push({ ...base, name: e.path, type: 'fifo' });
        break;
      case 'char-device':
        if (e.rdevMajor === 0 && e.rdevMinor === 0) {
          members.push({ mode: 0o600, uid: e.uid, gid: e.gid, mtime: e.mtime, size: 0, name: whiteoutName(e.path), type: 'file' });
          break;
        }
        dropped.push(`/${e.path} (device node)`);
        break;
      case 'block-device':
        dropped.push(`/${e.path} (device node)`);
        break;
      case 'socket':
        dropped.push(`/${e.path} (socket)`);
        break;
    }
  }
  return { members, dropped, mountPoints };
}

/** "a/b/NAME" -> "a/b/.wh.NAME". */
export function whiteoutName(path: string): string {
  const slash = path.lastIndexOf('/');
  return `${path.slice(0, slash + 1)}${WHITEOUT_PREFIX}${path.slice(slash + 1)}`;
}

/** An upper entry that only repeats the init layer's mount point: same kind and owner, and nothing in it. */
function isInitCopy(e: UpperEntry, mark: InitMark, hasChildren: boolean): boolean {
  if (e.uid !== mark.uid || e.gid !== mark.gid || e.mode !== mark.mode) return false;
  if (mark.kind === 'file') return e.kind === 'file' && e.size === 0;
  return e.kind === 'directory' && !e.opaque && !hasChildren;
}
