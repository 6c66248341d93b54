// `nsbox network create|rm|ls`: user networks as records plus their bridge and rules, checked under the lock.

import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { NsboxError } from '../errors.js';
import { hostRunner } from '../exec/runner.js';
import { findTool } from '../host/tools.js';
import { readHostNetFacts, type HostNetFacts } from './host-facts.js';
import { legacyNetworkRules, networkRules, iptablesArgv, nftNetworkElements, NFT_TABLE } from './firewall.js';
import { networkInfraSteps } from './plan-network.js';
import { newNetworkRecord, saveNetworkRecord } from './prepare-network.js';
import { validateNetworkName, spellPort } from './request.js';
import { formatSubnet, overlaps, parseSubnet, type Subnet } from './subnet.js';
import { macForAddress } from './names.js';
import { isStaleLease, netPaths, netStateDir, readLeases, readNetwork, readNetworks, withNetLock, type Lease, type NetworkRecord } from './state.js';
import { runHostSteps } from './run-steps.js';
import { HOST_ENV } from '../host/host-env.js';

/**
 * Docker's default address pools, in its order: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. `network create`
 * without --subnet takes the first that overlaps no host route and no network of this state dir.
 */
export const USER_NETWORK_POOLS: readonly Subnet[] = [
  ...Array.from({ length: 15 }, (_, i) => ({ base: (172 * 2 ** 24) + ((17 + i) << 16), prefix: 16 })),
  ...Array.from({ length: 16 }, (_, i) => ({ base: (192 * 2 ** 24) + (168 << 16) + ((i * 16) << 8), prefix: 20 })),
];

/** The first pool subnet that overlaps nothing in `taken`, or undefined when every one does. */
export function pickFreeSubnet(taken: readonly Subnet[], pools: readonly Subnet[] = USER_NETWORK_POOLS): Subnet | undefined {
  return pools.find((s) => !taken.some((t) => overlaps(s, t)));
}

/** Create network `name` on `subnet` (or a free one): a record, then its bridge and rules (the record goes again if they fail). */
export async function createNetwork(name: string, subnetText: string | undefined, env: NodeJS.ProcessEnv = process.env, facts: HostNetFacts = readHostNetFacts()): Promise<NetworkRecord> {
  validateNetworkName('network name', name);
  const asked = subnetText === undefined ? undefined : parseSubnet('--subnet', subnetText);
  const dir = netStateDir(env);
  const record = withNetLock(dir, () => {
    if (readNetwork(dir, name)) throw new NsboxError(`cannot create network ${JSON.stringify(name)}: the name is in use`);
    const networks = readNetworks(dir);
    let subnet: Subnet;
    if (asked) {
      const clash = networks.find((n) => overlaps(parseSubnet('--subnet', n.subnet), asked));
      if (clash) throw new NsboxError(`invalid --subnet ${JSON.stringify(subnetText)}: overlaps network ${JSON.stringify(clash.name)} (${clash.subnet})`);
      const route = facts.routes.find((r) => overlaps(r, asked));
      if (route) throw new NsboxError(`invalid --subnet ${JSON.stringify(subnetText)}: overlaps the host's route to ${formatSubnet(route)}`);
      subnet = asked;
    } else {
      const free = pickFreeSubnet([...facts.routes, ...networks.map((n) => parseSubnet('--subnet', n.subnet))]);
      if (!free) throw new NsboxError(`cannot create network ${JSON.stringify(name)}: every subnet of the default pools overlaps a route or a network`, { hint: 'choose one: --subnet CIDR' });
      subnet = free;
    }
    const made = newNetworkRecord(name, subnet, dir, facts.linkExists);
    if (facts.linkExists(made.bridge)) throw new NsboxError(`cannot create network ${JSON.stringify(name)}: a link named ${made.bridge} already exists`);
    saveNetworkRecord(dir, made);
    return made;
  });
  try {
    await runHostSteps(networkInfraSteps(record, facts.firewall, dir), hostRunner);
  } catch (error) {
    removeNetworkResidue(dir, record);
    throw error;
  }
  return record;
}

/** Remove network `name`: refused while a box holds a lease on it. */
export function removeNetwork(name: string, env: NodeJS.ProcessEnv = process.env): void {
  const dir = netStateDir(env);
  withNetLock(dir, () => {
    const record = readNetwork(dir, name);
    if (!record) throw new NsboxError(`unknown network ${JSON.stringify(name)}`, { hint: 'nsbox network ls lists them' });
    const live = readLeases(dir, name).filter((l) => !isStaleLease(l));
    if (live.length > 0) {
      throw new NsboxError(`cannot remove network ${JSON.stringify(name)}: in use by ${live.length} box${live.length > 1 ? 'es' : ''} (${live.map((l) => l.boxId.slice(0, 12)).join(', ')})`);
    }
    removeNetworkResidue(dir, record);
  });
}

