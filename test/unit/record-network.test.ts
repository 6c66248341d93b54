// Unit: a box's network set-up becomes record data (mode, network, address, gateway, ports, aliases).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeRecordedNetwork } from '../../src/lifecycle/record-network.js';
import type { NetworkSetup } from '../../src/net/setup.js';
import type { NetworkRequest } from '../../src/net/request.js';

const ID = 'f'.repeat(64);
const request: NetworkRequest = { mode: 'user', network: 'web', publish: [{ hostPort: 8080, boxPort: 80, protocol: 'tcp' }], dns: [], addHosts: [], names: ['alpha'] };
const setup: NetworkSetup = {
  request,
  stateDir: '/nonexistent',
  firewall: 'iptables',
  hostNameservers: [],
  network: { name: 'web', bridge: 'nsbr-web', subnet: '10.77.0.0/16', gateway: '10.77.0.1', createdAt: '2026-01-01T00:00:00.000Z' },
  lease: { boxId: ID, network: 'web', address: '10.77.0.2', hostVeth: 'nsvffffffffffff', publish: request.publish, names: ['alpha'], addHosts: [], owner: { pid: 1, start: '1' }, createdAt: '2026-01-01T00:00:00.000Z' },
  peers: [],
  reserved: true,
};

test('a box on a network: its address, prefix, gateway, bridge, ports and aliases are data', () => {
  assert.equal(describeRecordedNetwork(setup), {
    mode: 'user',
    request,
    attachment: {
      network: 'web', bridge: 'nsbr-web', address: '10.77.0.2', prefixLength: 16, gateway: '10.77.0.1', macAddress: '02:42:0a:4d:00:02',
      hostVeth: 'nsvffffffffffff', ports: [{ hostPort: 8080, boxPort: 80, protocol: 'tcp' }], aliases: ['alpha'],
    },
  });
});

test('--net none keeps only the mode; no network request at all records nothing', () => {
  assert.equal(describeRecordedNetwork({ ...setup, request: { ...request, mode: 'none', network: '', publish: [] }, network: undefined, lease: undefined }), { mode: 'none', attachment: undefined, request: { ...request, mode: 'none', network: '', publish: [] } });
  assert.is(describeRecordedNetwork(undefined), undefined);
});

test.run();
