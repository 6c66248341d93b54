// A box's network across its life: detach at stop (ports, lease, hosts lines go), attach again at start (a fresh
// lease), and `network connect/disconnect` of a running box. The lifecycle commands call only these.

import { existsSync, writeFileSync } from 'node:fs';
import { NsboxError } from '../errors.js';
import { hostRunner } from '../exec/runner.js';
import { fillTemplate } from '../plan/quote.js';
import type { Step } from '../plan/types.js';
import { readHostNetFacts, type HostNetFacts } from './host-facts.js';
import { boxHostsText, hostsFileOf, refreshPeerHosts } from './peer-hosts.js';
import { enterBoxStep, networkInfraSteps, planAttachSteps } from './plan-network.js';
import { prepareNetwork } from './prepare-network.js';
import { releaseNetwork, type Released } from './release.js';
import type { NetworkRequest } from './request.js';
import { runHostSteps } from './run-steps.js';
import type { NetworkSetup } from './setup.js';
import { netPaths, netStateDir, readLeases, readNetwork, withNetLock } from './state.js';

/** The environment whose NSBOX_STATE is the box's state root (`--state` wins over the caller's NSBOX_STATE). */
export function netEnvFor(stateRoot: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, NSBOX_STATE: stateRoot };
}

/** Take box `boxId` off its networks: -p rules, veths, leases, its files and its lines in peers' /etc/hosts. */
export function detachBoxNetwork(boxId: string, stateRoot: string): Released {
  return releaseNetwork(boxId, netEnvFor(stateRoot));
}

/** Put a stopped box back on its network: a fresh lease (maybe another address) to plan its start with. */
export function attachBoxNetwork(request: NetworkRequest, boxId: string, stateRoot: string, boxName?: string): NetworkSetup {
  return prepareNetwork(request, boxId, { dryRun: false, env: netEnvFor(stateRoot), ...(boxName !== undefined ? { boxName } : {}) });
}

/** What `network connect` needs to know of the running box. */
export interface RunningBox {
  readonly id: string;
  readonly name: string | undefined;
  /** A process inside the box's network namespace (its init). */
  readonly pid: number;
}

/**
 * `network connect NET BOX`: a veth into the running box as the next free ethN, its address and a hosts line in its
 * peers; the box's own /etc/hosts gains the new network's boxes. A failure rolls back and releases the lease.
 */
export async function connectBox(box: RunningBox, networkName: string, env: NodeJS.ProcessEnv = process.env, facts: HostNetFacts = readHostNetFacts()): Promise<string> {
  const dir = netStateDir(env);
  const network = readNetwork(dir, networkName);
  if (!network) throw new NsboxError(`unknown network ${JSON.stringify(networkName)}`, { hint: 'nsbox network ls lists them' });
  const own = readLeases(dir).filter((l) => l.boxId === box.id);
  const label = box.name ?? box.id.slice(0, 12);
  if (own.some((l) => l.network === networkName)) throw new NsboxError(`cannot connect box ${label}: it is on network ${JSON.stringify(networkName)} already`);
  const used = new Set(own.map((l) => l.ifname ?? 'eth0'));
  const ifname = Array.from({ length: 10 }, (_, i) => `eth${i}`).find((n) => !used.has(n));
  if (!ifname) throw new NsboxError(`cannot connect box ${label}: it has 10 network interfaces already`);
  const first = own[0];
  const request: NetworkRequest = { mode: networkName === 'bridge' ? 'bridge' : 'user', network: networkName, publish: [], dns: [], addHosts: first?.addHosts ?? [], names: first?.names ?? (box.name ? [box.name] : []) };
  const setup = prepareNetwork(request, box.id, { dryRun: false, env, facts, ifname, ...(box.name !== undefined ? { boxName: box.name } : {}) });
  const lease = setup.lease!;
  const batchFile = `${netPaths(dir).box(box.id)}/${ifname}.ip`;
  const attach = planAttachSteps(network, lease, ifname, batchFile);
  const steps: Step[] = [
    ...(setup.infraReady ? [] : networkInfraSteps(network, setup.firewall, dir)),
    { kind: 'mkdir' as const, path: netPaths(dir).box(box.id), why: 'The box\'s network files.' },
    ...attach.steps,
    enterBoxStep([attach.inBox])!,
  ].map((step) => fillStep(step, box.pid));
  try {
    await runHostSteps(steps.filter((s) => !(s.kind === 'mkdir' && existsSync(s.path))), hostRunner);
  } catch (error) {
    releaseNetwork(box.id, env, networkName);
    throw error;
  }
  withNetLock(dir, () => rewriteOwnHosts(dir, box.id));
  return `${lease.address} on ${ifname}`;
}

/** `network disconnect NET BOX`: its veth (and the interface inside), lease and hosts lines on that network go. */
export function disconnectBox(box: { readonly id: string; readonly name: string | undefined }, networkName: string, env: NodeJS.ProcessEnv = process.env): void {
  const dir = netStateDir(env);
  if (!readLeases(dir).some((l) => l.boxId === box.id && l.network === networkName)) {
    throw new NsboxError(`cannot disconnect box ${box.name ?? box.id.slice(0, 12)}: it is not on network ${JSON.stringify(networkName)}`);
  }
  releaseNetwork(box.id, env, networkName);
  withNetLock(dir, () => rewriteOwnHosts(dir, box.id));
}

/** The box's own /etc/hosts (bind-mounted: written in place) from its leases now. */
function rewriteOwnHosts(dir: string, boxId: string): void {
  const leases = readLeases(dir);
  const file = hostsFileOf(dir, boxId, leases);
  const text = boxHostsText(dir, boxId, leases);
  if (text !== undefined && existsSync(file)) writeFileSync(file, text);
  for (const network of new Set(readLeases(dir).filter((l) => l.boxId === boxId).map((l) => l.network))) refreshPeerHosts(dir, network);
}

/** {box} in a step's words becomes the running box's PID. */
function fillStep(step: Step, pid: number): Step {
  const fill = (w: string) => fillTemplate(w, { box: pid });
  if (step.kind === 'exec') return { ...step, argv: step.argv.map(fill) };
  return step;
}
