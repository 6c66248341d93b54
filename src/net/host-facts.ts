// Reads what the network planner needs to know about the host, from /proc and PATH only (no process is spawned):
// IPv4 routes, listening ports, the firewall tool, the nameservers of /etc/resolv.conf.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { NsboxError } from '../errors.js';
import { findTool } from '../host/tools.js';
import { HOST_ENV } from '../host/host-env.js';
import type { Protocol } from './request.js';
import { type Subnet, networkOf } from './subnet.js';
import { parseEphemeralRange } from './choose-ports.js';

/** iptables (legacy or nft-backed) when installed, else nft, else none. */
export type FirewallTool = 'iptables' | 'nft' | 'none';

export interface HostNetFacts {
  /** Destinations of the host's routes (default routes left out): a new subnet must not overlap them. */
  readonly routes: readonly Subnet[];
  /** `PORT/PROTO` of every socket listening on the host (any address). */
  readonly listening: ReadonlySet<string>;
  /** `PORT/PROTO` the firewall already forwards (readForwardedPorts), read only when asked; absent in fakes: none. */
  readonly forwarded?: () => ReadonlySet<string>;
  readonly firewall: FirewallTool;
  readonly nameservers: readonly string[];
  /** The host's own IPv4 addresses (its interfaces'), for `-p IP:HOSTPORT:BOXPORT`. */
  readonly localAddresses: ReadonlySet<string>;
  /** /proc/sys/net/ipv4/ip_local_port_range: where `-p BOXPORT` chooses host ports, as Docker does. */
  readonly ephemeralPorts: readonly [number, number];
  /** True when a network link of that name exists on the host (tests pass a fake: never the host's own links). */
  readonly linkExists: (name: string) => boolean;
}

/**
 * The facts, each read on first use: reading /proc/net/tcp walks the kernel's whole socket hash (~15 ms here), and
 * only -p needs it. `root` lets tests point at a fake /proc and /etc.
 */
export function readHostNetFacts(root = ''): HostNetFacts {
  const firewall = detectFirewall();
  let routes: Subnet[] | undefined;
  let listening: Set<string> | undefined;
  let nameservers: string[] | undefined;
  let localAddresses: Set<string> | undefined;
  let ephemeralPorts: [number, number] | undefined;
  return {
    get routes() {
      return (routes ??= readRoutes(root));
    },
    forwarded: () => (root === '' ? readForwardedPorts(firewall) : new Set<string>()),
    get listening() {
      return (listening ??= readListening(root));
    },
    firewall,
    get nameservers() {
      return (nameservers ??= readNameservers(root));
    },
    get localAddresses() {
      return (localAddresses ??= new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address))));
    },
    get ephemeralPorts() {
      return (ephemeralPorts ??= parseEphemeralRange(readOr(`${root}/proc/sys/net/ipv4/ip_local_port_range`)));
    },
    linkExists: (name) => existsSync(`${root}/sys/class/net/${name}`),
  };
}

/** NSBOX_FIREWALL=iptables|nft|none when set; else iptables when installed, else nft, else none. */
export function detectFirewall(env: NodeJS.ProcessEnv = process.env, find: (name: string) => string | undefined = (n) => findTool(n)): FirewallTool {
  const chosen = env.NSBOX_FIREWALL;
  if (chosen === 'iptables' || chosen === 'nft' || chosen === 'none') {
    if (chosen !== 'none' && !find(chosen)) throw new NsboxError(`NSBOX_FIREWALL=${chosen}: ${chosen} is not installed`, { hint: `apt-get install ${chosen === 'nft' ? 'nftables' : 'iptables'}` });
    return chosen;
  }
  if (chosen) throw new NsboxError(`invalid NSBOX_FIREWALL ${JSON.stringify(chosen)}: expected iptables, nft or none`);
  return find('iptables') ? 'iptables' : find('nft') ? 'nft' : 'none';
}

