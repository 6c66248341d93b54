// Network planning and leases on a temp state dir with fake host facts: no root, no processes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { NsboxError } from '../../src/errors.js';
import { buildNetworkRequest } from '../../src/net/request.js';
import { prepareNetwork, newNetworkRecord, saveNetworkRecord } from '../../src/net/prepare-network.js';
import { planNetwork, namespacesFor } from '../../src/net/plan-network.js';
import { hostsLines } from '../../src/net/files.js';
import { gcNetworks } from '../../src/net/release.js';
import { parseSubnet } from '../../src/net/subnet.js';
import type { HostNetFacts } from '../../src/net/host-facts.js';

const facts = (over: Partial<HostNetFacts> = {}): HostNetFacts => ({
  routes: [parseSubnet('r', '10.88.0.0/16')],
  listening: new Set(['2222/tcp']),
  firewall: 'iptables',
  nameservers: ['127.0.0.53', '192.0.2.53'],
  ...over,
});
const id = (n: number) => `${String(n).padStart(2, '0')}${'ab'.repeat(31)}`;
const req = (over: Record<string, unknown> = {}) =>
  buildNetworkRequest({ net: undefined, network: 'bridge', publish: [], dns: [], addHost: [], names: [], ...over } as never)!;

let dir = '';
let env: NodeJS.ProcessEnv = {};
test.before.each(() => {
  dir = mkdtempSync(`${tmpdir()}/nsbox-net-unit-`);
  env = { NSBOX_STATE: dir };
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

test('default network avoids a host route; addresses are distinct and sequential', () => {
  const a = prepareNetwork(req(), id(1), { dryRun: false, env, facts: facts() });
  const b = prepareNetwork(req(), id(2), { dryRun: false, env, facts: facts() });
  assert.is(a.network!.subnet, '10.89.0.0/16', '10.88/16 is a host route here');
  assert.is(a.lease!.address, '10.89.0.2');
  assert.is(b.lease!.address, '10.89.0.3');
  assert.equal(readdirSync(`${dir}/net/leases/bridge`).sort(), ['10.89.0.2.json', '10.89.0.3.json']);
  assert.equal(b.peers.map((p) => p.address), ['10.89.0.2']);
});

test('dry run takes no lease and writes nothing', () => {
  const a = prepareNetwork(req(), id(1), { dryRun: true, env, facts: facts() });
  assert.is(a.lease!.address, '10.89.0.2');
  assert.not.ok(existsSync(`${dir}/net`));
});

test('unknown network, port in use on the host or by another box', () => {
  assert.throws(() => prepareNetwork(req({ network: 'nope' }), id(1), { dryRun: false, env, facts: facts() }), (e: Error) => e instanceof NsboxError && /unknown network "nope"/.test(e.message));
  assert.throws(() => prepareNetwork(req({ publish: ['2222:22'] }), id(1), { dryRun: false, env, facts: facts() }), /in use by a process on the host/);
  prepareNetwork(req({ publish: ['8080:80'] }), id(1), { dryRun: false, env, facts: facts() });
  assert.throws(() => prepareNetwork(req({ publish: ['8080:81'] }), id(2), { dryRun: false, env, facts: facts() }), /already published by box 01ababababab/);
  assert.equal(readdirSync(`${dir}/net/leases/bridge`), ['10.89.0.2.json'], 'the failed ones took no lease');
});

test('a stale lease (dead owner, no veth) is reclaimed by gc and by the next allocation', () => {
  const a = prepareNetwork(req(), id(1), { dryRun: false, env, facts: facts() });
  const path = `${dir}/net/leases/bridge/${a.lease!.address}.json`;
  const dead = { ...JSON.parse(readFileSync(path, 'utf8')), owner: { pid: 999999999, start: '1' } };
  writeFileSync(path, JSON.stringify(dead));
  assert.equal(gcNetworks(env, true), [`lease bridge/10.89.0.2 of box ${id(1).slice(0, 12)}`]);
  const b = prepareNetwork(req(), id(2), { dryRun: false, env, facts: facts() });
  assert.is(b.lease!.address, '10.89.0.2', 'the address was free again');
});

test('plan: lease, bridge, veth into {box}, eth0, route, -p DNAT with undo, files bound over /etc', () => {
  saveNetworkRecord(`${dir}/net`, newNetworkRecord('web', parseSubnet('s', '10.77.0.0/24')));
  const setup = prepareNetwork(req({ network: 'web', publish: ['8080:80'], names: ['alpha'], addHost: ['db:10.1.1.1'] }), id(1), { dryRun: false, env, facts: facts() });
  const { steps, files } = planNetwork(setup, id(1), { bindFiles: true });
  const argvs = steps.map((s) => (s.kind === 'exec' ? s.argv.join(' ') : `${s.kind} ${'path' in s ? s.path : ''}`));
  const at = (needle: string) => argvs.findIndex((a) => a.includes(needle));
  assert.ok(at(`ip link add name nsv${id(1).slice(0, 12)} type veth peer name nsp${id(1).slice(0, 12)} netns {box}`) > at('type bridge'));
  assert.ok(at('ip addr add 10.77.0.2/24 dev eth0') > at('name eth0'));
  assert.ok(at('ip route add default via 10.77.0.1') > 0);
  const dnat = steps.find((s) => s.kind === 'exec' && s.argv.includes('OUTPUT') && s.argv.includes('-A'));
  assert.ok(dnat && dnat.kind === 'exec' && dnat.undo?.kind === 'exec' && dnat.undo.argv.join(' ').includes(' -D '), 'DNAT has its -D undo');
  assert.ok(dnat!.kind === 'exec' && dnat!.argv.includes('10.77.0.2:80'));
  assert.ok(at('mount --bind') > at(`write-file ${files.hosts}`));
  assert.equal(hostsLines(setup, id(1)).slice(2), [`10.77.0.2\talpha ${id(1).slice(0, 12)}`, '10.1.1.1\tdb']);
  assert.ok(files.resolvConf, 'host nameserver 127.0.0.53 is unreachable from a bridge: own resolv.conf');
  assert.equal(namespacesFor(setup.request), ['net', 'mount']);
  assert.equal(namespacesFor(req({ network: 'host' })), []);
});

test.run();
