// `nsbox network create|rm|ls`: user networks as records plus their bridge and rules, checked under the lock.

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { NsboxError } from '../errors.js';
import { hostRunner } from '../exec/runner.js';
import { findTool } from '../host/tools.js';
import { readHostNetFacts, type HostNetFacts } from './host-facts.js';
import { networkRules, iptablesArgv, nftNetworkElements, NFT_TABLE } from './firewall.js';
import { networkInfraSteps } from './plan-network.js';
import { newNetworkRecord, saveNetworkRecord } from './prepare-network.js';
import { validateNetworkName } from './request.js';
import { formatSubnet, overlaps, parseSubnet } from './subnet.js';
import { isStaleLease, netPaths, netStateDir, readLeases, readNetwork, readNetworks, withNetLock, type Lease, type NetworkRecord } from './state.js';
import { runHostSteps } from './run-steps.js';
import { HOST_ENV } from '../host/host-env.js';

/** Create network `name` on `subnet`: a record, then its bridge and rules (the record goes again if they fail). */
export async function createNetwork(name: string, subnetText: string | undefined, env: NodeJS.ProcessEnv = process.env, facts: HostNetFacts = readHostNetFacts()): Promise<NetworkRecord> {
  validateNetworkName('network name', name);
  if (subnetText === undefined) throw new NsboxError('missing --subnet: nsbox network create NAME --subnet CIDR (e.g. 10.89.0.0/24)');
  const subnet = parseSubnet('--subnet', subnetText);
  const dir = netStateDir(env);
  const record = withNetLock(dir, () => {
    if (readNetwork(dir, name)) throw new NsboxError(`cannot create network ${JSON.stringify(name)}: the name is in use`);
    const clash = readNetworks(dir).find((n) => overlaps(parseSubnet('--subnet', n.subnet), subnet));
    if (clash) throw new NsboxError(`invalid --subnet ${JSON.stringify(subnetText)}: overlaps network ${JSON.stringify(clash.name)} (${clash.subnet})`);
    const route = facts.routes.find((r) => overlaps(r, subnet));
    if (route) throw new NsboxError(`invalid --subnet ${JSON.stringify(subnetText)}: overlaps the host's route to ${formatSubnet(route)}`);
    const made = newNetworkRecord(name, subnet);
    if (existsSync(`/sys/class/net/${made.bridge}`)) throw new NsboxError(`cannot create network ${JSON.stringify(name)}: a link named ${made.bridge} already exists`);
    saveNetworkRecord(dir, made);
    return made;
  });
  try {
    await runHostSteps(networkInfraSteps(record, facts.firewall), hostRunner);
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
  if (findTool('iptables')) for (const rule of networkRules(record.name, record.bridge, record.subnet)) while (run(iptablesArgv('-D', rule)));
  if (findTool('nft')) for (const { set, element } of nftNetworkElements(record.bridge, record.subnet)) run(['nft', 'delete', 'element', ...NFT_TABLE, set, element]);
  const paths = netPaths(dir);
  rmSync(paths.network(record.name), { force: true });
  rmSync(paths.leases(record.name), { recursive: true, force: true });
  if (readNetworks(dir).length === 0 && existsSync(paths.ipForwardBefore)) {
    try {
      writeFileSync('/proc/sys/net/ipv4/ip_forward', readFileSync(paths.ipForwardBefore, 'utf8').trim());
    } catch {
      // leave it
    }
    rmSync(paths.ipForwardBefore, { force: true });
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

/** `ls` as a table. */
export function formatNetworkTable(rows: readonly NetworkListing[]): string {
  const lines = [['NAME', 'BRIDGE', 'SUBNET', 'GATEWAY', 'BOXES']];
  for (const { network, leases } of rows) {
    lines.push([network.name, network.bridge, network.subnet, network.gateway, leases.map((l) => `${l.boxId.slice(0, 12)}=${l.address}`).join(',') || '-']);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

