// `nsbox system df` as text (Docker's table, and -v's three lists), as JSON, and as the rows its --format sees.

import { alignColumns } from '../format/template.js';
import { formatSize } from '../image/format-table.js';
import type { DiskUsage, UsageRow } from './disk-usage.js';

/** "1.2MB (50%)", as Docker's RECLAIMABLE (no percent for the build cache). */
function reclaimable(row: UsageRow): string {
  if (row.Type === 'Build Cache') return formatSize(row.Reclaimable);
  const percent = row.Size === 0 ? 0 : Math.round((row.Reclaimable * 100) / row.Size);
  return `${formatSize(row.Reclaimable)} (${percent}%)`;
}

/** What a --format template sees of a row: Docker's fields, sizes as Docker writes them. */
export function usageFormatRow(row: UsageRow): Record<string, unknown> {
  return { Type: row.Type, TotalCount: row.TotalCount, Active: row.Active, Size: formatSize(row.Size), Reclaimable: reclaimable(row) };
}

export const USAGE_HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

const tabbed = (cells: readonly (string | number)[]) => cells.join('\t');

export function renderUsageRows(rows: readonly UsageRow[]): string {
  return alignColumns([tabbed(['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE']), ...rows.map((r) => tabbed([r.Type, r.TotalCount, r.Active, formatSize(r.Size), reclaimable(r)]))]);
}

/** -v: each image, box and volume, as `docker system df -v`. */
export function renderUsageDetail(usage: DiskUsage): string {
  const images = alignColumns([
    tabbed(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS']),
    ...usage.images.map((i) => tabbed([i.record.name, i.record.tag, i.record.id.replace(/^sha256:/, '').slice(0, 12), i.record.created.slice(0, 19).replace('T', ' '), formatSize(i.shared + i.unique), formatSize(i.shared), formatSize(i.unique), i.containers])),
  ]);
  const boxes = alignColumns([
    tabbed(['CONTAINER ID', 'IMAGE', 'COMMAND', 'SIZE', 'CREATED', 'STATUS', 'NAMES']),
    ...usage.boxes.map(({ box, size }) => tabbed([box.record.id.slice(0, 12), box.record.image ?? '', JSON.stringify(box.record.command.join(' ').slice(0, 20)), formatSize(size), box.record.created.slice(0, 19).replace('T', ' '), box.now.status, box.record.name ?? ''])),
  ]);
  const volumes = alignColumns([tabbed(['VOLUME NAME', 'LINKS', 'SIZE']), ...usage.volumes.map((v) => tabbed([v.name, v.links, formatSize(v.size)]))]);
  return `Images space usage:\n\n${images}\nContainers space usage:\n\n${boxes}\nLocal Volumes space usage:\n\n${volumes}\nBuild cache usage: 0B\n`;
}

/** --json: the four rows in bytes; with -v each image, box and volume too. */
export function usageJson(usage: DiskUsage, verbose: boolean): unknown {
  if (!verbose) return usage.rows;
  return {
    rows: usage.rows,
    images: usage.images.map((i) => ({ name: i.record.name, tag: i.record.tag, id: i.record.id, size: i.shared + i.unique, sharedSize: i.shared, uniqueSize: i.unique, containers: i.containers })),
    containers: usage.boxes.map(({ box, size }) => ({ id: box.record.id, name: box.record.name ?? null, image: box.record.image ?? null, status: box.now.status, size })),
    volumes: usage.volumes.map((v) => ({ name: v.name, links: v.links, size: v.size })),
  };
}
