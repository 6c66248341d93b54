// `ip -j addr` output -> the addresses `nsbox ns` shows for a box.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseIpAddrJson } from '../../src/ns/net-addresses.js';

test('one entry per address, interfaces without addresses skipped, bad JSON gives none', () => {
  const json = JSON.stringify([
    { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
    { ifname: 'eth0', addr_info: [{ family: 'inet', local: '10.88.0.2', prefixlen: 16 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
    { ifname: 'dummy0', addr_info: [] },
  ]);
  assert.equal(parseIpAddrJson(json), [
    { ifname: 'lo', address: '127.0.0.1/8' },
    { ifname: 'eth0', address: '10.88.0.2/16' },
    { ifname: 'eth0', address: 'fe80::1/64' },
  ]);
  assert.equal(parseIpAddrJson('not json'), []);
});

test.run();
