// Interface names derived from ids and network names, within the kernel's 15-character limit (IFNAMSIZ - 1).

/** Longest interface name Linux accepts. */
export const IFNAME_MAX = 15;

/** The default network's bridge. */
export const DEFAULT_BRIDGE = 'nsbox0';

/** Host end of a box's veth pair: "nsv" + 12 hex of the id (15 chars). */
export function hostVethName(boxId: string): string {
  return `nsv${boxId.slice(0, 12)}`;
}

/** Box end before it moves into the box and becomes eth0: "nsp" + 12 hex (15 chars). */
export function peerVethName(boxId: string): string {
  return `nsp${boxId.slice(0, 12)}`;
}

/** A user network's bridge: "nsbr-NAME" when it fits and is plain, else "nsbr-" + a 10-hex hash of the name. */
export function bridgeNameFor(network: string): string {
  if (network === 'bridge') return DEFAULT_BRIDGE;
  const plain = `nsbr-${network}`;
  if (plain.length <= IFNAME_MAX && /^[a-zA-Z0-9_-]+$/.test(network)) return plain;
  return `nsbr-${hashHex(network).slice(0, 10)}`;
}

/** FNV-1a, twice with different seeds, as 16 hex: stable short names without loading node:crypto. */
function hashHex(text: string): string {
  const round = (seed: number) => {
    let h = seed >>> 0;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16).padStart(8, '0');
  };
  return round(0x811c9dc5) + round(0x01000193);
}
