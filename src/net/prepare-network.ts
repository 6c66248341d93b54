// Resolves a box's network request against the host before planning: finds (or, for the default network, makes)
// the network record, checks -p ports, and takes an address lease under the network lock. Records only: every
// link and rule is made later by the plan's steps. With dryRun nothing is written.

import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { NsboxError } from '../errors.js';
import { readHostNetFacts, type HostNetFacts } from './host-facts.js';
import { DEFAULT_NETWORK, portsOverlap, spellPort, type NetworkRequest, type PortMapping } from './request.js';
import { bridgeNameFor, hostVethName } from './names.js';
import { boxAddresses, formatIpv4, formatSubnet, gatewayOf, overlaps, parseSubnet, type Subnet } from './subnet.js';
import { createRecord, INFRA_VERSION, isStaleLease, netPaths, netStateDir, processStart, readLeasesSettled, readNetwork, readNetworks, withNetLock, writeRecord, type Lease, type NetworkRecord } from './state.js';
import type { NetworkSetup } from './setup.js';
import { refreshPeerHosts } from './peer-hosts.js';
import { releaseLeases } from './release.js';
import { chooseHostPorts } from './choose-ports.js';

/** Candidates for the default network's subnet, first one that collides with nothing wins. */
const DEFAULT_SUBNETS = ['10.88.0.0/16', ...Array.from({ length: 11 }, (_, i) => `10.${89 + i}.0.0/16`), '172.30.0.0/16', '172.31.0.0/16', '192.168.234.0/24'];

export interface PrepareOptions {
  readonly dryRun: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** Tests pass fake facts. */
  readonly facts?: HostNetFacts;
  /** The interface inside the box: eth0, or the next free one for `network connect`. */
  readonly ifname?: string;
  /** The box's --name. */
  readonly boxName?: string;
}

/** Resolve the request for box `boxId`; bad input (unknown network, port in use, full subnet) is an NsboxError. */
export function prepareNetwork(request: NetworkRequest, boxId: string, options: PrepareOptions): NetworkSetup {
  const stateDir = netStateDir(options.env);
  if (request.mode === 'none' || request.mode === 'host') {
    // --add-host and --dns still give the box its own /etc/hosts and resolv.conf, made in STATE/net/boxes/<id>
    if (!options.dryRun && (request.addHosts.length > 0 || request.dns.length > 0)) privateBoxesDir(netPaths(stateDir).boxes);
    return { request, stateDir, firewall: 'none', hostNameservers: [], reserved: false, network: undefined, lease: undefined, peers: [] };
  }
  const facts = options.facts ?? readHostNetFacts();
  const base = { request, stateDir, firewall: facts.firewall, hostNameservers: facts.nameservers, reserved: !options.dryRun };
  if (request.publish.length > 0 && facts.firewall === 'none') {
    throw new NsboxError('cannot publish ports: neither iptables nor nft is installed', { hint: 'install one: apt-get install iptables' });
  }
  const resolve = () => {
    const found = readLeasesSettled(stateDir);
    // A stale lease's box is gone: release it whole (its -p rules too) before its address can be handed on.
    if (!options.dryRun) releaseLeases(stateDir, found.filter(isStaleLease));
    const all = found.filter((l) => !isStaleLease(l));
    // Ports first: a refused -p must not leave the default network's record behind.
    checkPorts(request, all, facts);
    const ports = choosePorts(stateDir, request, all, facts);
    const publish = ports.publish;
    const network = findNetwork(stateDir, request, facts, options.dryRun);
    const peers = all.filter((l) => l.network === network.name);
    const lease: Lease = {
      boxId,
      network: network.name,
      address: pickAddress(network, peers, leaseFileAddresses(stateDir, network.name)),
      hostVeth: hostVethName(boxId, options.ifname),
      ...(options.ifname && options.ifname !== 'eth0' ? { ifname: options.ifname } : {}),
      ...(options.boxName !== undefined ? { boxName: options.boxName } : {}),
      publish,
      names: request.names,
      addHosts: request.addHosts,
      owner: { pid: process.pid, start: processStart(process.pid) },
      createdAt: new Date().toISOString(),
    };
    // Like docker0, the bridge and its rules are shared: made once per bridge, not repeated per box.
    const infraReady = isInfraReady(stateDir, network, facts);
    const setup: NetworkSetup = { ...base, network, lease, peers, infraReady };
    if (!options.dryRun) {
      const paths = netPaths(stateDir);
      mkdirSync(paths.leases(network.name), { recursive: true });
      privateBoxesDir(paths.boxes);
      if (!createRecord(paths.lease(network.name, lease.address), lease)) throw new Error(`internal: lease ${lease.address} taken under the lock`);
      ports.remember();
      refreshPeerHosts(stateDir, network.name);
    }
    return setup;
  };
  return options.dryRun ? resolve() : withNetLock(stateDir, resolve);
}

