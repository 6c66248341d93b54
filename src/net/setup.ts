// NetworkSetup: a box's network request together with the host facts and the lease it was planned against.

import type { FirewallTool } from './host-facts.js';
import type { NetworkRequest } from './request.js';
import type { Lease, NetworkRecord } from './state.js';

export interface NetworkSetup {
  readonly request: NetworkRequest;
  /** NSBOX_STATE/net (or /run/nsbox/net). */
  readonly stateDir: string;
  readonly firewall: FirewallTool;
  readonly hostNameservers: readonly string[];
  /** bridge and user modes: the network and this box's lease on it. */
  readonly network: NetworkRecord | undefined;
  readonly lease: Lease | undefined;
  /** The other boxes on the network when this one was planned (for /etc/hosts). */
  readonly peers: readonly Lease[];
  /** False for --dry-run: the lease was computed but not taken. */
  readonly reserved: boolean;
  /**
   * The network's bridge was already up when this box was planned: its shared set-up (bridge address, forwarding,
   * NAT and FORWARD rules) was done by the box or `network create` that made it, so it is not repeated per box.
   */
  readonly infraReady?: boolean;
}
