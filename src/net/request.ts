// What a box asked of the network (--net/--network, -p, --dns, --add-host), validated from flags. Pure.

import { flagError } from '../errors.js';
import { formatIpv4, parseIpv4 } from './subnet.js';

/** none: a new netns with only lo; host: the host's; bridge: the default network; user: a network made by `network create`. */
export type NetworkMode = 'none' | 'host' | 'bridge' | 'user';
export type Protocol = 'tcp' | 'udp';

/**
 * One published port. In a box's lease and record every field is concrete; in a request (as -p asked it) hostPort
 * 0 means "nsbox chooses a free one" (`-p 80`, `-p IP::80`, `-p 0:80`), from hostRange when -p gave one
 * (`-p 8000-8010:80`), else from the host's ephemeral range.
 */
export interface PortMapping {
  /** Docker's `-p 127.0.0.1:8080:80`: only traffic to this host address; absent: every host address. */
  readonly hostIp?: string;
  readonly hostPort: number;
  readonly boxPort: number;
  readonly protocol: Protocol;
  /** Only with hostPort 0: the host ports to choose from, inclusive. */
  readonly hostRange?: readonly [number, number];
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
  /** -P: every exposed port, each to a host port nsbox chooses. */
  readonly publishAll?: boolean;
  /** What -P publishes: the image's ExposedPorts keys ("80/tcp") and --expose values, as given. */
  readonly exposed?: readonly ExposedPort[];
  readonly dns: readonly string[];
  readonly addHost: readonly string[];
  readonly names: readonly string[];
}

/** A port the box says it serves (image ExposedPorts, --expose); -P publishes it. */
export interface ExposedPort {
  readonly port: number;
  readonly protocol: Protocol;
}

/** The request, or undefined when no network flag was given (the box shares the host's network namespace). */
export function buildNetworkRequest(flags: NetworkFlags): NetworkRequest | undefined {
  const value = flags.network ?? (flags.net ? 'none' : undefined);
  const explicit = flags.publish.map((text) => ({ text, ports: parsePortSpec(text) }));
  const all = flags.publishAll ? publishAllPorts(flags.exposed ?? [], explicit.flatMap((e) => e.ports)) : [];
  const anyOther = explicit.length + all.length + flags.dns.length + flags.addHost.length > 0;
  if (value === undefined && !anyOther) return undefined;
  const mode: NetworkMode = value === undefined || value === 'host' ? 'host' : value === 'none' ? 'none' : value === DEFAULT_NETWORK ? 'bridge' : 'user';
  const network = mode === 'bridge' ? DEFAULT_NETWORK : mode === 'user' ? validateNetworkName('--net', value!) : '';
  const given = [...explicit.flatMap((e) => e.ports.map((port) => ({ port, text: `-p ${e.text}` }))), ...all.map((port) => ({ port, text: `-P (${port.boxPort}/${port.protocol})` }))];
  if (given.length > 0 && (mode === 'none' || mode === 'host')) {
    const [flag, text] = explicit.length > 0 ? ['-p', explicit[0]!.text] : ['-P', `${all[0]!.boxPort}/${all[0]!.protocol}`];
    throw flagError(flag, text, mode === 'host' ? 'with --net host the box already uses the host\'s ports' : 'needs --net bridge or --net NAME (a box with only lo cannot be reached)');
  }
  for (const [i, { port, text }] of given.entries()) {
    const earlier = given.findIndex((q) => portsOverlap(port, q.port));
    if (earlier !== -1 && earlier < i) throw flagError('-p', text.replace(/^-p /, ''), `host port ${port.hostPort}/${port.protocol} is already published by ${given[earlier]!.text}`);
  }
  if (given.length > MAX_PUBLISHED) throw flagError('-p', explicit.at(-1)?.text ?? '-P', `at most ${MAX_PUBLISHED} ports can be published per box (each is two DNAT rules), ${given.length} asked`);
  return {
    mode,
    network,
    publish: given.map((g) => g.port),
    dns: flags.dns.map((d) => checkAddress('--dns', d)),
    addHosts: flags.addHost.map(parseHostEntry),
    names: [...new Set(flags.names.filter((n) => HOST_RULE.test(n)))],
  };
}

/** More would make a box's start a wall of rules; Docker has no limit, but 1024 covers every real use seen. */
const MAX_PUBLISHED = 1024;

const PORT_SPEC_USAGE = 'expected [[IP:]HOSTPORT:]BOXPORT[/tcp|udp] (a port or a range A-B each), e.g. 80, 8080:80, 127.0.0.1::80 or 8000-8002:80-82';

/**
 * One -p as Docker spells it: `BOXPORT`, `HOSTPORT:BOXPORT`, `IP:HOSTPORT:BOXPORT`, `IP::BOXPORT` (an empty or 0 host
 * port: nsbox chooses one), each port possibly a range `A-B`: equal ranges pair up, a box range alone gets one chosen
 * port each, a host range for one box port is where nsbox chooses from. IP is IPv4 (0.0.0.0: every address).
 */
