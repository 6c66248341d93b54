// Removes what a box held on the network, from its leases alone: the veth, its -p rules, the lease and its files,
// and its line in its peers' /etc/hosts. stop, rm, gc and a foreground box's end call releaseNetwork(boxId);
// gcNetworks() and every new lease release the leases whose box is gone.

import { rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { findTool } from '../host/tools.js';
import { iptablesArgv, portRules, nftPortElement, NFT_TABLE } from './firewall.js';
import { refreshPeerHosts } from './peer-hosts.js';
import { isStaleLease, netPaths, netStateDir, readLeases, vethExists, withNetLock, type Lease } from './state.js';
import { HOST_ENV } from '../host/host-env.js';

/** What was removed, one line each (for gc --dry-run style reports). */
export type Released = string[];

/**
 * Release every lease of box `boxId` (full id or a 12+ character prefix), or only its lease on `network`; safe to
 * call twice, and a no-op (no lock, nothing written) for a box that holds none.
 */
export function releaseNetwork(boxId: string, env: NodeJS.ProcessEnv = process.env, network?: string): Released {
  const dir = netStateDir(env);
  const mine = () => readLeases(dir).filter((l) => l.boxId.startsWith(boxId.slice(0, 12)) && (network === undefined || l.network === network));
  if (mine().length === 0) return [];
  return withNetLock(dir, () => releaseLeases(dir, mine()));
}

/** Release every lease whose nsbox is gone and whose veth went with its box (a crashed, killed or exited run). */
export function gcNetworks(env: NodeJS.ProcessEnv = process.env, dryRun = false): Released {
  const dir = netStateDir(env);
  const find = () => readLeases(dir).filter(isStaleLease);
  if (dryRun) return find().map((l) => `lease ${l.network}/${l.address} of box ${l.boxId.slice(0, 12)}`);
  if (find().length === 0) return [];
  return withNetLock(dir, () => releaseLeases(dir, find()));
}

/**
 * Release `leases` (callers hold the network lock): veth, -p rules (iptables and nft, whichever is installed),
 * lease record, the box's files once it has no lease left; then its peers' /etc/hosts lose its line.
 */
export function releaseLeases(dir: string, leases: readonly Lease[], refresh = true): Released {
  const done: Released = [];
  const tools = { iptables: !!findTool('iptables'), nft: !!findTool('nft') };
  for (const lease of leases) {
    if (vethExists(lease) && run(['ip', 'link', 'del', 'dev', lease.hostVeth])) done.push(`link ${lease.hostVeth}`);
    for (const port of lease.publish) {
      if (tools.iptables) {
        for (const rule of portRules(lease.boxId, lease.address, port)) {
          while (run(iptablesArgv('-D', rule))) done.push(`rule ${rule.table} ${rule.chain} ${port.hostPort}/${port.protocol}`);
        }
      }
      const element = nftPortElement(lease.address, port);
      if (tools.nft && run(['nft', 'delete', 'element', ...NFT_TABLE, element.map, element.key])) {
        done.push(`nft element ${port.hostIp ? `${port.hostIp}:` : ''}${port.hostPort}/${port.protocol}`);
      }
    }
    dropLease(dir, lease);
    done.push(`lease ${lease.network}/${lease.address} of box ${lease.boxId.slice(0, 12)}`);
  }
  // Once per network, after every lease is gone (and also when the caller is about to add a lease: it refreshes then).
  if (refresh) for (const network of new Set(leases.map((l) => l.network))) refreshPeerHosts(dir, network);
  return done;
}

/** Remove a lease record, and the box's files once it holds no other lease (its links and rules are gone). */
export function dropLease(stateDir: string, lease: Lease): void {
  const paths = netPaths(stateDir);
  rmSync(paths.lease(lease.network, lease.address), { force: true });
  if (!readLeases(stateDir).some((l) => l.boxId === lease.boxId)) rmSync(paths.box(lease.boxId), { recursive: true, force: true });
}

function run(argv: readonly string[]): boolean {
  return spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', env: HOST_ENV }).status === 0;
}
