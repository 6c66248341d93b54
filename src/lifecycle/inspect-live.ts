// The facts inspect reads from the host beside the record: when PID 1 started (from /proc) and, while the box
// runs, eth0's MAC in its network namespace (nsenter + ip, only when the record does not fix one).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { BoxRecord } from '../state/record.js';
import type { BoxState } from '../state/status.js';
import type { ProcessIdentity } from '../state/proc-identity.js';
import type { ConnectedNetwork, LiveFacts } from './inspect-json.js';
import { netStateDir, readLeases, readNetwork } from '../net/state.js';
import { macForAddress } from '../net/names.js';

/** USER_HZ: the unit of /proc/<pid>/stat's start time; 100 on every architecture Linux ships (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS = 100;

let bootTime: number | undefined;

/** The wall-clock time a process started, from its start time in ticks since boot and /proc/stat's btime. */
export function startTimeToIso(who: ProcessIdentity, procStat = '/proc/stat'): string | undefined {
  bootTime ??= Number(/^btime (\d+)$/m.exec(readFileSync(procStat, 'utf8'))?.[1]);
  if (!Number.isFinite(bootTime)) return undefined;
  return new Date((bootTime + who.startTime / CLOCK_TICKS) * 1000).toISOString();
}

/** Live facts for one box. */
export function readLiveFacts(record: BoxRecord, now: BoxState): LiveFacts {
  const who = record.init ?? record.supervisor;
  const startedAt = who && record.phase === 'started' ? startTimeToIso(who) : undefined;
  const attachment = record.network?.attachment;
  const macAddress = now.status === 'running' && attachment && attachment.macAddress === undefined && now.pid !== undefined ? readMac(now.pid) : undefined;
  const connected = now.status === 'running' && record.namespaces.net !== undefined ? readConnected(record) : [];
  return { startedAt, macAddress, hostHostname: hostname(), connected };
}

/** eth0's MAC in PID's network namespace; undefined when it cannot be read. */
function readMac(pid: number): string | undefined {
  try {
    const json = execFileSync('nsenter', ['--target', String(pid), '--net', '--', 'ip', '-j', 'link', 'show', 'dev', 'eth0'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    const [link] = JSON.parse(json) as { address?: string }[];
    return link?.address;
  } catch {
    return undefined;
  }
}

/** The box's leases on networks other than its first (eth1, ...: `network connect`), with their networks' facts. */
function readConnected(record: BoxRecord): ConnectedNetwork[] {
  const dir = netStateDir();
  const first = record.network?.attachment?.network;
  return readLeases(dir)
    .filter((l) => l.boxId === record.id && l.network !== first)
    .flatMap((l) => {
      const network = readNetwork(dir, l.network);
      if (!network) return [];
      return [{ network: l.network, address: l.address, prefixLength: Number(network.subnet.split('/')[1]), gateway: network.gateway, macAddress: macForAddress(l.address), aliases: [...l.names] }];
    });
}
