// Plans a box's network from outside, as host-side steps that run after the box's namespaces exist and before
// its gate opens: the bridge, the veth pair, eth0's address and route, -p rules, /etc/hosts and resolv.conf.
// Pure: every step is an argv or a file write with its undo.

import type { NamespaceName } from '../host/namespaces.js';
import type { ExecStep, Step } from '../plan/types.js';
import { quoteArgv } from '../plan/quote.js';
import { spellPort } from './request.js';
import { ensureRuleArgv, legacyNetworkRules, networkRules, nftEnsureTableArgv, nftNetworkElements, nftPortElement, portRules, removeRuleArgv, NFT_TABLE, type IptablesRule } from './firewall.js';
import { hostsText, needsHostsFile, needsResolvConf, resolvText } from './files.js';
import { macForAddress } from './names.js';
import type { NetworkSetup } from './setup.js';
import { INFRA_VERSION, netPaths, type Lease, type NetworkRecord } from './state.js';
import type { FirewallTool } from './host-facts.js';
import type { NetworkRequest } from './request.js';

export interface NetworkPlan {
  readonly steps: readonly Step[];
  /** Commands to run inside the box, all in one nsenter (see enterBoxStep). */
  readonly inBox: readonly InBoxCommand[];
  /** Files the box must see at /etc/hosts and /etc/resolv.conf (host paths), for image boxes to bind or copy. */
  readonly files: { readonly hosts?: string; readonly resolvConf?: string };
}

export interface PlanNetworkOptions {
  /** Bind-mount the generated files over /etc/hosts and /etc/resolv.conf in the box's mount namespace (host-rootfs boxes). */
  readonly bindFiles: boolean;
  /**
   * Image boxes: write /etc/hosts and resolv.conf here (the container's directory in the store, where Docker keeps
   * them), not in the network's per-box dir in the state dir. The box writes these files (they are bound writable):
   * in the state dir, a tmpfs shared with every service's /run, its writes filled it (SECURITY.md row 18).
   */
  readonly etcFiles?: { readonly hosts: string; readonly resolvConf: string };
}

/** The namespaces a request needs: net unless it shares the host's; mount when the box gets files of its own. */
export function namespacesFor(request: NetworkRequest | undefined): NamespaceName[] {
  if (!request) return [];
  const out: NamespaceName[] = request.mode === 'host' ? [] : ['net'];
  const files = request.mode === 'bridge' || request.mode === 'user' || request.addHosts.length > 0 || request.dns.length > 0;
  if (files) out.push('mount');
  return out;
}

/** A command that runs inside the box's namespaces; the caller joins all of them into one nsenter (enterBoxStep). */
export interface InBoxCommand {
  readonly namespaces: readonly ('net' | 'ipc' | 'mount' | 'uts')[];
  readonly argv: readonly string[];
  readonly why: string;
}

/** The interface a lease's veth becomes inside the box. */
export const BOX_INTERFACE = 'eth0';

/**
 * The steps for box `boxId`; {box} is the box's host PID. Host-side steps are in `steps`; what must run inside the
 * box is in `inBox`, for one nsenter with whatever else the caller runs there (the hostname): few processes, fast.
 */
