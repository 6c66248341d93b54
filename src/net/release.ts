// Removes what a box held on the network, from its lease alone: the veth, its -p rules, the lease and its files.
// `gc` and `rm` call releaseNetwork(boxId); gcNetworks() releases every lease whose box is gone.

import { spawnSync } from 'node:child_process';
import { findTool } from '../host/tools.js';
import { iptablesArgv, portRules, nftPortElement, NFT_TABLE } from './firewall.js';
import { dropLease, refreshPeerHosts } from './prepare-network.js';
import { isStaleLease, netStateDir, readLeases, vethExists, withNetLock, type Lease } from './state.js';
import { HOST_ENV } from '../host/host-env.js';

/** What was removed, one line each (for gc --dry-run style reports). */
export type Released = string[];

/** Release every lease of box `boxId` (full id or a 12+ character prefix); safe to call twice. */
export function releaseNetwork(boxId: string, env: NodeJS.ProcessEnv = process.env): Released {
  const dir = netStateDir(env);
  return withNetLock(dir, () => releaseLeases(dir, readLeases(dir).filter((l) => l.boxId.startsWith(boxId.slice(0, 12)))));
}

/** Release every lease whose nsbox is gone and whose veth went with its box (a crashed or killed run). */
export function gcNetworks(env: NodeJS.ProcessEnv = process.env, dryRun = false): Released {
  const dir = netStateDir(env);
  const find = () => readLeases(dir).filter(isStaleLease);
  if (dryRun) return find().map((l) => `lease ${l.network}/${l.address} of box ${l.boxId.slice(0, 12)}`);
  return withNetLock(dir, () => releaseLeases(dir, find()));
}

function releaseLeases(dir: string, leases: readonly Lease[]): Released {
  const done: Released = [];
  for (const lease of leases) {
    if (vethExists(lease) && run(['ip', 'link', 'del', 'dev', lease.hostVeth])) done.push(`link ${lease.hostVeth}`);
    for (const port of lease.publish) {
      if (findTool('iptables')) {
        for (const rule of portRules(lease.boxId, lease.address, port)) {
          while (run(iptablesArgv('-D', rule))) done.push(`rule ${rule.table} ${rule.chain} ${port.hostPort}/${port.protocol}`);
        }
      }
      if (findTool('nft') && run(['nft', 'delete', 'element', ...NFT_TABLE, 'ports', nftPortElement(lease.address, port).key])) {
        done.push(`nft element ${port.hostPort}/${port.protocol}`);
      }
    }
    dropLease(dir, lease);
    done.push(`lease ${lease.network}/${lease.address} of box ${lease.boxId.slice(0, 12)}`);
    refreshPeerHosts(dir, lease.network, readLeases(dir, lease.network));
  }
  return done;
}

function run(argv: readonly string[]): boolean {
  return spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', env: HOST_ENV }).status === 0;
}
