// The layout of one container's directory, ROOT/containers/<id>/ (the one place that knows these names).

import { join } from 'node:path';

export interface ContainerDir {
  readonly dir: string;
  /** Written first: names the image ("name:tag") so `nsbox image rm` refuses while the container exists. */
  readonly image: string;
  /** What `nsbox commit` needs later: the base image's layers and config. */
  readonly config: string;
  /** The copy-on-write layer: everything the box writes. */
  readonly upper: string;
  /** overlayfs's work directory (same file system as upper). */
  readonly work: string;
  /** Mount points the image lacks, a lowerdir above the image (Docker's "-init" layer). */
  readonly init: string;
  /** Where the box mounts its merged root, inside its own mount namespace only. */
  readonly rootfs: string;
  readonly hostname: string;
  readonly hosts: string;
  readonly resolvConf: string;
  /** The box's mounts, as fstab files for `mount --all`: before and after /dev is filled. */
  readonly fstabEarly: string;
  readonly fstabLate: string;
  /** An empty file, bound read-only over the box's /etc/ld.so.preload (src/rootfs/preload-guard.ts). */
  readonly preload: string;
}

/** The paths of container id under the store's containers/ directory. */
export function describeContainerDir(containersDir: string, id: string): ContainerDir {
  const dir = join(containersDir, id);
  return {
    dir,
    image: join(dir, 'image'),
    config: join(dir, 'config.json'),
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    init: join(dir, 'init'),
    rootfs: join(dir, 'rootfs'),
    hostname: join(dir, 'hostname'),
    hosts: join(dir, 'hosts'),
    resolvConf: join(dir, 'resolv.conf'),
    fstabEarly: join(dir, 'mounts-1.fstab'),
    fstabLate: join(dir, 'mounts-2.fstab'),
    preload: join(dir, 'ld.so.preload'),
  };
}

/** containers/<id>/config.json: written when the container is created. */
export interface ContainerRecord {
  readonly schemaVersion: 1;
  readonly id: string;
  readonly created: string;
  /** "name:tag" of the image, or undefined for --rootfs. */
  readonly image: string | undefined;
  readonly imageId: string | undefined;
  /** The lowerdirs below the init layer, top-most first (image layers or the --rootfs directory). */
  readonly lowerDirs: readonly string[];
  /** Layer digests of the image, bottom-most first ([] for --rootfs). */
  readonly layers: readonly string[];
  readonly config: import('../image/records.js').ImageConfig;
  readonly argv: readonly string[];
  /** Named volumes the box mounts: `volume rm` refuses while this record exists. */
  readonly volumes?: readonly string[];
  /** The state directory whose box record owns this container: gc removes the directory once that record is gone. */
  readonly stateRoot?: string;
}
