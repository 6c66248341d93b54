// Keeps every box's /etc/hosts in step with its networks: rewritten when a box joins or leaves one of them.

import { closeSync, ftruncateSync, openSync, writeFileSync } from 'node:fs';
import { hostsText } from './files.js';
import { netPaths, readLeases, type Lease } from './state.js';

/** The hosts text of box `boxId` from the current leases: its own address, then every other box on its networks. */
export function boxHostsText(stateDir: string, boxId: string, leases: readonly Lease[]): string | undefined {
  const own = leases.filter((l) => l.boxId === boxId);
  const first = own[0];
  if (!first) return undefined;
  const networks = new Set(own.map((l) => l.network));
  const peers = leases.filter((l) => l.boxId !== boxId && networks.has(l.network));
  const request = { mode: 'user' as const, network: first.network, publish: [], dns: [], addHosts: first.addHosts, names: first.names };
  return hostsText({ request, stateDir, firewall: 'none', hostNameservers: [], network: undefined, lease: first, peers, reserved: true }, boxId);
}

/** Where box `boxId`'s /etc/hosts is on the host: where a lease of it says (an image box's), else its network dir. */
export function hostsFileOf(stateDir: string, boxId: string, leases: readonly Lease[]): string {
  return leases.find((l) => l.boxId === boxId && l.hostsFile !== undefined)?.hostsFile ?? `${netPaths(stateDir).box(boxId)}/hosts`;
}

/**
 * Rewrite, in place, the /etc/hosts of every box on `network` that has one, so boxes find each other by name and
 * no line outlives the box it names. In place because each box has its file bind-mounted: a rename would leave the
 * box with the old inode. Callers hold the network lock.
 */
export function refreshPeerHosts(stateDir: string, network: string): void {
  const leases = readLeases(stateDir);
  const members = new Set(leases.filter((l) => l.network === network).map((l) => l.boxId));
  for (const boxId of members) {
    const file = hostsFileOf(stateDir, boxId, leases);
    const text = boxHostsText(stateDir, boxId, leases);
    if (text === undefined) continue;
    // Opened without O_CREAT: a box whose files are being removed (its undo does not take the network lock) must not
    // get a new hosts file in the directory its undo is about to remove (that made the removal fail, ENOTEMPTY).
    let fd: number;
    try {
      fd = openSync(file, 'r+');
    } catch {
      continue; // no hosts file (yet, or any more)
    }
    try {
      ftruncateSync(fd, 0);
      writeFileSync(fd, text);
    } catch {
      // the box went away meanwhile
    } finally {
      closeSync(fd);
    }
  }
}