/** The network named in the request; the default one is made on first use with a subnet no route overlaps. */
function findNetwork(stateDir: string, request: NetworkRequest, facts: HostNetFacts, dryRun: boolean): NetworkRecord {
  const found = readNetwork(stateDir, request.network);
  if (found) return found;
  if (request.network !== DEFAULT_NETWORK) {
    throw new NsboxError(`unknown network ${JSON.stringify(request.network)}`, { hint: `create it: nsbox network create ${request.network} --subnet CIDR` });
  }
  const taken = [...facts.routes, ...readNetworks(stateDir).map((n) => parseSubnet('--subnet', n.subnet))];
  const subnet = DEFAULT_SUBNETS.map((s) => parseSubnet('--subnet', s)).find((s) => !taken.some((t) => overlaps(s, t)));
  if (!subnet) throw new NsboxError('cannot choose a subnet for the default network: every candidate overlaps a route', { hint: 'choose one: nsbox network create bridge --subnet CIDR' });
  const record = newNetworkRecord(DEFAULT_NETWORK, subnet, stateDir);
  // Each state dir names its own default bridge; one that exists with no record here was left by an older nsbox
  // or a lost state dir, and adding a second subnet to it would leave rules nobody removes.
  if (facts.linkExists(record.bridge)) {
    throw new NsboxError(`cannot make the default network: bridge ${record.bridge} exists but is not recorded in ${stateDir}`, {
      hint: `use the NSBOX_STATE that made it, or remove it: ip link del ${record.bridge}`,
    });
  }
  if (!dryRun) saveNetworkRecord(stateDir, record);
  return record;
}

/** A network record for `name` on `subnet` (the bridge holds the first address); see bridgeNameFor for `taken`. */
export function newNetworkRecord(name: string, subnet: Subnet, stateDir?: string, taken?: (link: string) => boolean): NetworkRecord {
  return { name, bridge: bridgeNameFor(name, stateDir, taken), subnet: formatSubnet(subnet), gateway: formatIpv4(gatewayOf(subnet)), createdAt: new Date().toISOString() };
}

/**
 * True when the network's shared set-up was done for the bridge that exists now (its ifindex was recorded after the
 * set-up) and forwarding is still on: then a box only adds its own veth and rules.
 */
export function isInfraReady(stateDir: string, network: NetworkRecord, facts: HostNetFacts): boolean {
  if (!facts.linkExists(network.bridge)) return false;
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return '';
    }
  };
  const marker = read(netPaths(stateDir).ready(network.name));
  return marker !== '' && marker === `${INFRA_VERSION} ${read(`/sys/class/net/${network.bridge}/ifindex`)}` && (facts.firewall === 'none' || read('/proc/sys/net/ipv4/ip_forward') === '1');
}

/** Save a new network record; the first one also remembers ip_forward so the last `network rm` can restore it. */
export function saveNetworkRecord(stateDir: string, record: NetworkRecord): void {
  const paths = netPaths(stateDir);
  mkdirSync(paths.networks, { recursive: true });
  if (!existsSync(paths.ipForwardBefore)) {
    let before = '0';
    try {
      before = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    } catch {
      // not readable: assume off
    }
    writeFileSync(paths.ipForwardBefore, `${before}\n`);
  }
  writeRecord(paths.network(record.name), record);
}

