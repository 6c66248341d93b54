// Chooses the host port of every -p that left it to nsbox (`-p 80`, `-p IP::80`, `-P`): free on the host and not
// published by another box. Pure; prepare-network calls it under the network lock, so the choice is exclusive.

import { NsboxError } from '../errors.js';
import { portsOverlap, spellPort, type PortMapping } from './request.js';

export interface PortChoiceInput {
  /** The request's mappings, in order; hostPort 0: choose one. */
  readonly wanted: readonly PortMapping[];
  /** Every mapping other boxes hold (their leases). */
  readonly taken: readonly PortMapping[];
  /** `PORT/PROTO` of the host's listening sockets. */
  readonly listening: ReadonlySet<string>;
  /** The host's ephemeral range (ip_local_port_range), where Docker chooses too. */
  readonly range: readonly [number, number];
  /** The port chosen last time: the search starts after it, so a port a box just gave up is not handed on at once. */
  readonly after?: number;
}

/** `wanted` with every hostPort 0 replaced by a free port; an NsboxError when a range has none left. */
export function chooseHostPorts(input: PortChoiceInput): { ports: PortMapping[]; last: number | undefined } {
  const held = [...input.taken, ...input.wanted.filter((p) => p.hostPort !== 0)];
  let last = input.after;
  const ports = input.wanted.map((want) => {
    if (want.hostPort !== 0) return want;
    const [from, to] = want.hostRange ?? input.range;
    const size = to - from + 1;
    // Round robin through the range like Docker's allocator; an explicit -p range starts at its own first port.
    const start = !want.hostRange && last !== undefined && last >= from && last < to ? last + 1 - from : 0;
    for (let i = 0; i < size; i++) {
      const hostPort = from + ((start + i) % size);
      const { hostRange: _range, ...rest } = want;
      const candidate: PortMapping = { ...rest, hostPort };
      if (input.listening.has(`${hostPort}/${want.protocol}`) || held.some((h) => portsOverlap(h, candidate))) continue;
      held.push(candidate);
      if (!want.hostRange) last = hostPort;
      return candidate;
    }
    throw new NsboxError(`cannot publish ${spellPort(want)}: no free host port in ${from}-${to}/${want.protocol}`, {
      hint: want.hostRange ? 'give a wider range or a fixed host port' : 'every port of /proc/sys/net/ipv4/ip_local_port_range is listened on or published',
    });
  });
  return { ports, last };
}

/** /proc/sys/net/ipv4/ip_local_port_range's text ("32768\t60999"), or Docker's fallback 49153-65535. */
export function parseEphemeralRange(text: string): [number, number] {
  const match = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  const from = Number(match?.[1]);
  const to = Number(match?.[2]);
  return match && from >= 1 && to <= 65535 && from <= to ? [from, to] : [49153, 65535];
}
