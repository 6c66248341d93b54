// `nsbox port`'s lines, as Docker prints them: "80/tcp -> 0.0.0.0:8080", or "0.0.0.0:8080" for one private port.

import { NsboxError } from '../errors.js';
import type { BoxRecord } from '../state/record.js';
import { groupPorts, spellBinding } from './inspect-json.js';

/** "80", "80/tcp", "53/udp" -> the key Docker uses ("80/tcp"). */
export function parsePrivatePort(text: string): string {
  const match = /^(\d+)(?:\/(tcp|udp))?$/.exec(text);
  const port = Number(match?.[1]);
  if (!match || port < 1 || port > 65535) throw new NsboxError(`invalid port ${JSON.stringify(text)}: expected PRIVATE_PORT[/tcp|udp], e.g. 80/tcp`);
  return `${port}/${match[2] ?? 'tcp'}`;
}

/** The published ports of a running box (none once it stopped: it is off its network then), sorted by port. */
export function listPortLines(record: BoxRecord, running: boolean, privatePort?: string): string[] {
  const ports = running ? groupPorts(record.network?.attachment?.ports ?? []) : [];
  const sorted = ports.sort(([a], [b]) => Number.parseInt(a) - Number.parseInt(b) || a.localeCompare(b));
  if (privatePort === undefined) return sorted.flatMap(([key, bindings]) => bindings.map((b) => `${key} -> ${spellBinding(b)}`));
  const found = sorted.find(([key]) => key === privatePort);
  if (!found) throw new NsboxError(`no public port '${privatePort}' published for ${record.name ?? record.id.slice(0, 12)}`, { exitCode: 1 });
  return found[1].map(spellBinding);
}
