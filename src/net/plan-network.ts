// Plans a box's network from outside, as host-side steps that run after the box's namespaces exist and before
// its gate opens: the bridge, the veth pair, eth0's address and route, -p rules, /etc/hosts and resolv.conf.
// Pure: every step is an argv or a file write with its undo.

import type { NamespaceName } from '../host/namespaces.js';
import type { ExecStep, Step } from '../plan/types.js';
import { quoteArgv } from '../plan/quote.js';
import { ensureRuleArgv, iptablesArgv, networkRules, nftEnsureTableArgv, nftNetworkElements, nftPortElement, portRules, removeRuleArgv, NFT_TABLE } from './firewall.js';
import { hostsText, needsHostsFile, needsResolvConf, resolvText } from './files.js';
import { peerVethName } from './names.js';
import type { NetworkSetup } from './setup.js';
import { netPaths, type NetworkRecord } from './state.js';
import type { FirewallTool } from './host-facts.js';
import type { NetworkRequest } from './request.js';

export interface NetworkPlan {
  readonly steps: readonly Step[];
  /** Files the box must see at /etc/hosts and /etc/resolv.conf (host paths), for image boxes to bind or copy. */
  readonly files: { readonly hosts?: string; readonly resolvConf?: string };
}

export interface PlanNetworkOptions {
  /** Bind-mount the generated files over /etc/hosts and /etc/resolv.conf in the box's mount namespace (host-rootfs boxes). */
  readonly bindFiles: boolean;
}

/** The namespaces a request needs: net unless it shares the host's; mount when the box gets files of its own. */
export function namespacesFor(request: NetworkRequest | undefined): NamespaceName[] {
  if (!request) return [];
  const out: NamespaceName[] = request.mode === 'host' ? [] : ['net'];
  const files = request.mode === 'bridge' || request.mode === 'user' || request.addHosts.length > 0 || request.dns.length > 0;
  if (files) out.push('mount');
  return out;
}

/** The steps for box `boxId`; {box} is the box's host PID. */
export function planNetwork(setup: NetworkSetup, boxId: string, options: PlanNetworkOptions): NetworkPlan {
  const steps: Step[] = [];
  const { network, lease } = setup;
  const paths = netPaths(setup.stateDir);
  if (network && lease) {
    const prefix = network.subnet.split('/')[1]!;
    const bridge = network.bridge;
    steps.push(
      {
        kind: 'write-file',
        path: paths.lease(network.name, lease.address),
        content: `${JSON.stringify(lease)}\n`,
        why: `Lease ${lease.address} on network "${network.name}" for this box (taken under the network lock; released on exit and by gc).`,
        undo: { kind: 'remove', path: paths.lease(network.name, lease.address), why: 'Release the address lease.' },
      },
      ...(setup.infraReady ? [] : networkInfraSteps(network, setup.firewall)),
    );
    const hostV = lease.hostVeth;
    const peerV = peerVethName(boxId);
    const inBox = (argv: string[]) => ['nsenter', '--target', '{box}', '--net', '--', ...argv];
    steps.push(
      {
        kind: 'exec',
        argv: ['ip', 'link', 'add', 'name', hostV, 'type', 'veth', 'peer', 'name', peerV, 'netns', '{box}'],
        why: `A veth pair: ${hostV} stays on the host, its peer is made directly in the box's network namespace.`,
        // The pair vanishes with the box's netns; deleting an absent link is no failure.
        undo: { kind: 'exec', argv: ['sh', '-c', `ip link del dev ${hostV} 2>/dev/null; ! ip link show dev ${hostV} >/dev/null 2>&1`], why: `Remove the veth pair ${hostV}.` },
      },
      exec(['ip', 'link', 'set', 'dev', hostV, 'master', bridge, 'up'], `Plug the host end into ${bridge} and bring it up.`),
      exec(inBox(['ip', 'link', 'set', 'dev', peerV, 'name', 'eth0']), 'Inside the box: the peer becomes eth0.'),
      exec(inBox(['ip', 'addr', 'add', `${lease.address}/${prefix}`, 'dev', 'eth0']), `Inside the box: eth0 gets the leased address ${lease.address}.`),
      exec(inBox(['ip', 'link', 'set', 'dev', 'eth0', 'up']), 'Inside the box: bring eth0 up.'),
      exec(inBox(['ip', 'link', 'set', 'dev', 'lo', 'up']), 'Inside the box: bring lo up.'),
      exec(inBox(['ip', 'route', 'add', 'default', 'via', network.gateway, 'dev', 'eth0']), `Inside the box: the default route goes via the bridge (${network.gateway}).`),
    );
    steps.push(...portSteps(setup, boxId));
  }
  const files: { hosts?: string; resolvConf?: string } = {};
  const wantHosts = needsHostsFile(setup);
  const wantResolv = needsResolvConf(setup);
  if (wantHosts || wantResolv) {
    const dir = paths.box(boxId);
    steps.push(
      exec(['mkdir', '-p', paths.boxes], 'Directory for the boxes\' generated network files.'),
      { kind: 'mkdir', path: dir, why: 'This box\'s /etc/hosts and resolv.conf live here while it runs.', undo: { kind: 'remove', path: dir } },
    );
    if (wantHosts) {
      files.hosts = `${dir}/hosts`;
      steps.push({ kind: 'write-file', path: files.hosts, content: hostsText(setup, boxId), why: 'The box\'s /etc/hosts: its own names, the other boxes of its network, --add-host entries.' });
    }
    if (wantResolv) {
      files.resolvConf = `${dir}/resolv.conf`;
      steps.push({ kind: 'write-file', path: files.resolvConf, content: resolvText(setup), why: 'The box\'s resolv.conf: --dns, or the host\'s nameservers a box can reach.' });
    }
    if (options.bindFiles) {
      for (const [file, target] of [[files.hosts, '/etc/hosts'], [files.resolvConf, '/etc/resolv.conf']] as const) {
        if (file === undefined) continue;
        steps.push(exec(['nsenter', '--target', '{box}', '--mount', '--', 'mount', '--bind', file, target], `Inside the box's mount namespace only: bind its ${target} over the host's.`));
      }
    }
  }
  return { steps, files };
}

