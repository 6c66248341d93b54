// Renders `nsbox image ls` as an aligned text table.

import type { ImageRecord } from './records.js';

/** The table printed by `nsbox image ls` (a header line, then one line per image). */
export function formatImageTable(records: readonly ImageRecord[]): string {
  const rows = [
    ['NAME', 'TAG', 'IMAGE ID', 'LAYERS', 'SIZE', 'CREATED'],
    ...records.map((r) => [r.name, r.tag, r.id.slice(7, 19), String(r.layers.length), formatSize(r.size), r.created.slice(0, 19).replace('T', ' ')]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ')).join('\n') + '\n';
}

/** Bytes as B, kB, MB or GB (decimal units, like docker). */
export function formatSize(bytes: number): string {
  if (bytes < 1e3) return `${bytes}B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)}kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)}MB`;
  return `${(bytes / 1e9).toFixed(2)}GB`;
}
