// The one mount list both inits are built from. An image box's mounts (rootfs/box-mounts.ts) and an OCI config's
// (runtime/oci-mounts.ts) translate into InitMount entries; the safety-relevant ones exist only here: the masked and
// read-only kernel paths, and the toolbox (read-only, its directory sealed). An entry is mounted by the init either
// in a batch (one `mount --all --fstab FILE`, rootfs/fstab.ts) or one step at a time (mount-steps.ts).

import type { FstabEntry } from '../rootfs/fstab.js';
import { TOOLBOX_DIR, type Toolbox } from '../rootfs/toolbox.js';

/** One mount of the init. `target` is the host path below the root (already resolved inside it: no link out). */
export interface InitMount extends FstabEntry {
  /** Mounted one step at a time: the mount point to make first (an empty file for a file bind). */
  readonly mountpoint?: 'file' | 'directory';
  /** mount --make-<this> after mounting (OCI's rprivate, rslave, rshared, ...). */
  readonly propagation?: string;
  /** runc's tmpcopyup: the new tmpfs starts with what the root had there. */
  readonly copyUp?: boolean;
  /** OCI's "cgroup" mount: the container's own cgroups shown there (v1: a tmpfs with one bind per hierarchy). */
  readonly cgroup?: { readonly dirs: readonly string[]; readonly version: 1 | 2; readonly root: string };
}

/** A kernel path (or, for OCI, any path) to mask or make read-only, of the kind it is on this host. */
export interface KernelPath {
  /** The path inside the root where it is mounted (resolved inside the root). */
  readonly path: string;
  readonly kind: 'file' | 'directory';
  /** The path as it was asked for (shown in the why), when resolving changed it. */
  readonly asked?: string;
}

/**
 * Masked paths (/dev/null over a file, an empty read-only tmpfs over a directory) and read-only paths (bound
 * read-only onto themselves), as Docker and runc make them. The read-only bind is not recursive: libmount would
 * remount only its top read-only, so a mount below it would stay writable; without `r` it is not there at all.
 */
export function kernelPathMounts(root: string, masked: readonly KernelPath[], readonly: readonly KernelPath[]): InitMount[] {
  const out: InitMount[] = [];
  for (const p of masked) {
    const shown = p.asked ?? p.path;
    out.push(
      p.kind === 'file'
        ? { source: '/dev/null', target: `${root}${p.path}`, type: 'none', options: 'bind,ro', why: `Mask ${shown}: it reads as empty.` }
        : { source: 'tmpfs', target: `${root}${p.path}`, type: 'tmpfs', options: 'ro,nosuid,nodev,noexec', why: `Mask ${shown}: an empty read-only directory.` },
    );
  }
  for (const p of readonly) {
    const shown = p.asked ?? p.path;
    const kernel = /^\/(proc|sys)(\/|$)/.test(shown);
    out.push({ source: `${root}${p.path}`, target: `${root}${p.path}`, type: 'none', options: 'bind,ro,nosuid,nodev,noexec', why: `${shown} read-only${kernel ? ': no writes to the host\'s kernel settings' : ''}.` });
  }
  return out;
}

/**
 * The toolbox (host setpriv, env, umount, ... with their loader and libraries) bound read-only at `dir` (TOOLBOX_DIR,
 * or where it resolves inside the root), then the directory itself made a read-only mount: exec runs its tools with
 * every capability, so a process inside must not be able to rename it away or put files in it (a mount point cannot
 * be renamed). Mount points are made by the init.
 */
export function toolboxMounts(root: string, toolbox: Toolbox, dir: string = TOOLBOX_DIR): InitMount[] {
  return [
    ...toolbox.files.map((f) => ({ source: f.source, target: `${root}${dir}/${f.name}`, type: 'none', options: 'bind,ro,nosuid,nodev', why: `Toolbox: ${f.name}, read-only.` })),
    {
      source: `${root}${dir}`,
      target: `${root}${dir}`,
      type: 'none',
      options: 'rbind,ro',
      why: 'The toolbox directory becomes a read-only mount: nsbox exec runs its tools with every capability, so a box process must not be able to rename it away or put files in it (a mount point cannot be renamed).',
    },
  ];
}
