// Text for people: relative times, Docker-like status words, sizes, and aligned tables.

import type { BoxState } from '../state/status.js';

/** "3 seconds", "5 minutes", "2 hours", "4 days". */
export function describeDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 2) return 'Less than a second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? 'About a minute' : `${m} minutes`;
  const h = Math.round(m / 60);
  if (h < 48) return h === 1 ? 'About an hour' : `${h} hours`;
  return `${Math.round(h / 24)} days`;
}

/** Docker's STATUS column: "Up 5 seconds", "Exited (42) 3 seconds ago", "Dead", "Creating". */
export function describeStatus(state: BoxState, started: string, now = Date.now()): string {
  switch (state.status) {
    case 'running':
      return `Up ${describeDuration(now - Date.parse(started))}`;
    case 'exited':
      return `Exited (${state.exitCode})${state.oomKilled ? ' OOM' : ''} ${describeDuration(now - Date.parse(state.finishedAt ?? started))} ago`;
    case 'dead':
      return 'Dead';
    case 'creating':
      return 'Creating';
  }
}

/** Columns padded to the widest cell, separated by three spaces (the last column is not padded). */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_c, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ').trimEnd()).join('\n') + '\n';
}

/** 1536 -> "1.5KiB" (Docker's stats units). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : 1)}${units[unit]}`;
}
