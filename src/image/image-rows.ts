// `image ls --format`: each image as Docker's image context has it (Repository, Tag, ID, CreatedSince, Size, ...),
// the fields a Go template names, and their column titles for `table ...`.

import type { ImageRecord } from './records.js';
import type { ImageSizes } from './layer-sharing.js';
import { formatSize } from './format-table.js';
import { describeDuration } from '../lifecycle/format.js';
import { formatGoTime } from '../lifecycle/ps-rows.js';

export const IMAGE_HEADERS: Readonly<Record<string, string>> = {
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  ID: 'IMAGE ID',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
  Containers: 'CONTAINERS',
  Layers: 'LAYERS',
};

/** One image as a row of Docker's fields (plus Layers, nsbox's own). */
export function toImageRow(record: ImageRecord, sizes: ImageSizes | undefined, now = Date.now()): Record<string, string> {
  return {
    Repository: record.name,
    Tag: record.tag,
    ID: record.id.replace(/^sha256:/, '').slice(0, 12),
    Digest: '<none>',
    CreatedSince: `${describeDuration(now - Date.parse(record.created))} ago`,
    CreatedAt: formatGoTime(record.created),
    Size: formatSize(record.size),
    SharedSize: formatSize(sizes?.shared ?? 0),
    UniqueSize: formatSize(sizes?.unique ?? record.size),
    Containers: 'N/A',
    Layers: String(record.layers.length),
  };
}
