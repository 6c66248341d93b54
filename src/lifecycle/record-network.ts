// A box's network set-up as record data: the mode, network, address, gateway and published ports that inspect,
// `port` and `ps` show, kept apart from the undo commands that tear the links and rules down.

import type { NetworkSetup } from '../net/setup.js';
import type { RecordedNetwork } from '../state/record.js';

/** The record's `network` for a box planned with `setup`; undefined when the box has no network request. */
export function describeRecordedNetwork(setup: NetworkSetup | undefined): RecordedNetwork | undefined {
  if (!setup) return undefined;
  const { network, lease } = setup;
  if (!network || !lease) return { mode: setup.request.mode, attachment: undefined };
  return {
    mode: setup.request.mode,
    attachment: {
      network: network.name,
      bridge: network.bridge,
      address: lease.address,
      prefixLength: Number(network.subnet.split('/')[1]),
      gateway: network.gateway,
      // Set here once the network planner fixes eth0's MAC (issue 12 item 1); inspect reads a running box's live.
      macAddress: undefined,
      hostVeth: lease.hostVeth,
      ports: lease.publish.map((p) => ({ hostPort: p.hostPort, boxPort: p.boxPort, protocol: p.protocol })),
      aliases: [...lease.names],
    },
  };
}
