// Renders an `nsbox ns` report: an aligned table for people, a JSON document with stable keys for scripts.

import type { NsReport } from './ns-report.js';
import { formatIdMap } from './id-map.js';
import type { CgroupMembership } from './proc-cgroup.js';
import { SECCOMP_MODES } from './proc-status.js';

/** The report as a table: one row per namespace, then the process's maps, capabilities and cgroups. */
export function renderNsTable(report: NsReport): string {
  const header = ['NAMESPACE', `PID ${report.pid}`, `OTHER ${report.otherPid}`, 'STATE'];
  const rows = report.namespaces.map((r) => [r.namespace, show(r.inode), show(r.otherInode), r.state]);
  const lines = alignColumns([header, ...rows]);
  if (report.otherNote) lines.push(`(${report.otherNote})`);
  lines.push('', ...renderDetails(report));
  return `${lines.join('\n')}\n`;
}

function renderDetails(report: NsReport): string[] {
  const p = report.process;
  const pairs: [string, string][] = [];
  if (p.inUserNamespace) {
    pairs.push(['uid_map', formatIdMap(p.uidMap)], ['gid_map', formatIdMap(p.gidMap)]);
  } else {
    pairs.push(['uid_map', 'initial user namespace (0 0 4294967295)']);
  }
  pairs.push(['CapEff', p.capEff === undefined ? 'unknown' : `${p.capEff} (${p.capabilitySummary})`]);
  pairs.push(['NoNewPrivs', p.noNewPrivs === undefined ? 'unknown' : p.noNewPrivs ? '1' : '0']);
  pairs.push(['Seccomp', describeSeccomp(p.seccomp, p.seccompFilters)]);
  const cgroups = groupCgroups(p.cgroups);
  cgroups.forEach((line, i) => pairs.push([i === 0 ? 'cgroup' : '', line]));
  p.limits.forEach((limit, i) => pairs.push([i === 0 ? 'limits' : '', `${limit.name} ${limit.value} (${limit.file})`]));
  if (p.addresses.length > 0) pairs.push(['addresses', p.addresses.map((a) => `${a.ifname} ${a.address}`).join(', ')]);
  return alignColumns(pairs.map(([k, v]) => [k, v]));
}

/** "path (controllers)" lines, one per distinct path, v2 shown as "(v2)". */
function groupCgroups(memberships: readonly CgroupMembership[]): string[] {
  const byPath = new Map<string, string[]>();
  for (const m of memberships) {
    const names = m.hierarchy === 0 ? ['v2'] : m.controllers;
    byPath.set(m.path, [...(byPath.get(m.path) ?? []), ...names]);
  }
  if (byPath.size === 0) return ['none'];
  return [...byPath].map(([path, names]) => `${path} (${names.join(', ')})`);
}

/** The report as a JSON-ready object; keys are stable (scripts depend on them), absent values are null. */
export function toNsJson(report: NsReport): unknown {
  const p = report.process;
  return {
    pid: report.pid,
    other: report.otherPid,
    otherNote: report.otherNote ?? null,
    namespaces: report.namespaces.map((r) => ({
      namespace: r.namespace,
      inode: r.inode ?? null,
      otherInode: r.otherInode ?? null,
      isolated: r.state === 'isolated',
      state: r.state,
    })),
    process: {
      inUserNamespace: p.inUserNamespace,
      uidMap: p.uidMap,
      gidMap: p.gidMap,
      capEff: p.capEff ?? null,
      capabilities: p.capabilities,
      noNewPrivs: p.noNewPrivs ?? null,
      seccomp: p.seccomp ?? null,
      seccompFilters: p.seccompFilters ?? null,
      cgroups: p.cgroups,
      limits: p.limits,
      addresses: p.addresses,
    },
  };
}

/** "2 (filter, 1 program)", "0 (disabled)", or "unknown" on a kernel without the field. */
function describeSeccomp(mode: number | undefined, filters: number | undefined): string {
  if (mode === undefined) return 'unknown';
  const name = SECCOMP_MODES[mode] ?? 'unknown mode';
  return mode === 2 && filters !== undefined ? `${mode} (${name}, ${filters} program${filters === 1 ? '' : 's'})` : `${mode} (${name})`;
}

function show(value: number | undefined): string {
  return value === undefined ? '-' : String(value);
}

/** Pads every column but the last to its widest cell, two spaces apart. */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}
