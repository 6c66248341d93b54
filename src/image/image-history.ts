// `nsbox image history`: the image config's history steps matched to the image's layers (steps marked
// empty_layer made none), newest first. Without history (a rootfs import), one row per layer.

import type { HistoryEntry, ImageRecord } from './records.js';

export interface HistoryRow {
  /** The layer digest this step made, or undefined for a step that made no layer. */
  readonly layer: string | undefined;
  readonly created: string | undefined;
  readonly createdBy: string;
  readonly size: number;
  readonly comment: string;
}

/** The rows of `image history` for a record. Pure: unit-tested. */
export function buildHistory(record: ImageRecord, layerSize: (digest: string) => number): readonly HistoryRow[] {
  const rows: HistoryRow[] = [];
  const layers = [...record.layers];
  let next = 0;
  for (const step of record.history ?? []) {
    const layer = step.empty_layer ? undefined : layers[next++];
    rows.push({ layer, created: step.created, createdBy: step.created_by ?? '', size: layer ? layerSize(layer) : 0, comment: step.comment ?? '' });
  }
  // Layers no history step accounts for (no history, or a commit on top): one row each.
  for (; next < layers.length; next++) {
    const layer = layers[next]!;
    const by = next === layers.length - 1 && record.source.kind === 'commit' ? `nsbox commit ${record.source.path}` : `nsbox image import (${record.source.kind})`;
    rows.push({ layer, created: record.created, createdBy: by, size: layerSize(layer), comment: '' });
  }
  return rows.reverse();
}

/**
 * The record's history steps, or (an import without history, such as a rootfs tarball or the host's busybox) one
 * step per layer as `image history` shows it: a commit on top keeps these, so its base layers stay described.
 */
export function historySteps(record: ImageRecord): readonly HistoryEntry[] {
  if (record.history && record.history.length > 0) return record.history;
  return record.layers.map(() => ({ created: record.created, created_by: `nsbox image import (${record.source.kind})` }));
}
