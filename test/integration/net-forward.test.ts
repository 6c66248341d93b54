// Integration (root): what the host forwards into a network's bridge. With ip_forward on, a machine on the host's
// link that routes the box subnet through the host reached every port of every box directly, a `-p 127.0.0.1:...`
// port and one never published alike (FORWARD accepted all into the bridge). Now only replies and published ports
// (DNAT) go in. Everything runs in two network namespaces of the test's own: "host" (nsbox runs there, its iptables
// are the namespace's) and "neighbour" (a machine on its link with a route to the box subnet through it).

import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSBOX, isRoot } from '../helpers/nsbox.js';
import { findTool } from '../../src/host/tools.js';
import { gatedTest } from '../helpers/suite.js';

const skip = !isRoot ? 'needs root' : !findTool('ip') || !findTool('iptables') || !existsSync('/bin/busybox') ? 'needs iproute2, iptables and busybox-static' : undefined;
const test = gatedTest(skip);

const base = mkdtempSync(join(tmpdir(), 'nsbox-netfwd-'));
const id = process.pid % 100000;
const HOST_NS = `nsfwh${id}`;
const NEIGHBOUR_NS = `nsfwn${id}`;
const NET = `fwd${id}`;
const octet = 100 + ((process.pid >> 3) % 150);
const SUBNET = `10.252.${octet}.0/24`;
const HOST_ADDR = `10.97.${octet}.1`;
const env: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: join(base, 'root'), NSBOX_STATE: join(base, 'state') };

const inNs = (ns: string, argv: readonly string[]) => spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', env, timeout: 60_000 });
const nsboxInHost = (args: readonly string[]) => {
  const r = inNs(HOST_NS, [NSBOX, ...args]);
  assert.is(r.status, 0, `nsbox ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
};
const GET = 'require("http").get(process.argv[1], { timeout: 1500 }, (r) => { let d = ""; r.on("data", (c) => (d += c)).on("end", () => console.log(d.trim())); }).on("timeout", function () { console.log("ETIMEDOUT"); this.destroy(); }).on("error", (e) => console.log(e.code))';
const fetchFrom = (ns: string, url: string): string => inNs(ns, [process.execPath, '-e', GET, url]).stdout.trim().split('\n')[0] ?? '';

test.before(() => {
  if (skip) return;
  execFileSync('ip', ['netns', 'add', HOST_NS]);
  execFileSync('ip', ['netns', 'add', NEIGHBOUR_NS]);
  execFileSync('ip', ['link', 'add', `fwa${id}`, 'netns', HOST_NS, 'type', 'veth', 'peer', 'name', `fwb${id}`, 'netns', NEIGHBOUR_NS]);
  const sh = (ns: string, script: string) => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', script]);
  sh(HOST_NS, `ip link set lo up && ip addr add ${HOST_ADDR}/24 dev fwa${id} && ip link set fwa${id} up`);
  sh(NEIGHBOUR_NS, `ip link set lo up && ip addr add 10.97.${octet}.2/24 dev fwb${id} && ip link set fwb${id} up && ip route add ${SUBNET} via ${HOST_ADDR}`);
  nsboxInHost(['image', 'import', '--from-host-busybox', 'busybox']);
  nsboxInHost(['network', 'create', '--subnet', SUBNET, NET]);
});

test.after(() => {
  if (!skip) {
    inNs(HOST_NS, [NSBOX, 'rm', '-f', 'web']);
    inNs(HOST_NS, [NSBOX, 'network', 'rm', NET]);
    spawnSync('ip', ['netns', 'del', HOST_NS]);
    spawnSync('ip', ['netns', 'del', NEIGHBOUR_NS]);
  }
  rmSync(base, { recursive: true, force: true });
});

/** The web box on the network; its address. */
function startWeb(): string {
  nsboxInHost(['run', '-d', '--name', 'web', '--network', NET, '-p', '127.0.0.1:8080:80', '-p', '8081:80', 'busybox', 'sh', '-c', 'echo page > /tmp/i.html; exec httpd -f -p 80 -h /tmp']);
  const [box] = JSON.parse(nsboxInHost(['inspect', 'web'])) as { NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }[];
  const address = box!.NetworkSettings.Networks[NET]!.IPAddress;
  for (let i = 0; i < 50 && fetchFrom(HOST_NS, `http://${address}/i.html`) !== 'page'; i++) spawnSync('sleep', ['0.1']);
  return address;
}

function assertOnlyPublishedReachable(address: string, what: string): void {
  assert.is(fetchFrom(HOST_NS, `http://${address}/i.html`), 'page', `${what}: the host reaches the box`);
  assert.is(fetchFrom(HOST_NS, 'http://127.0.0.1:8080/i.html'), 'page', `${what}: -p 127.0.0.1:8080 works on the host`);
  assert.is(fetchFrom(NEIGHBOUR_NS, `http://${HOST_ADDR}:8081/i.html`), 'page', `${what}: the published port works from the neighbour`);
  assert.is.not(fetchFrom(NEIGHBOUR_NS, `http://${HOST_ADDR}:8080/i.html`), 'page', `${what}: -p 127.0.0.1 is not on the host's other addresses`);
  assert.is.not(fetchFrom(NEIGHBOUR_NS, `http://${address}/i.html`), 'page', `${what}: the neighbour reached the box's port directly, routed through the host`);
  const ping = inNs(HOST_NS, [NSBOX, 'exec', 'web', 'ping', '-c', '1', '-W', '2', `10.97.${octet}.2`]);
  assert.match(ping.stdout, /1 packets received/, `${what}: the box still reaches the neighbour (replies come back): ${ping.stdout}${ping.stderr}`);
}

test('a neighbour routing the box subnet through the host reaches only published ports', () => {
  try {
    assertOnlyPublishedReachable(startWeb(), 'new network');
  } finally {
    inNs(HOST_NS, [NSBOX, 'rm', '-f', 'web']);
  }
});

test('a network an older nsbox set up (FORWARD accepting all into its bridge) is set up again by the next box', () => {
  const bridge = `nsbr-${NET}`;
  const ready = join(env.NSBOX_STATE!, 'net', 'networks', `${NET}.ready`);
  // As an older nsbox left it: its accept-all rule first, its ready marker the bare ifindex.
  const legacy = ['-o', bridge, '-m', 'comment', '--comment', `nsbox-net:${NET}`, '-j', 'ACCEPT'];
  assert.is(inNs(HOST_NS, ['iptables', '-w', '-I', 'FORWARD', ...legacy]).status, 0);
  writeFileSync(ready, `${readFileSync(ready, 'utf8').trim().split(' ').pop()}\n`);
  try {
    assertOnlyPublishedReachable(startWeb(), 'upgraded network');
    assert.is(inNs(HOST_NS, ['iptables', '-w', '-C', 'FORWARD', ...legacy]).status, 1, 'the old accept-all rule is gone');
  } finally {
    inNs(HOST_NS, [NSBOX, 'rm', '-f', 'web']);
  }
});

test.run();