export function planNetwork(setup: NetworkSetup, boxId: string, options: PlanNetworkOptions): NetworkPlan {
  const steps: Step[] = [];
  const inBox: InBoxCommand[] = [];
  const { network, lease } = setup;
  const paths = netPaths(setup.stateDir);
  const wantHosts = needsHostsFile(setup);
  const wantResolv = needsResolvConf(setup);
  const dir = paths.box(boxId);
  if (network && lease) {
    steps.push(
      {
        kind: 'write-file',
        path: paths.lease(network.name, lease.address),
        content: `${JSON.stringify(options.etcFiles && wantHosts ? { ...lease, hostsFile: options.etcFiles.hosts } : lease)}\n`,
        // No undo here: nsbox releases it when the box ends or stops, or on a failed start (and gc after a crash),
        // from the lease itself under the network lock: never another box's lease on a reused address, and the
        // peers' /etc/hosts lose the box's line in the same move.
        why: `Lease ${lease.address} on network "${network.name}" for this box (taken under the network lock; released with the peers' /etc/hosts lines when the box ends or stops, and by gc).`,
      },
      ...(setup.infraReady ? [] : networkInfraSteps(network, setup.firewall, setup.stateDir)),
    );
  }
  if (lease || (!options.etcFiles && (wantHosts || wantResolv))) {
    steps.push({ kind: 'mkdir', path: dir, why: 'This box\'s network files (/etc/hosts, resolv.conf, its eth0 set-up) live here while it runs.', undo: { kind: 'remove', path: dir } });
  }
  if (network && lease) {
    const attach = planAttachSteps(network, lease, BOX_INTERFACE, `${dir}/${BOX_INTERFACE}.ip`);
    steps.push(...attach.steps);
    inBox.push(attach.inBox);
    steps.push(...portSteps(setup, boxId, dir));
  }
  const files: { hosts?: string; resolvConf?: string } = {};
  if (wantHosts) {
    files.hosts = options.etcFiles?.hosts ?? `${dir}/hosts`;
    steps.push({ kind: 'write-file', path: files.hosts, content: hostsText(setup, boxId), why: 'The box\'s /etc/hosts: its own names, the other boxes of its network, --add-host entries.' });
  }
  if (wantResolv) {
    files.resolvConf = options.etcFiles?.resolvConf ?? `${dir}/resolv.conf`;
    steps.push({ kind: 'write-file', path: files.resolvConf, content: resolvText(setup), why: 'The box\'s resolv.conf: --dns, or the host\'s nameservers a box can reach.' });
  }
  if (options.bindFiles) {
    for (const [file, target] of [[files.hosts, '/etc/hosts'], [files.resolvConf, '/etc/resolv.conf']] as const) {
      if (file === undefined) continue;
      inBox.push({ namespaces: ['mount'], argv: ['mount', '--bind', file, target], why: `bind its ${target} over the host's (in the box's mount namespace only)` });
    }
  }
  return { steps, files, inBox };
}

/**
 * One lease's link: the veth pair made in one `ip link add` (host end up on the bridge, box end made directly in
 * the box's namespace under its final name, with the MAC derived from the address), then one `ip -batch` inside.
 */
export function planAttachSteps(network: NetworkRecord, lease: Lease, ifname: string, batchFile: string): { steps: Step[]; inBox: InBoxCommand } {
  const prefix = network.subnet.split('/')[1]!;
  const hostV = lease.hostVeth;
  const batch = [
    `addr add ${lease.address}/${prefix} dev ${ifname}`,
    `link set dev ${ifname} up`,
    'link set dev lo up',
    ...(ifname === BOX_INTERFACE ? [`route add default via ${network.gateway} dev ${ifname}`] : []),
  ];
  return {
    steps: [
      {
        kind: 'exec',
        argv: ['ip', 'link', 'add', 'name', hostV, 'up', 'master', network.bridge, 'type', 'veth', 'peer', 'name', ifname, 'address', macForAddress(lease.address), 'netns', '{box}'],
        why: `A veth pair: ${hostV} stays on the host, up on ${network.bridge}; its peer is made as ${ifname} in the box's network namespace, with the MAC ${macForAddress(lease.address)} derived from its address (a reused address keeps its MAC: neighbour caches stay right).`,
        // The pair vanishes with the box's netns; deleting an absent link is no failure.
        undo: { kind: 'exec', argv: ['sh', '-c', `ip link del dev ${hostV} 2>/dev/null; ! ip link show dev ${hostV} >/dev/null 2>&1`], why: `Remove the veth pair ${hostV}.` },
      },
      { kind: 'write-text', path: batchFile, content: `${batch.join('\n')}\n`, why: `${ifname}'s set-up inside the box, for one \`ip -batch\`: the leased address ${lease.address}, up, lo up${ifname === BOX_INTERFACE ? `, the default route via the bridge (${network.gateway})` : ''}.` },
    ],
    inBox: { namespaces: ['net'], argv: ['ip', '-batch', batchFile], why: `configure ${ifname} (${lease.address}) from the batch file` },
  };
}