/** /proc/net/route: Destination and Mask are little-endian hex; a mask of 0 is a default route. */
export function parseProcRoutes(text: string): Subnet[] {
  const out: Subnet[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const dst = littleEndian(f[1]!);
    const mask = littleEndian(f[7]!);
    if (mask === 0) continue;
    const prefix = 32 - Math.log2(2 ** 32 - mask);
    if (!Number.isInteger(prefix)) continue;
    out.push({ base: networkOf(dst, prefix), prefix });
  }
  return out;
}

/** /proc/net/{tcp,udp}{,6}: local address "HEXIP:HEXPORT"; TCP listeners have state 0A, bound UDP sockets 07. */
export function parseProcSockets(text: string, protocol: Protocol): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const state = f[3];
    if (protocol === 'tcp' ? state !== '0A' : state !== '07') continue;
    const port = parseInt(f[1]!.split(':')[1] ?? '', 16);
    if (port > 0) out.push(`${port}/${protocol}`);
  }
  return out;
}

function littleEndian(hex: string): number {
  const v = parseInt(hex, 16) >>> 0;
  return ((v & 0xff) * 2 ** 24) + (((v >>> 8) & 0xff) << 16) + (((v >>> 16) & 0xff) << 8) + ((v >>> 24) & 0xff);
}

function readRoutes(root: string): Subnet[] {
  return parseProcRoutes(readOr(`${root}/proc/net/route`));
}

function readListening(root: string): Set<string> {
  const found = new Set<string>();
  for (const proto of ['tcp', 'udp'] as const) {
    for (const file of [proto, `${proto}6`]) for (const p of parseProcSockets(readOr(`${root}/proc/net/${file}`), proto)) found.add(p);
  }
  return found;
}

function readNameservers(root: string): string[] {
  return readOr(`${root}/etc/resolv.conf`)
    .split('\n')
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * `PORT/PROTO` of every host port the firewall already forwards (DNAT): published by boxes of another nsbox state
 * dir (whose leases this one cannot see), or by another tool. Nobody listens on such a port, so the socket check
 * alone would hand it out again and the new box's rule would lose to the old one. One process, read only when nsbox
 * must choose a port itself (-p BOXPORT, -P).
 */
export function readForwardedPorts(firewall: FirewallTool): Set<string> {
  const ports = new Set<string>();
  if (firewall === 'none') return ports;
  const argv = firewall === 'nft' ? ['nft', 'list', 'ruleset'] : ['iptables', '-w', '-t', 'nat', '-S'];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: HOST_ENV });
  for (const [port, protocol] of parseForwardedPorts(r.stdout ?? '')) ports.add(`${port}/${protocol}`);
  return ports;
}

/** [port, protocol] pairs from `iptables -t nat -S` (DNAT rules' -p/--dport, ranges A:B) or `nft list ruleset`
 * (`tcp dport N`, and map elements `tcp . N` as nsbox's ports maps hold them). Pure. */
export function parseForwardedPorts(text: string): [number, Protocol][] {
  const out: [number, Protocol][] = [];
  const add = (protocol: string, from: string, to = from) => {
    for (let p = Number(from); p <= Number(to) && p - Number(from) < 65536; p++) out.push([p, protocol as Protocol]);
  };
  for (const line of text.split('\n')) {
    if (line.includes('-j DNAT')) {
      const m = /-p (tcp|udp)\b.*--dport (\d+)(?::(\d+))?/.exec(line);
      if (m) add(m[1]!, m[2]!, m[3]);
      continue;
    }
    for (const m of line.matchAll(/\b(tcp|udp) dport (\d+)(?:-(\d+))?/g)) if (/dnat/.test(line)) add(m[1]!, m[2]!, m[3]);
    for (const m of line.matchAll(/\b(tcp|udp) \. (\d+)\b/g)) add(m[1]!, m[2]!);
  }
  return out;
}