/** The network's own links and rules, made idempotently (by `network create`, and again by each box: cheap, and it heals). */
export function networkInfraSteps(network: NetworkRecord, firewall: FirewallTool): Step[] {
  const prefix = network.subnet.split('/')[1]!;
  const bridge = network.bridge;
  const steps: Step[] = [
    ensureStep(['ip', 'link', 'show', 'dev', bridge], ['ip', 'link', 'add', 'name', bridge, 'type', 'bridge'], `Make the bridge ${bridge} of network "${network.name}" unless it exists (it outlives the box, like docker0).`),
    exec(['ip', 'addr', 'replace', `${network.gateway}/${prefix}`, 'dev', bridge], `Give the bridge the gateway address ${network.gateway} (replace: idempotent).`),
    exec(['ip', 'link', 'set', 'dev', bridge, 'up'], 'Bring the bridge up.'),
  ];
  if (firewall !== 'none') steps.push(...networkFirewallSteps(network, firewall));
  return steps;
}

function exec(argv: string[], why: string): ExecStep {
  return { kind: 'exec', argv, why };
}

/** `sh -c 'CHECK >/dev/null 2>&1 || ADD || CHECK'`: succeeds when the thing exists afterwards (boxes may race to make it). */
function ensureStep(check: string[], add: string[], why: string): ExecStep {
  const c = `${quoteArgv(check)} >/dev/null 2>&1`;
  return exec(['sh', '-c', `${c} || ${quoteArgv(add)} || ${c}`], why);
}

/** Shared per-network rules and sysctls: forwarding on, NAT out of the subnet, loopback -p NAT. Never undone per box. */
function networkFirewallSteps(network: NetworkRecord, firewall: FirewallTool): Step[] {
  const steps: Step[] = [
    { kind: 'write-file', path: '/proc/sys/net/ipv4/ip_forward', content: '1', why: 'Route between the bridge and the host\'s other links (restored when the last nsbox network is removed).' },
    { kind: 'write-file', path: `/proc/sys/net/ipv4/conf/${network.bridge}/route_localnet`, content: '1', why: '-p on 127.0.0.1: let packets from a loopback address be routed out of the bridge after DNAT.' },
  ];
  if (firewall === 'iptables') {
    for (const rule of networkRules(network.name, network.bridge, network.subnet)) {
      steps.push(exec(ensureRuleArgv(rule), `Network rule (once per network): ${rule.table} ${rule.chain} ${rule.spec.includes('MASQUERADE') ? 'MASQUERADE' : 'ACCEPT'}.`));
    }
  } else {
    steps.push(exec(nftEnsureTableArgv(), 'The nft table "ip nsbox" with its -p map and NAT rules (made once).'));
    for (const { set, element } of nftNetworkElements(network.bridge, network.subnet)) {
      steps.push(exec(['nft', 'add', 'element', ...NFT_TABLE, set, element], `Network element (idempotent): ${set} ${element}.`));
    }
  }
  return steps;
}

/** -p: DNAT rules for each published port, each with its exact undo. */
function portSteps(setup: NetworkSetup, boxId: string): Step[] {
  const lease = setup.lease!;
  const steps: Step[] = [];
  for (const port of lease.publish) {
    if (setup.firewall === 'iptables') {
      for (const rule of portRules(boxId, lease.address, port)) {
        steps.push({
          kind: 'exec',
          argv: iptablesArgv('-A', rule),
          why: `-p ${port.hostPort}:${port.boxPort}/${port.protocol}: ${rule.chain === 'OUTPUT' ? 'from the host itself (127.0.0.1 too)' : 'from other machines'} to ${lease.address}:${port.boxPort}.`,
          // Idempotent: a recorded box's rm and gc run every planned undo, also for a rule never added (crash).
          undo: { kind: 'exec', argv: removeRuleArgv(rule) },
        });
      }
    } else if (setup.firewall === 'nft') {
      const { key, element } = nftPortElement(lease.address, port);
      steps.push({
        kind: 'exec',
        argv: ['nft', 'add', 'element', ...NFT_TABLE, 'ports', element],
        why: `-p ${port.hostPort}:${port.boxPort}/${port.protocol}: map the host port to ${lease.address}:${port.boxPort}.`,
        undo: { kind: 'exec', argv: ['sh', '-c', `${quoteArgv(['nft', 'delete', 'element', ...NFT_TABLE, 'ports', key])} 2>/dev/null; ! ${quoteArgv(['nft', 'get', 'element', ...NFT_TABLE, 'ports', key])} >/dev/null 2>&1`] },
      });
    }
  }
  return steps;
}