/** All in-box commands as one step: a single nsenter into the namespaces they need (sh -c only when there are several). */
export function enterBoxStep(commands: readonly InBoxCommand[]): ExecStep | undefined {
  if (commands.length === 0) return undefined;
  const order = ['net', 'ipc', 'mount', 'uts'] as const;
  const wanted = new Set(commands.flatMap((c) => c.namespaces));
  const enter = ['nsenter', '--target', '{box}', ...order.filter((n) => wanted.has(n)).map((n) => `--${n}`), '--'];
  const argv = commands.length === 1 ? [...enter, ...commands[0]!.argv] : [...enter, 'sh', '-c', commands.map((c) => quoteArgv(c.argv)).join(' && ')];
  const why = commands.length === 1 ? `${commands[0]!.why[0]!.toUpperCase()}${commands[0]!.why.slice(1)}.` : `Inside the box, in one entry into its namespaces: ${commands.map((c) => c.why).join('; ')}.`;
  return exec(argv, why);
}

/**
 * The network's own links and rules, made idempotently (by `network create`, and by a box that finds them not ready:
 * see isInfraReady). The last step records the bridge's ifindex, so a box knows they were made for this bridge.
 */
export function networkInfraSteps(network: NetworkRecord, firewall: FirewallTool, stateDir: string): Step[] {
  const prefix = network.subnet.split('/')[1]!;
  const bridge = network.bridge;
  const show = `ip link show dev ${bridge} >/dev/null 2>&1`;
  const add = quoteArgv(['ip', 'link', 'add', 'name', bridge, 'address', macForAddress(network.gateway), 'type', 'bridge']);
  const steps: Step[] = [
    exec(
      ['sh', '-c', `{ ${show} || ${add} || ${show}; } && ip addr replace ${network.gateway}/${prefix} dev ${bridge} && ip link set dev ${bridge} up`],
      `The bridge ${bridge} of network "${network.name}" unless it exists (it outlives the box, like docker0), with a fixed MAC (else it takes its lowest port's and boxes' neighbour caches go stale), the gateway address ${network.gateway} (replace: idempotent), up.`,
    ),
  ];
  if (firewall !== 'none') steps.push(...networkFirewallSteps(network, firewall));
  const marker = netPaths(stateDir).ready(network.name);
  steps.push(exec(['sh', '-c', `{ printf '%s ' ${INFRA_VERSION}; cat /sys/class/net/${bridge}/ifindex; } > ${quoteArgv([marker])}`], `Record that ${bridge}'s set-up is done (its ifindex: a bridge made again is set up again; the version: an older nsbox's set-up is done again).`));
  return steps;
}

function exec(argv: string[], why: string): ExecStep {
  return { kind: 'exec', argv, why };
}

/** Shared per-network rules and sysctls: forwarding on, NAT out of the subnet, loopback -p NAT. Never undone per box. */
function networkFirewallSteps(network: NetworkRecord, firewall: FirewallTool): Step[] {
  const steps: Step[] = [
    { kind: 'write-file', path: '/proc/sys/net/ipv4/ip_forward', content: '1', why: 'Route between the bridge and the host\'s other links (restored when the last nsbox network is removed).' },
    { kind: 'write-file', path: `/proc/sys/net/ipv4/conf/${network.bridge}/route_localnet`, content: '1', why: '-p on 127.0.0.1: let packets from a loopback address be routed out of the bridge after DNAT.' },
  ];
  if (firewall === 'iptables') {
    const rules = networkRules(network.name, network.bridge, network.subnet);
    const legacy = legacyNetworkRules(network.name, network.bridge).map((r) => `{ ${removeRuleArgv(r)[2]}; }`);
    steps.push(exec(['sh', '-c', [...legacy, ...rules.map((r) => `{ ${ensureRuleArgv(r)[2]}; }`)].join(' && ')], `Network rules (once per network, each added unless present; an older nsbox's accept-all into the bridge removed): NAT out of ${network.subnet}, NAT of loopback-sourced -p traffic, FORWARD out of ${network.bridge}, into it only replies and published ports.`));
  } else {
    const elements = nftNetworkElements(network.bridge, network.subnet).map(({ set, element }) => quoteArgv(['nft', 'add', 'element', ...NFT_TABLE, set, element]));
    steps.push(exec(['sh', '-c', [nftEnsureTableArgv()[2], ...elements].map((c) => `{ ${c}; }`).join(' && ')], `The nft table "ip nsbox" with its -p map and NAT rules (made once), and this network's elements (idempotent): subnet ${network.subnet}, bridge ${network.bridge}.`));
  }
  return steps;
}

