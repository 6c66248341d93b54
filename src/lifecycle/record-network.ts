// A box's network set-up as record data: the mode, network, address, gateway and published ports that inspect,
// `port` and `ps` show, kept apart from the undo commands that tear the links and rules down.

import type { NetworkSetup } from '../net/setup.js';
import type { RecordedNetwork } from '../state/record.js';
import { macForAddress } from '../net/names.js';

/** The record's `network` for a box planned with `setup`; undefined when the box has no network request. */
export function describeRecordedNetwork(setup: NetworkSetup | undefined): RecordedNetwork | undefined {
  if (!setup) return undefined;
  const { network, lease } = setup;
  if (!network || !lease) return { mode: setup.request.mode, attachment: undefined, request: setup.request };
  return {
    mode: setup.request.mode,
    request: setup.request,
    attachment: {
      network: network.name,
      bridge: network.bridge,
      address: lease.address,
      prefixLength: Number(network.subnet.split('/')[1]),
      gateway: network.gateway,
      // Fixed by the planner: derived from the address, as Docker does.
      macAddress: macForAddress(lease.address),
      hostVeth: lease.hostVeth,
      ports: lease.publish.map((p) => ({ ...(p.hostIp ? { hostIp: p.hostIp } : {}), hostPort: p.hostPort, boxPort: p.boxPort, protocol: p.protocol })),
      aliases: [...lease.names],
    },
  };
}
