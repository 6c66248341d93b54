// Network facts for integration tests, scoped to what one test made (its bridges, their ports, rules naming its
// subnet or bridges), so they pass on a host where other nsbox users make links and rules at the same time.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { findTool } from '../../src/host/tools.js';

/** Every link name in the test's network namespace. */
export function allLinks(): string[] {
  return (JSON.parse(execFileSync('ip', ['-j', 'link'], { encoding: 'utf8' })) as Array<{ ifname: string }>).map((l) => l.ifname).sort();
}

/** The links of `bridges` that exist, and every port still plugged into one of them (a leaked veth's host end). */
export function ownLinks(bridges: readonly string[]): string[] {
  const out: string[] = [];
  for (const bridge of bridges) {
    if (!existsSync(`/sys/class/net/${bridge}`)) continue;
    out.push(bridge);
    const ports = JSON.parse(execFileSync('ip', ['-j', 'link', 'show', 'master', bridge], { encoding: 'utf8' })) as Array<{ ifname: string }>;
    out.push(...ports.map((p) => `${p.ifname}@${bridge}`));
  }
  return out.sort();
}

/** iptables-save lines (counters stripped) that mention one of `needles` (a subnet prefix, a bridge name). */
export function ownRules(needles: readonly string[]): string {
  if (!findTool('iptables')) return '';
  return execFileSync('iptables-save', { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l && !l.startsWith('#') && needles.some((n) => l.includes(n)))
    .map((l) => l.replace(/\[\d+:\d+\]/g, ''))
    .join('\n');
}

/** Lease files under a state dir's net/leases. */
export function leaseFiles(state: string): string[] {
  const dir = `${state}/net/leases`;
  return existsSync(dir) ? readdirSync(dir).flatMap((n) => readdirSync(`${dir}/${n}`).map((f) => `${n}/${f}`)) : [];
}
