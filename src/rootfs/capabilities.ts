// The capability bounding set of an image box: Docker's default 14, changed by --cap-add, --cap-drop, --privileged.

import { flagError } from '../errors.js';
import { CAP_NAMES } from '../ns/cap-names.js';

/** Docker's default set (moby's oci/caps/defaults.go): CapEff a80425fb for root in the box. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'chown', 'dac_override', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap', 'net_bind_service', 'net_raw',
  'sys_chroot', 'mknod', 'audit_write', 'setfcap',
];

/** Every capability nsbox knows (setpriv's spelling: no cap_ prefix, lower case), in bit order. */
export const ALL_CAPABILITIES: readonly string[] = CAP_NAMES.map((n) => n.slice(4));

/** "NET_ADMIN", "CAP_NET_ADMIN" or "net_admin" -> "net_admin"; "ALL" -> "all"; anything else is a flag error. */
export function parseCapabilityName(flag: string, value: string): string {
  const name = value.trim().toLowerCase().replace(/^cap_/, '');
  if (name === 'all' || ALL_CAPABILITIES.includes(name)) return name;
  throw flagError(flag, value, 'not a capability name (e.g. NET_ADMIN, SYS_PTRACE or ALL; see capabilities(7))');
}

/** The bounding set, in bit order, by Docker's rules: dropping ALL starts from nothing, adding ALL gives everything. */
export function resolveCapabilities(add: readonly string[], drop: readonly string[], privileged: boolean): readonly string[] {
  const adds = add.map((v) => parseCapabilityName('--cap-add', v));
  const drops = drop.map((v) => parseCapabilityName('--cap-drop', v));
  if (privileged) return ALL_CAPABILITIES;
  let set: Set<string>;
  if (drops.includes('all')) set = new Set(adds.includes('all') ? ALL_CAPABILITIES : adds);
  else {
    set = new Set(adds.includes('all') ? ALL_CAPABILITIES : [...DEFAULT_CAPABILITIES, ...adds]);
    for (const name of drops) set.delete(name);
  }
  return ALL_CAPABILITIES.filter((n) => set.has(n));
}

/** The hex mask /proc/<pid>/status shows for a set (CapBnd), e.g. "00000000a80425fb". */
export function capabilityMask(names: readonly string[]): string {
  let mask = 0n;
  for (const name of names) mask |= 1n << BigInt(ALL_CAPABILITIES.indexOf(name));
  return mask.toString(16).padStart(16, '0');
}

/** setpriv's --bounding-set argument: "-all" then "+name" for each capability kept. */
export function formatBoundingSet(names: readonly string[]): string {
  return ['-all', ...names.map((n) => `+${n}`)].join(',');
}
