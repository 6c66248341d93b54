// Interface names derived from ids and network names, within the kernel's 15-character limit (IFNAMSIZ - 1).

import { fnvHex } from '../host/fnv.js';

/** Longest interface name Linux accepts. */
export const IFNAME_MAX = 15;

/** The default network's bridge for the default state dir (/run/nsbox). */
export const DEFAULT_BRIDGE = 'nsbox0';

/** The net state dir of the default NSBOX_STATE. */
export const DEFAULT_NET_STATE_DIR = '/run/nsbox/net';

/** Host end of a box's veth pair: "nsv" + 12 hex of the id (15 chars); for eth1-eth9 (network connect)
 * "nsv" + 10 hex + "x" + the digit. */
export function hostVethName(boxId: string, ifname = 'eth0'): string {
  if (ifname === 'eth0') return `nsv${boxId.slice(0, 12)}`;
  return `nsv${boxId.slice(0, 10)}x${ifname.slice(3)}`;
}

/** Box end before it moves into the box and becomes eth0: "nsp" + 12 hex (15 chars). */
export function peerVethName(boxId: string): string {
  return `nsp${boxId.slice(0, 12)}`;
}

/**
 * A network's bridge. The default network's is nsbox0 for the default state dir and "nsbox-" + a hash of the state
 * dir for any other, so two state dirs on one host each own a default bridge. A user network's is "nsbr-NAME" when it
 * fits, is plain and `taken` does not say the link exists already (another state dir's network of the same name);
 * else "nsbr-" + a 10-hex hash of the state dir and the name.
 */
export function bridgeNameFor(network: string, stateDir = DEFAULT_NET_STATE_DIR, taken: (link: string) => boolean = () => false): string {
  const ownState = stateDir !== DEFAULT_NET_STATE_DIR;
  if (network === 'bridge') return ownState ? `nsbox-${hashHex(stateDir).slice(0, 8)}` : DEFAULT_BRIDGE;
  const plain = `nsbr-${network}`;
  if (plain.length <= IFNAME_MAX && /^[a-zA-Z0-9_-]+$/.test(network) && !taken(plain)) return plain;
  return `nsbr-${hashHex(ownState ? `${stateDir}\0${network}` : network).slice(0, 10)}`;
}

/** Docker's MAC for an address: 02:42 (locally administered) then the four address bytes, so a reused address
 * keeps its MAC and neighbour caches on the bridge stay right. */
export function macForAddress(address: string): string {
  return ['02', '42', ...address.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}

/** 16 hex characters (src/host/fnv.ts): stable short names without loading node:crypto. */
function hashHex(text: string): string {
  return fnvHex(text, 2);
}
