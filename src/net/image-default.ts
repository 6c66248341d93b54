// The network an image box gets when no --net/--network is given: Docker's default bridge when the host has a
// firewall tool (iptables or nft: outbound NAT and -p need one), else a network namespace with only lo.
// NSBOX_IMAGE_NETWORK=none|bridge overrides the choice (e.g. test suites that must not touch the host's links).

import { NsboxError } from '../errors.js';
import { findTool } from '../host/tools.js';

export type ImageNetworkDefault = 'bridge' | 'none';

/** The default for `run IMAGE`; `find` and `env` let tests fake the host. */
export function defaultImageNetwork(env: NodeJS.ProcessEnv = process.env, find: (name: string) => string | undefined = (n) => findTool(n)): ImageNetworkDefault {
  const chosen = env.NSBOX_IMAGE_NETWORK;
  if (chosen === 'none' || chosen === 'bridge') return chosen;
  if (chosen) throw new NsboxError(`invalid NSBOX_IMAGE_NETWORK ${JSON.stringify(chosen)}: expected none or bridge`);
  // NSBOX_FIREWALL=none: no NAT and no -p, so only lo (as without a firewall tool).
  if (env.NSBOX_FIREWALL === 'none') return 'none';
  return find('iptables') || find('nft') ? 'bridge' : 'none';
}
