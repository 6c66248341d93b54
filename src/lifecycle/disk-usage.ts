// What `nsbox system df` reports, as `docker system df`: images, boxes (their upper layers) and volumes, each with
// how many there are, how many are in use, their size and what removing the unused ones would free.

import { describeStore } from '../image/store.js';
import { listImageRecords, type ImageRecord } from '../image/records.js';
import { readLayerSizes } from '../image/layer-sharing.js';
import { listVolumes } from '../image/volumes.js';
import { describeContainerDir } from '../rootfs/container-dir.js';
import { treeSize } from '../host/tree-size.js';
import { listBoxes, type ListedBox } from './list-boxes.js';
import type { StatePaths } from '../state/paths.js';

export interface UsageRow {
  readonly Type: 'Images' | 'Containers' | 'Local Volumes' | 'Build Cache';
  readonly TotalCount: number;
  readonly Active: number;
  /** Bytes. */
  readonly Size: number;
  readonly Reclaimable: number;
}

export interface ImageUsage {
  readonly record: ImageRecord;
  readonly shared: number;
  readonly unique: number;
  readonly containers: number;
}
export interface BoxUsage {
  readonly box: ListedBox;
  readonly size: number;
}
export interface VolumeUsage {
  readonly name: string;
  readonly links: number;
  readonly size: number;
}

export interface DiskUsage {
  readonly rows: readonly UsageRow[];
  readonly images: readonly ImageUsage[];
  readonly boxes: readonly BoxUsage[];
  readonly volumes: readonly VolumeUsage[];
}

/** Reads the store and the state dir (nothing is changed). */
export async function measureDiskUsage(storeRoot: string, state: StatePaths): Promise<DiskUsage> {
  const store = describeStore(storeRoot);
  const records = await listImageRecords(store);
  const boxes = listBoxes(state);
  const layerSizes = await readLayerSizes(store, records);
  const usersOf = (r: ImageRecord) => boxes.filter((b) => b.record.image === `${r.name}:${r.tag}` || b.record.image === r.id).length;
  // A layer is shared when two image ids use it; an image is in use when a box (running or not) names it.
  const layerUsers = new Map<string, Set<string>>();
  for (const r of records) for (const d of r.layers) layerUsers.set(d, (layerUsers.get(d) ?? new Set()).add(r.id));
  const images = records.map((record) => {
    let shared = 0;
    let unique = 0;
    for (const d of new Set(record.layers)) {
      if ((layerUsers.get(d)?.size ?? 0) > 1) shared += layerSizes.get(d) ?? 0;
      else unique += layerSizes.get(d) ?? 0;
    }
    return { record, shared, unique, containers: usersOf(record) };
  });
  const activeIds = new Set(images.filter((i) => i.containers > 0).map((i) => i.record.id));
  const ids = new Set(records.map((r) => r.id));
  const allLayers = [...layerUsers.keys()];
  const size = (layers: readonly string[]) => layers.reduce((sum, d) => sum + (layerSizes.get(d) ?? 0), 0);
  const idleLayers = allLayers.filter((d) => ![...layerUsers.get(d)!].some((id) => activeIds.has(id)));

  const boxUsage = boxes.map((box) => ({ box, size: box.record.image ? treeSize(describeContainerDir(store.containers, box.record.id).upper) : 0 }));
  const running = (b: BoxUsage) => b.box.now.status === 'running';

  const volumeUsage = (await listVolumes(storeRoot)).map((v) => {
    const links = new Set([...v.UsedBy, ...boxes.filter((b) => (b.record.config?.volumes ?? []).some((m) => m.kind === 'bind' && m.source === v.Name)).map((b) => b.record.id)]).size;
    return { name: v.Name, links, size: treeSize(v.Mountpoint) };
  });

  const sum = <T>(items: readonly T[], of: (t: T) => number) => items.reduce((s, t) => s + of(t), 0);
  const rows: UsageRow[] = [
    { Type: 'Images', TotalCount: ids.size, Active: activeIds.size, Size: size(allLayers), Reclaimable: size(idleLayers) },
    { Type: 'Containers', TotalCount: boxes.length, Active: boxUsage.filter(running).length, Size: sum(boxUsage, (b) => b.size), Reclaimable: sum(boxUsage.filter((b) => !running(b)), (b) => b.size) },
    { Type: 'Local Volumes', TotalCount: volumeUsage.length, Active: volumeUsage.filter((v) => v.links > 0).length, Size: sum(volumeUsage, (v) => v.size), Reclaimable: sum(volumeUsage.filter((v) => v.links === 0), (v) => v.size) },
    // nsbox builds nothing; the row is there for scripts that read Docker's four.
    { Type: 'Build Cache', TotalCount: 0, Active: 0, Size: 0, Reclaimable: 0 },
  ];
  return { rows, images, boxes: boxUsage, volumes: volumeUsage };
}
