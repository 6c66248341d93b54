// Named volumes: ROOT/volumes/NAME/_data (Docker's layout), plain directories that outlive the boxes using them.
// A box's container record (containers/<id>/config.json) lists the volumes it mounts; while that record exists
// (the box is running, or stopped and not yet removed), `volume rm` refuses, as Docker does.

import { readdir, readFile, rename, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { VOLUME_NAME } from '../rootfs/mount-flags.js';
import { newTempName } from './staging.js';
import { describeStore, ensureStoreRoot } from './store.js';
import { removeTree } from '../host/remove-tree.js';

/** ROOT/volumes */
export function volumesDir(root: string): string {
  return join(root, 'volumes');
}

/** ROOT/volumes/NAME and its _data directory (what a box mounts). */
export function volumePaths(root: string, name: string): { readonly dir: string; readonly data: string } {
  checkVolumeName(name);
  const dir = join(volumesDir(root), name);
  return { dir, data: join(dir, '_data') };
}

export function checkVolumeName(name: string): void {
  if (!VOLUME_NAME.test(name)) throw new NsboxError(`invalid volume name ${JSON.stringify(name)}: letters, digits, _ . - (starting with a letter or digit)`);
}

export interface VolumeInfo {
  readonly Name: string;
  readonly Driver: 'local';
  readonly Mountpoint: string;
  readonly CreatedAt: string;
  /** Ids of the containers whose record mounts it. */
  readonly UsedBy: readonly string[];
}

/** Creates the volume (an existing one is kept, as `docker volume create` does). */
export async function createVolume(root: string, name: string): Promise<string> {
  const { dir, data } = volumePaths(root, name);
  ensureStoreRoot(root); // a volume holds setuid files a box wrote: never reachable by other host users
  await mkdir(volumesDir(root), { recursive: true, mode: 0o701 });
  await mkdir(dir, { recursive: true, mode: 0o701 });
  await mkdir(data, { recursive: true, mode: 0o755 });
  return data;
}

/** Every volume, by name. */
export async function listVolumes(root: string): Promise<readonly VolumeInfo[]> {
  const names = (await readdir(volumesDir(root)).catch(() => [] as string[])).filter((n) => VOLUME_NAME.test(n)).sort();
  const out: VolumeInfo[] = [];
  for (const name of names) {
    const info = await inspectVolume(root, name).catch(() => undefined);
    if (info) out.push(info);
  }
  return out;
}

/** One volume's facts; a missing volume is an NsboxError. */
export async function inspectVolume(root: string, name: string): Promise<VolumeInfo> {
  const { data } = volumePaths(root, name);
  const info = await stat(data).catch(() => undefined);
  if (!info?.isDirectory()) throw new NsboxError(`no such volume: ${name}`, { hint: 'nsbox volume ls lists the volumes' });
  return { Name: name, Driver: 'local', Mountpoint: data, CreatedAt: info.birthtime.toISOString(), UsedBy: await findVolumeUsers(root, name) };
}

/** Removes a volume and its data; refused while a container record mounts it. */
export async function removeVolume(root: string, name: string): Promise<void> {
  const info = await inspectVolume(root, name);
  if (info.UsedBy.length > 0) {
    throw new NsboxError(`cannot remove volume ${name}: in use by container ${info.UsedBy.map((id) => id.slice(0, 12)).join(', ')}`, { hint: 'remove the box first (nsbox rm)' });
  }
  // Renamed out of volumes/ first (one atomic step), then deleted: a kill mid-way never leaves half a volume.
  const store = describeStore(root);
  await mkdir(store.tmp, { recursive: true, mode: 0o700 });
  const trash = join(store.tmp, newTempName(`volume-${name}`));
  await rename(volumePaths(root, name).dir, trash);
  removeTree(trash);
}

/** Ids of the containers (ROOT/containers/<id>/config.json) that mount the volume. */
export async function findVolumeUsers(root: string, name: string): Promise<readonly string[]> {
  const containers = describeStore(root).containers;
  const users: string[] = [];
  for (const id of (await readdir(containers).catch(() => [] as string[])).sort()) {
    const text = await readFile(join(containers, id, 'config.json'), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    try {
      const record = JSON.parse(text) as { volumes?: unknown };
      if (Array.isArray(record.volumes) && record.volumes.includes(name)) users.push(id);
    } catch {
      // a damaged record names no volume
    }
  }
  return users;
}