/** The bridge, the network's rules, its records; ip_forward back to what it was when no network is left. */
function removeNetworkResidue(dir: string, record: NetworkRecord): void {
  const run = (argv: readonly string[]) => spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', env: HOST_ENV }).status === 0;
  if (existsSync(`/sys/class/net/${record.bridge}`)) run(['ip', 'link', 'del', 'dev', record.bridge]);
  if (findTool('iptables')) for (const rule of [...networkRules(record.name, record.bridge, record.subnet), ...legacyNetworkRules(record.name, record.bridge)]) while (run(iptablesArgv('-D', rule)));
  if (findTool('nft')) for (const { set, element } of nftNetworkElements(record.bridge, record.subnet)) run(['nft', 'delete', 'element', ...NFT_TABLE, set, element]);
  const paths = netPaths(dir);
  rmSync(paths.network(record.name), { force: true });
  rmSync(paths.ready(record.name), { force: true });
  rmSync(paths.leases(record.name), { recursive: true, force: true });
  // Forwarding is host-wide: while another state dir's bridge is up, it stays on (and this state dir keeps what it
  // found, for the day it is the last one).
  if (readNetworks(dir).length === 0 && existsSync(paths.ipForwardBefore) && nsboxBridges(listLinks()).length === 0) {
    try {
      writeFileSync('/proc/sys/net/ipv4/ip_forward', readFileSync(paths.ipForwardBefore, 'utf8').trim());
    } catch {
      // leave it
    }
    rmSync(paths.ipForwardBefore, { force: true });
  }
}

/** The links that look like some nsbox state dir's bridge (nsbox0, nsbox-HASH, nsbr-NAME). */
export function nsboxBridges(links: readonly string[]): string[] {
  return links.filter((l) => /^(nsbox0|nsbox-[0-9a-f]{8}|nsbr-.+)$/.test(l));
}

function listLinks(): string[] {
  try {
    return readdirSync('/sys/class/net');
  } catch {
    return [];
  }
}

/** A network and the leases on it, for `ls`. */
export interface NetworkListing {
  readonly network: NetworkRecord;
  readonly leases: readonly Lease[];
}

/** Every network with its live leases. */
export function listNetworks(env: NodeJS.ProcessEnv = process.env): NetworkListing[] {
  const dir = netStateDir(env);
  return readNetworks(dir).map((network) => ({ network, leases: readLeases(dir, network.name).filter((l) => !isStaleLease(l)) }));
}

/** A box as `ls` and `inspect` name it: its --name, else its short id. */
export function boxLabel(lease: Lease): string {
  return lease.boxName ?? lease.boxId.slice(0, 12);
}

/** `ls` as a table. */
export function formatNetworkTable(rows: readonly NetworkListing[]): string {
  const lines = [['NAME', 'BRIDGE', 'SUBNET', 'GATEWAY', 'BOXES']];
  for (const { network, leases } of rows) {
    lines.push([network.name, network.bridge, network.subnet, network.gateway, leases.map((l) => `${boxLabel(l)}=${l.address}`).join(',') || '-']);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}


/** `network inspect NAME...`: Docker's shape (Name, Driver, IPAM.Config, Options, Containers) plus nsbox's bridge. */
export function inspectNetworks(names: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, unknown>[] {
  const dir = netStateDir(env);
  return names.map((name) => {
    const network = readNetwork(dir, name);
    if (!network) throw new NsboxError(`unknown network ${JSON.stringify(name)}`, { hint: 'nsbox network ls lists them' });
    const prefix = network.subnet.split('/')[1];
    const leases = readLeases(dir, name).filter((l) => !isStaleLease(l));
    return {
      Name: network.name,
      Created: network.createdAt,
      Driver: 'bridge',
      IPAM: { Driver: 'default', Config: [{ Subnet: network.subnet, Gateway: network.gateway }] },
      Options: { 'com.docker.network.bridge.name': network.bridge },
      Containers: Object.fromEntries(
        leases.map((l) => [l.boxId, { Name: boxLabel(l), IPv4Address: `${l.address}/${prefix}`, MacAddress: macForAddress(l.address), Interface: l.ifname ?? 'eth0', HostVeth: l.hostVeth, Ports: l.publish.map(spellPort) }]),
      ),
    };
  });
}