export function parsePortSpec(text: string): PortMapping[] {
  // s: a line break in the text is one more character to refuse, not a failed match.
  const slash = /^(.*?)(?:\/(tcp|udp))?$/s.exec(text)!;
  const parts = slash[1]!.split(':');
  if (parts.length > 3 || slash[1]!.includes('/')) throw flagError('-p', text, PORT_SPEC_USAGE);
  const [ipText, hostText, boxText] = parts.length === 3 ? parts : parts.length === 2 ? [undefined, ...parts] : [undefined, '', parts[0]];
  const protocol = (slash[2] as Protocol | undefined) ?? 'tcp';
  const box = parsePortRange(text, boxText!, false);
  const host = hostText === '' ? undefined : parsePortRange(text, hostText!, true);
  let hostIp: string | undefined;
  if (ipText !== undefined) {
    const ip = parseIpv4(ipText);
    if (ip === undefined) throw flagError('-p', text, /^[0-9.]+$/.test(ipText) ? `${ipText} is not an IPv4 address` : PORT_SPEC_USAGE);
    hostIp = formatIpv4(ip) === '0.0.0.0' ? undefined : formatIpv4(ip);
  }
  const on = (hostPort: number, boxPort: number, hostRange?: readonly [number, number]): PortMapping => ({ ...(hostIp ? { hostIp } : {}), hostPort, boxPort, protocol, ...(hostRange ? { hostRange } : {}) });
  const boxPorts = rangeOf(box);
  if (boxPorts.length > MAX_PUBLISHED) throw flagError('-p', text, `a range of ${boxPorts.length} ports is more than the ${MAX_PUBLISHED} a box can publish`);
  if (host === undefined || (host[0] === 0 && host[1] === 0)) return boxPorts.map((b) => on(0, b));
  const hostPorts = rangeOf(host);
  if (hostPorts.length === boxPorts.length) return boxPorts.map((b, i) => on(hostPorts[i]!, b));
  if (boxPorts.length === 1) return [on(0, boxPorts[0]!, host)];
  throw flagError('-p', text, `${hostPorts.length} host port${hostPorts.length === 1 ? '' : 's'} for ${boxPorts.length} box ports: give ranges of the same length, or one box port`);
}

/** "80" or "8000-8010" -> [from, to]; a host port may be 0 ("choose one", as in Docker). */
function parsePortRange(text: string, part: string, host: boolean): [number, number] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(part);
  if (!match) throw flagError('-p', text, PORT_SPEC_USAGE);
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  for (const [given, port] of [[match[1], from], [match[2], to]] as const) {
    if (given === undefined) continue;
    if (host && port === 0 && match[2] === undefined) continue;
    if (port < 1 || port > 65535) throw flagError('-p', text, `port ${given} is out of range 1-65535`);
  }
  if (to < from) throw flagError('-p', text, `range ${part} ends before it starts`);
  return [from, to];
}

function rangeOf([from, to]: readonly [number, number]): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** -P: each exposed port not already given a host port by -p, to a host port nsbox chooses (as Docker does). */
export function publishAllPorts(exposed: readonly ExposedPort[], explicit: readonly PortMapping[]): PortMapping[] {
  const seen = new Set(explicit.map((p) => `${p.boxPort}/${p.protocol}`));
  const out: PortMapping[] = [];
  for (const e of [...exposed].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol))) {
    const key = `${e.port}/${e.protocol}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ hostPort: 0, boxPort: e.port, protocol: e.protocol });
  }
  return out;
}

/**
 * `--expose PORT[/tcp|udp]` or a range `A-B[/PROTO]`, and the image's ExposedPorts keys ("80/tcp"); `flag` names the
 * source in errors. Image keys of other protocols (sctp) are left out: nsbox publishes tcp and udp only.
 */
export function parseExposed(flag: string, text: string): ExposedPort[] {
  const match = /^(\d+)(?:-(\d+))?(?:\/([a-z]+))?$/.exec(text);
  const from = Number(match?.[1]);
  const to = match?.[2] === undefined ? from : Number(match[2]);
  if (!match || from < 1 || to > 65535 || to < from) throw flagError(flag, text, 'expected PORT[/tcp|udp] or a range A-B[/tcp|udp], ports 1-65535');
  const protocol = match[3] ?? 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp') {
    if (flag === '--expose') throw flagError(flag, text, 'the protocol is tcp or udp');
    return [];
  }
  if (to - from >= MAX_PUBLISHED) throw flagError(flag, text, `a range of ${to - from + 1} ports is more than the ${MAX_PUBLISHED} a box can publish`);
  return rangeOf([from, to]).map((port) => ({ port, protocol }));
}

/** A mapping as -p spells it: "8080:80/tcp", "127.0.0.1:8080:80/tcp" ("80/tcp" while its host port is unchosen). */
export function spellPort(p: PortMapping): string {
  if (p.hostPort === 0) return `${p.hostIp ? `${p.hostIp}::` : ''}${p.boxPort}/${p.protocol}`;
  return `${p.hostIp ? `${p.hostIp}:` : ''}${p.hostPort}:${p.boxPort}/${p.protocol}`;
}

/** True when both would take the same host traffic: same port and protocol, and an address in common. */
export function portsOverlap(a: PortMapping, b: PortMapping): boolean {
  // An unchosen port (0) overlaps nothing: the choice avoids every port taken.
  return a.hostPort !== 0 && a.hostPort === b.hostPort && a.protocol === b.protocol && (!a.hostIp || !b.hostIp || a.hostIp === b.hostIp);
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

