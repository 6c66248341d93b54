// Shared and unique size of each image (like `docker system df -v`): a layer counts as shared when another image
// (another image id: two tags of one image are one image) uses it too. Pure apart from reading layer sizes.

import type { ImageRecord } from './records.js';
import { readLayerMeta } from './layer-store.js';
import type { Store } from './store.js';

export interface ImageSizes {
  readonly shared: number;
  readonly unique: number;
}

/** Sizes by record (same order), from each layer's uncompressed size. */
export function computeSharing(records: readonly ImageRecord[], layerSize: (digest: string) => number): readonly ImageSizes[] {
  const users = new Map<string, Set<string>>();
  for (const r of records) for (const d of r.layers) users.set(d, (users.get(d) ?? new Set()).add(r.id));
  return records.map((r) => {
    let shared = 0;
    let unique = 0;
    for (const d of new Set(r.layers)) {
      if ((users.get(d)?.size ?? 0) > 1) shared += layerSize(d);
      else unique += layerSize(d);
    }
    return { shared, unique };
  });
}

/** The uncompressed size of every layer the records use (0 for a layer whose layer.json is unreadable). */
export async function readLayerSizes(store: Store, records: readonly ImageRecord[]): Promise<ReadonlyMap<string, number>> {
  const sizes = new Map<string, number>();
  for (const d of new Set(records.flatMap((r) => r.layers))) {
    sizes.set(d, await readLayerMeta(store, d).then((m) => m.size, () => 0));
  }
  return sizes;
}
