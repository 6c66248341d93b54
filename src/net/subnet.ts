// IPv4 addresses and CIDR subnets as numbers: parse, validate, overlap and enumerate. Pure.

import { NsboxError } from '../errors.js';

/** A validated IPv4 subnet: `base` is the network address (host bits zero). */
export interface Subnet {
  readonly base: number;
  readonly prefix: number;
}

/** Parse a dotted quad into a 32-bit unsigned number, or undefined when malformed. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

/** Format a 32-bit number as a dotted quad. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Parse "A.B.C.D/N" for `flag`: the address must be the network address and N between 8 and 30. */
export function parseSubnet(flag: string, text: string): Subnet {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const base = match ? parseIpv4(match[1]!) : undefined;
  const prefix = match ? Number(match[2]) : NaN;
  if (base === undefined || !(prefix >= 0 && prefix <= 32)) {
    throw new NsboxError(`invalid ${flag} ${JSON.stringify(text)}: expected an IPv4 subnet such as 10.89.0.0/24`);
  }
  if (prefix < 8 || prefix > 30) throw new NsboxError(`invalid ${flag} ${JSON.stringify(text)}: the prefix length must be between 8 and 30`);
  if (base % 2 ** (32 - prefix) !== 0) {
    throw new NsboxError(`invalid ${flag} ${JSON.stringify(text)}: host bits are set (did you mean ${formatSubnet({ base: networkOf(base, prefix), prefix })}?)`);
  }
  return { base, prefix };
}

/** "A.B.C.D/N". */
export function formatSubnet(subnet: Subnet): string {
  return `${formatIpv4(subnet.base)}/${subnet.prefix}`;
}

/** The network address of `address` under `prefix`. */
export function networkOf(address: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return address - (address % size);
}

/** Number of addresses in the subnet (network and broadcast included). */
export function sizeOf(subnet: Subnet): number {
  return 2 ** (32 - subnet.prefix);
}

/** True when the two ranges share at least one address. */
export function overlaps(a: Subnet, b: Subnet): boolean {
  const aEnd = a.base + sizeOf(a);
  const bEnd = b.base + sizeOf(b);
  return a.base < bEnd && b.base < aEnd;
}

/** True when `address` lies inside `subnet`. */
export function contains(subnet: Subnet, address: number): boolean {
  return address >= subnet.base && address < subnet.base + sizeOf(subnet);
}

/** The bridge's own address: the first usable one. */
export function gatewayOf(subnet: Subnet): number {
  return subnet.base + 1;
}

/** Addresses a box may get: after the gateway, before the broadcast address. */
export function* boxAddresses(subnet: Subnet): Generator<number> {
  const last = subnet.base + sizeOf(subnet) - 2;
  for (let a = subnet.base + 2; a <= last; a++) yield a;
}