/** -p: DNAT for every published port in one `iptables-restore --noflush` (or one `nft add element`), with one undo. */
function portSteps(setup: NetworkSetup, boxId: string, dir: string): Step[] {
  const lease = setup.lease!;
  if (lease.publish.length === 0) return [];
  const spelled = lease.publish.map(spellPort).join(', ');
  if (setup.firewall === 'iptables') {
    const rules = lease.publish.flatMap((port) => portRules(boxId, lease.address, port));
    const file = `${dir}/ports.rules`;
    return [
      { kind: 'write-text', path: file, content: renderRestore(rules, '-A'), why: `-p ${spelled}: DNAT to ${lease.address} in PREROUTING (from other machines) and OUTPUT (from the host itself, 127.0.0.1 too), as one iptables-restore input.` },
      {
        kind: 'exec',
        argv: ['iptables-restore', '--wait=10', '--noflush', file],
        why: `-p ${spelled}: add the DNAT rules in one transaction (--noflush: every other rule stays).`,
        // Idempotent: a recorded box's rm and gc run every planned undo, also for a rule never added (crash).
        undo: { kind: 'exec', argv: ['sh', '-c', rules.map((r) => removeRuleArgv(r)[2]).join('; ')], why: `Remove the DNAT rules of -p ${spelled}.` },
      },
    ];
  }
  if (setup.firewall === 'nft') {
    const elements = lease.publish.map((port) => nftPortElement(lease.address, port));
    const strip = (e: string) => e.slice(2, -2);
    const undo = elements.map(({ map, key }) => `${quoteArgv(['nft', 'delete', 'element', ...NFT_TABLE, map, key])} 2>/dev/null; ! ${quoteArgv(['nft', 'get', 'element', ...NFT_TABLE, map, key])} >/dev/null 2>&1`);
    // One add per map (ports: every local address; ip_ports: -p IP:...).
    const maps = (['ports', 'ip_ports'] as const).filter((m) => elements.some((e) => e.map === m));
    const add = maps.map((m) => ['nft', 'add', 'element', ...NFT_TABLE, m, `{ ${elements.filter((e) => e.map === m).map((e) => strip(e.element)).join(', ')} }`]);
    return [
      {
        kind: 'exec',
        argv: add.length === 1 ? add[0]! : ['sh', '-c', add.map(quoteArgv).join(' && ')],
        why: `-p ${spelled}: map the host ports to ${lease.address} in nsbox's nft table (one command).`,
        undo: { kind: 'exec', argv: ['sh', '-c', undo.join(' && ')], why: `Remove the -p map elements of ${spelled}.` },
      },
    ];
  }
  return [];
}

/** iptables-restore input for `rules`, grouped by table; words are quoted for its tokenizer when they need it. */
export function renderRestore(rules: readonly IptablesRule[], action: '-A' | '-D'): string {
  const lines: string[] = [];
  for (const table of ['nat', 'filter'] as const) {
    const mine = rules.filter((r) => r.table === table);
    if (mine.length === 0) continue;
    lines.push(`*${table}`, ...mine.map((r) => [action, r.chain, ...r.spec].map((w) => (/^[^\s"']+$/.test(w) ? w : `"${w}"`)).join(' ')), 'COMMIT');
  }
  return `${lines.join('\n')}\n`;
}
