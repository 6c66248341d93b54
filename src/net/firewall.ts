// Firewall rules as argv, for iptables (legacy or nft-backed) or nft: outbound NAT for a network, DNAT for -p.
// Every rule carries a comment naming its owner so cleanup can find it. Pure.

import { quoteArgv } from '../plan/quote.js';
import type { FirewallTool } from './host-facts.js';
import type { PortMapping } from './request.js';

/** One iptables rule: table, chain and the match/target words. */
export interface IptablesRule {
  readonly table: 'nat' | 'filter';
  readonly chain: string;
  readonly spec: readonly string[];
}

/** Comment tag of a network's shared rules. */
export function networkTag(network: string): string {
  return `nsbox-net:${network}`;
}

/** Comment tag of one box's rules (its short id). */
export function boxTag(boxId: string): string {
  return `nsbox:${boxId.slice(0, 12)}`;
}

/**
 * A network's shared rules: NAT out of the subnet, NAT of loopback-sourced -p traffic, forwarding out of the bridge,
 * and into it only replies and published ports (DNAT). With ip_forward on, a machine on the host's link that routes
 * the box subnet through the host otherwise reached every port of every box directly (a `-p 127.0.0.1:...` port, one
 * never published), as Docker 28 closed too. In this order (appended): the DROP comes last.
 */
export function networkRules(network: string, bridge: string, subnet: string): IptablesRule[] {
  const tag = ['-m', 'comment', '--comment', networkTag(network)];
  return [
    { table: 'nat', chain: 'POSTROUTING', spec: ['-s', subnet, '!', '-o', bridge, ...tag, '-j', 'MASQUERADE'] },
    // -p on 127.0.0.1: after DNAT the source is still 127.0.0.1, which the box would answer on its own lo.
    { table: 'nat', chain: 'POSTROUTING', spec: ['-s', '127.0.0.0/8', '-o', bridge, ...tag, '-j', 'MASQUERADE'] },
    { table: 'filter', chain: 'FORWARD', spec: ['-i', bridge, ...tag, '-j', 'ACCEPT'] },
    { table: 'filter', chain: 'FORWARD', spec: ['-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED,DNAT', ...tag, '-j', 'ACCEPT'] },
    { table: 'filter', chain: 'FORWARD', spec: ['-o', bridge, ...tag, '-j', 'DROP'] },
  ];
}

/** What an older nsbox added for a network and no longer does (deleted when a box starts on it, and by network rm). */
export function legacyNetworkRules(network: string, bridge: string): IptablesRule[] {
  return [{ table: 'filter', chain: 'FORWARD', spec: ['-o', bridge, '-m', 'comment', '--comment', networkTag(network), '-j', 'ACCEPT'] }];
}

/**
 * DNAT for one -p: PREROUTING for packets from elsewhere, OUTPUT for the host's own (127.0.0.1 included). To every
 * local address, or with `-p IP:...` to that one only (`-p 127.0.0.1:8080:80` is unreachable from other machines).
 */
export function portRules(boxId: string, address: string, port: PortMapping): IptablesRule[] {
  const to = port.hostIp ? ['-d', `${port.hostIp}/32`] : ['-m', 'addrtype', '--dst-type', 'LOCAL'];
  // The words stay in the order older nsbox wrote them: rm deletes a rule by its exact words.
  const spec = ['-p', port.protocol, '--dport', String(port.hostPort), ...to, '-m', 'comment', '--comment', boxTag(boxId), '-j', 'DNAT', '--to-destination', `${address}:${port.boxPort}`];
  return [
    { table: 'nat', chain: 'PREROUTING', spec },
    { table: 'nat', chain: 'OUTPUT', spec },
  ];
}

/** `iptables -w -t TABLE -A|-D|-C CHAIN SPEC...` (-w: wait for the xtables lock when boxes start in parallel). */
export function iptablesArgv(action: '-A' | '-D' | '-C', rule: IptablesRule): string[] {
  return ['iptables', '-w', '-t', rule.table, action, rule.chain, ...rule.spec];
}

/** Add a shared rule unless it is there already (many boxes ensure the same network rules). */
export function ensureRuleArgv(rule: IptablesRule): string[] {
  return ['sh', '-c', `${quoteArgv(iptablesArgv('-C', rule))} 2>/dev/null || ${quoteArgv(iptablesArgv('-A', rule))}`];
}

