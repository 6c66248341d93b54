// The lines of a box's /etc/hosts and /etc/resolv.conf. Pure; image boxes write these lines into their rootfs.

import type { NetworkSetup } from './setup.js';
import type { Lease } from './state.js';

/** /etc/hosts: localhost, the box's own names, the other boxes of its network, then --add-host entries. */
export function hostsLines(setup: NetworkSetup, boxId: string): string[] {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  const lease = setup.lease;
  if (lease) lines.push(`${lease.address}\t${namesOf(lease, boxId).join(' ')}`);
  else if (setup.request.names.length > 0) lines.push(`127.0.1.1\t${setup.request.names.join(' ')}`);
  for (const peer of setup.peers) lines.push(`${peer.address}\t${namesOf(peer, peer.boxId).join(' ')}`);
  for (const entry of setup.request.addHosts) lines.push(`${entry.address}\t${entry.name}`);
  return lines;
}

/** The file text of hostsLines. */
export function hostsText(setup: NetworkSetup, boxId: string): string {
  return `${hostsLines(setup, boxId).join('\n')}\n`;
}

/** Nameservers: --dns when given; else the host's, without loopback ones a box on a bridge cannot reach. */
export function nameservers(setup: NetworkSetup): string[] {
  if (setup.request.dns.length > 0) return [...setup.request.dns];
  if (setup.request.mode === 'host') return [...setup.hostNameservers];
  return setup.hostNameservers.filter((n) => !n.startsWith('127.') && n !== '::1');
}

/** True when the box needs a resolv.conf of its own (the host's would not work or --dns asked for another). */
export function needsResolvConf(setup: NetworkSetup): boolean {
  return setup.request.dns.length > 0 || (setup.lease !== undefined && nameservers(setup).length !== setup.hostNameservers.length);
}

/** True when the box needs an /etc/hosts of its own. */
export function needsHostsFile(setup: NetworkSetup): boolean {
  return setup.lease !== undefined || setup.request.addHosts.length > 0;
}

/** resolv.conf text. */
export function resolvText(setup: NetworkSetup): string {
  return nameservers(setup).map((n) => `nameserver ${n}\n`).join('');
}

/** A lease's names: its own (hostname, --name) and its short id. */
export function namesOf(lease: Pick<Lease, 'names'>, boxId: string): string[] {
  return [...new Set([...lease.names, boxId.slice(0, 12)])];
}
