// Renders `nsbox image ls` and `nsbox image history` as aligned text tables.

import type { ImageRecord } from './records.js';
import type { ImageSizes } from './layer-sharing.js';
import type { HistoryRow } from './image-history.js';
import { terminalField } from '../format/terminal-text.js';

/** The table printed by `nsbox image ls` (a header line, then one line per image). */
export function formatImageTable(records: readonly ImageRecord[], sizes: readonly ImageSizes[]): string {
  return alignRows([
    ['NAME', 'TAG', 'IMAGE ID', 'LAYERS', 'SIZE', 'SHARED', 'UNIQUE', 'CREATED'],
    ...records.map((r, i) => [
      r.name,
      r.tag,
      r.id.slice(7, 19),
      String(r.layers.length),
      formatSize(r.size),
      formatSize(sizes[i]?.shared ?? 0),
      formatSize(sizes[i]?.unique ?? r.size),
      r.created.slice(0, 19).replace('T', ' '),
    ]),
  ]);
}

/** The table printed by `nsbox image history` (newest step first, as docker prints it). */
export function formatHistoryTable(rows: readonly HistoryRow[]): string {
  return alignRows([
    ['LAYER', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
    ...rows.map((r) => [r.layer ? r.layer.slice(7, 19) : '<missing>', r.created ? r.created.slice(0, 19).replace('T', ' ') : '', truncate(r.createdBy, 60), formatSize(r.size), r.comment]),
  ]);
}

/** Cells come from image records (a hostile image's history, too): no control character reaches the terminal. */
function alignRows(given: readonly (readonly string[])[]): string {
  const rows = given.map((row) => row.map(terminalField));
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ').trimEnd()).join('\n') + '\n';
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Bytes as B, kB, MB or GB (decimal units, like docker). */
export function formatSize(bytes: number): string {
  if (bytes < 1e3) return `${bytes}B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)}kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)}MB`;
  return `${(bytes / 1e9).toFixed(2)}GB`;
}