/** Delete every copy of a shared rule (parallel first boxes may each have added one). */
export function removeRuleArgv(rule: IptablesRule): string[] {
  return ['sh', '-c', `while ${quoteArgv(iptablesArgv('-D', rule))} 2>/dev/null; do :; done`];
}

/** The nft table nsbox owns when the host has nft but not iptables. */
export const NFT_TABLE = ['ip', 'nsbox'] as const;

/**
 * nft: one table with a map from (protocol, host port) to (box address, box port) for -p on every local address,
 * one from (host address, protocol, host port) for `-p IP:...`, and a set of box subnets for outbound NAT. Boxes
 * then only add and delete elements, each with an exact undo.
 */
export function nftBaseArgvs(): string[][] {
  const t = [...NFT_TABLE];
  return [
    ['nft', 'add', 'table', ...t],
    ['nft', 'add', 'map', ...t, 'ports', '{ type inet_proto . inet_service : ipv4_addr . inet_service ; }'],
    ['nft', 'add', 'map', ...t, 'ip_ports', IP_PORTS_TYPE],
    ['nft', 'add', 'set', ...t, 'subnets', '{ type ipv4_addr ; flags interval ; }'],
    ['nft', 'add', 'set', ...t, 'bridges', '{ type ifname ; }'],
    ['nft', 'add', 'chain', ...t, 'prerouting', '{ type nat hook prerouting priority dstnat ; }'],
    ['nft', 'add', 'chain', ...t, 'output', '{ type nat hook output priority -100 ; }'],
    ['nft', 'add', 'chain', ...t, 'postrouting', '{ type nat hook postrouting priority srcnat ; }'],
  ];
}

/** The nft table's rules, added once when the table is new. */
export function nftRuleArgvs(): string[][] {
  const t = [...NFT_TABLE];
  return [
    ['nft', 'add', 'rule', ...t, 'prerouting', 'fib daddr type local dnat ip to meta l4proto . th dport map @ports'],
    ['nft', 'add', 'rule', ...t, 'output', 'fib daddr type local dnat ip to meta l4proto . th dport map @ports'],
    ...nftIpPortRules(),
    ['nft', 'add', 'rule', ...t, 'postrouting', 'ip saddr @subnets oifname != @bridges masquerade'],
    ['nft', 'add', 'rule', ...t, 'postrouting', 'ip saddr 127.0.0.0/8 oifname @bridges masquerade'],
  ];
}

const IP_PORTS_TYPE = '{ type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service ; }';

function nftIpPortRules(): string[][] {
  const t = [...NFT_TABLE];
  return ['prerouting', 'output'].map((chain) => ['nft', 'add', 'rule', ...t, chain, 'dnat ip to ip daddr . meta l4proto . th dport map @ip_ports']);
}

/** nft: ensure the table exists with its rules (created whole, once; a table made before `-p IP:` gets that map). */
export function nftEnsureTableArgv(): string[] {
  const create = [...nftBaseArgvs(), ...nftRuleArgvs()].map(quoteArgv).join(' && ');
  const upgrade = [['nft', 'add', 'map', ...NFT_TABLE, 'ip_ports', IP_PORTS_TYPE], ...nftIpPortRules()].map(quoteArgv).join(' && ');
  const table = NFT_TABLE.join(' ');
  return ['sh', '-c', `if nft list table ${table} >/dev/null 2>&1; then nft list map ${table} ip_ports >/dev/null 2>&1 || { ${upgrade}; }; else ${create}; fi`];
}

/** nft: a network's elements (its subnet, its bridge). */
export function nftNetworkElements(bridge: string, subnet: string): Array<{ set: string; element: string }> {
  return [
    { set: 'subnets', element: `{ ${subnet} }` },
    { set: 'bridges', element: `{ "${bridge}" }` },
  ];
}

/** nft: the -p map element for one port, and its map (ports, or ip_ports for `-p IP:...`). */
export function nftPortElement(address: string, port: PortMapping): { map: 'ports' | 'ip_ports'; key: string; element: string } {
  const key = `${port.hostIp ? `${port.hostIp} . ` : ''}${port.protocol} . ${port.hostPort}`;
  return { map: port.hostIp ? 'ip_ports' : 'ports', key: `{ ${key} }`, element: `{ ${key} : ${address} . ${port.boxPort} }` };
}

/** Which tool's argv the planner emits. */
export function describeFirewall(tool: FirewallTool): string {
  return tool === 'iptables' ? 'iptables' : tool === 'nft' ? 'nftables' : 'no firewall tool';
}
