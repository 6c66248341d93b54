// What a box asked of the network (--net/--network, -p, --dns, --add-host), validated from flags. Pure.

import { flagError } from '../errors.js';
import { formatIpv4, parseIpv4 } from './subnet.js';

/** none: a new netns with only lo; host: the host's; bridge: the default network; user: a network made by `network create`. */
export type NetworkMode = 'none' | 'host' | 'bridge' | 'user';
export type Protocol = 'tcp' | 'udp';

/** `-p [IP:]HOSTPORT:BOXPORT[/PROTO]`. */
export interface PortMapping {
  /** Docker's `-p 127.0.0.1:8080:80`: only traffic to this host address; absent: every host address. */
  readonly hostIp?: string;
  readonly hostPort: number;
  readonly boxPort: number;
  readonly protocol: Protocol;
}

/** One /etc/hosts line the box gets: `address name`. */
export interface HostEntry {
  readonly name: string;
  readonly address: string;
}

export interface NetworkRequest {
  readonly mode: NetworkMode;
  /** The network's name: "bridge" for the default one, the user's name otherwise; "" for none and host. */
  readonly network: string;
  readonly publish: readonly PortMapping[];
  readonly dns: readonly string[];
  readonly addHosts: readonly HostEntry[];
  /** Names other boxes on the network find this one by (hostname, --name); the short id is always added. */
  readonly names: readonly string[];
}

/** The name of the default network (its bridge: nsbox0 for /run/nsbox, else named after the state dir). */
export const DEFAULT_NETWORK = 'bridge';
const NAME_RULE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
const HOST_RULE = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** Check a user network's name (Docker's rule for names; none and host are modes, not networks). */
export function validateNetworkName(flag: string, name: string): string {
  if (!NAME_RULE.test(name)) throw flagError(flag, name, 'a network name is [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63 characters');
  if (name === 'none' || name === 'host') throw flagError(flag, name, `"${name}" is a mode, not a network name`);
  return name;
}

export interface NetworkFlags {
  /** Bare --net (boolean) or --network VALUE / --net=VALUE (string). */
  readonly net: boolean | undefined;
  readonly network: string | undefined;
  readonly publish: readonly string[];
  readonly dns: readonly string[];
  readonly addHost: readonly string[];
  readonly names: readonly string[];
}

/** The request, or undefined when no network flag was given (the box shares the host's network namespace). */
export function buildNetworkRequest(flags: NetworkFlags): NetworkRequest | undefined {
  const value = flags.network ?? (flags.net ? 'none' : undefined);
  const anyOther = flags.publish.length + flags.dns.length + flags.addHost.length > 0;
  if (value === undefined && !anyOther) return undefined;
  const mode: NetworkMode = value === undefined || value === 'host' ? 'host' : value === 'none' ? 'none' : value === DEFAULT_NETWORK ? 'bridge' : 'user';
  const network = mode === 'bridge' ? DEFAULT_NETWORK : mode === 'user' ? validateNetworkName('--net', value!) : '';
  const publish = flags.publish.map(parsePortMapping);
  if (publish.length > 0 && (mode === 'none' || mode === 'host')) {
    throw flagError('-p', flags.publish[0], mode === 'host' ? 'with --net host the box already uses the host\'s ports' : 'needs --net bridge or --net NAME (a box with only lo cannot be reached)');
  }
  for (const [i, p] of publish.entries()) {
    const earlier = publish.findIndex((q) => portsOverlap(p, q));
    if (earlier < i) throw flagError('-p', flags.publish[i], `host port ${p.hostPort}/${p.protocol} is already published by -p ${flags.publish[earlier]}`);
  }
  return {
    mode,
    network,
    publish,
    dns: flags.dns.map((d) => checkAddress('--dns', d)),
    addHosts: flags.addHost.map(parseHostEntry),
    names: [...new Set(flags.names.filter((n) => HOST_RULE.test(n)))],
  };
}

/** `[IP:]HOSTPORT:BOXPORT[/tcp|udp]`, ports 1-65535, IP an IPv4 address (0.0.0.0: every address, as no IP). */
export function parsePortMapping(text: string): PortMapping {
  const match = /^(?:([0-9.]+):)?(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(text);
  if (!match) throw flagError('-p', text, 'expected [IP:]HOSTPORT:BOXPORT[/tcp|udp], e.g. 8080:80 or 127.0.0.1:8080:80');
  const hostPort = Number(match[2]);
  const boxPort = Number(match[3]);
  for (const [given, port] of [[match[2], hostPort], [match[3], boxPort]] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw flagError('-p', text, `port ${given} is out of range 1-65535`);
  }
  const protocol = (match[4] as Protocol | undefined) ?? 'tcp';
  if (match[1] === undefined) return { hostPort, boxPort, protocol };
  const ip = parseIpv4(match[1]);
  if (ip === undefined) throw flagError('-p', text, `${match[1]} is not an IPv4 address`);
  const hostIp = formatIpv4(ip);
  return hostIp === '0.0.0.0' ? { hostPort, boxPort, protocol } : { hostIp, hostPort, boxPort, protocol };
}

/** A mapping as -p spells it: "8080:80/tcp", "127.0.0.1:8080:80/tcp". */
export function spellPort(p: PortMapping): string {
  return `${p.hostIp ? `${p.hostIp}:` : ''}${p.hostPort}:${p.boxPort}/${p.protocol}`;
}

/** True when both would take the same host traffic: same port and protocol, and an address in common. */
export function portsOverlap(a: PortMapping, b: PortMapping): boolean {
  return a.hostPort === b.hostPort && a.protocol === b.protocol && (!a.hostIp || !b.hostIp || a.hostIp === b.hostIp);
}

/** `NAME:IP` for --add-host (IPv4). */
export function parseHostEntry(text: string): HostEntry {
  const at = text.lastIndexOf(':');
  const name = at === -1 ? '' : text.slice(0, at);
  if (at === -1 || !HOST_RULE.test(name)) throw flagError('--add-host', text, 'expected NAME:IPV4, e.g. db:10.89.0.5');
  return { name, address: checkAddress('--add-host', text.slice(at + 1), text) };
}

function checkAddress(flag: string, address: string, whole = address): string {
  const value = parseIpv4(address);
  if (value === undefined) throw flagError(flag, whole, `${JSON.stringify(address)} is not an IPv4 address`);
  return formatIpv4(value);
}

/** The request's own names, for error messages. */
export function describeMode(request: NetworkRequest): string {
  return request.mode === 'user' ? `network ${JSON.stringify(request.network)}` : `--net ${request.mode}`;
}

