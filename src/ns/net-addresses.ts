// The IPv4/IPv6 addresses a process sees in its network namespace (for `nsbox ns`), read with nsenter + ip.

import { execFileSync } from 'node:child_process';
import { HOST_ENV } from '../host/host-env.js';

export interface InterfaceAddress {
  readonly ifname: string;
  /** "10.88.0.2/16" */
  readonly address: string;
}

/** Addresses of every interface in PID's network namespace; empty when they cannot be read. */
export function readNetAddresses(pid: number): InterfaceAddress[] {
  let json: string;
  try {
    json = execFileSync('nsenter', ['--target', String(pid), '--net', '--', 'ip', '-j', 'addr', 'show'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000, env: HOST_ENV });
  } catch {
    return [];
  }
  return parseIpAddrJson(json);
}

/** `ip -j addr show` output -> one entry per address. */
export function parseIpAddrJson(json: string): InterfaceAddress[] {
  let links: Array<{ ifname?: string; addr_info?: Array<{ local?: string; prefixlen?: number }> }>;
  try {
    links = JSON.parse(json);
  } catch {
    return [];
  }
  return links.flatMap((link) =>
    (link.addr_info ?? []).filter((a) => a.local !== undefined).map((a) => ({ ifname: link.ifname ?? '?', address: `${a.local}/${a.prefixlen ?? ''}` })),
  );
}