/**
 * -p: a host port must be free on the host (on any address: DNAT would take a listener's traffic) and not published
 * by another box on an address in common; `-p IP:...` names an address of this host (Docker fails to bind otherwise).
 */
function checkPorts(request: NetworkRequest, leases: readonly Lease[], facts: HostNetFacts): void {
  for (const port of request.publish) {
    if (port.hostPort === 0) {
      if (port.hostIp && !isHostAddress(port.hostIp, facts)) throw new NsboxError(`invalid -p ${JSON.stringify(spellPort(port))}: ${port.hostIp} is not an address of this host`);
      continue;
    }
    const key = `${port.hostPort}/${port.protocol}`;
    const holder = leases.find((l) => l.publish.some((p) => portsOverlap(p, port)));
    const spelled = spellPort(port);
    if (holder) throw new NsboxError(`invalid -p ${JSON.stringify(spelled)}: host port ${key} is already published by box ${holder.boxId.slice(0, 12)}`);
    if (facts.listening.has(key)) throw new NsboxError(`invalid -p ${JSON.stringify(spelled)}: host port ${key} is in use by a process on the host`);
    if (port.hostIp && !isHostAddress(port.hostIp, facts)) throw new NsboxError(`invalid -p ${JSON.stringify(spelled)}: ${port.hostIp} is not an address of this host`);
  }
}

/**
 * The lease's ports: each host port left to nsbox is chosen now (under the lock, with every lease read), after the
 * one chosen last; `remember` records that one once the lease is taken.
 */
function choosePorts(stateDir: string, request: NetworkRequest, leases: readonly Lease[], facts: HostNetFacts): { publish: PortMapping[]; remember: () => void } {
  if (!request.publish.some((p) => p.hostPort === 0)) return { publish: [...request.publish], remember: () => undefined };
  const file = netPaths(stateDir).lastPort;
  let after: number | undefined;
  try {
    after = Number.parseInt(readFileSync(file, 'utf8'), 10) || undefined;
  } catch {
    // first choice in this state dir
  }
  // Ports another state dir's boxes (or another tool) already forward count as taken too: their leases are not ours.
  const busy = new Set([...facts.listening, ...(facts.forwarded?.() ?? [])]);
  const { ports, last } = chooseHostPorts({ wanted: request.publish, taken: leases.flatMap((l) => l.publish), listening: busy, range: facts.ephemeralPorts, ...(after ? { after } : {}) });
  return { publish: ports, remember: () => last !== undefined && last !== after && writeRecord(file, last) };
}

/** 127.0.0.0/8 is always the host's (lo); other addresses from the host's interfaces. */
function isHostAddress(ip: string, facts: HostNetFacts): boolean {
  return ip.startsWith('127.') || facts.localAddresses.has(ip);
}

/** The lowest free address of the network (the lock makes this choice exclusive). */
function pickAddress(network: NetworkRecord, leases: readonly Lease[], files: readonly string[]): string {
  // File names count too: a lease being rewritten by its box's plan may not parse at this instant.
  const used = new Set([...leases.map((l) => l.address), ...files]);
  for (const a of boxAddresses(parseSubnet('--subnet', network.subnet))) {
    const text = formatIpv4(a);
    if (!used.has(text)) return text;
  }
  throw new NsboxError(`network ${JSON.stringify(network.name)} is full: every address of ${network.subnet} is leased`);
}

/** Addresses that have a lease file on `network` (parsed or not). */
function leaseFileAddresses(stateDir: string, network: string): string[] {
  try {
    return readdirSync(netPaths(stateDir).leases(network)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
  } catch {
    return [];
  }
}

/**
 * STATE/net/boxes, root's alone (0700; an older nsbox made it 0755): each box's hosts, hostname and resolv.conf are
 * bind-mounted writable into the box, whose root can write an executable there and chmod it setuid root; any host
 * user who could reach the file would run it as root.
 */
function privateBoxesDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o7777;
  if (mode & 0o077) chmodSync(dir, mode & 0o7700);
}
