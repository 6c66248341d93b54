// Network planning and leases on a temp state dir with fake host facts: no root, no processes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, readdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { NsboxError } from '../../src/errors.js';
import { buildNetworkRequest } from '../../src/net/request.js';
import { prepareNetwork, newNetworkRecord, saveNetworkRecord } from '../../src/net/prepare-network.js';
import { planNetwork, namespacesFor, enterBoxStep } from '../../src/net/plan-network.js';
import { bridgeNameFor, macForAddress } from '../../src/net/names.js';
import { parseForwardedPorts } from '../../src/net/host-facts.js';
import { nsboxBridges, pickFreeSubnet } from '../../src/net/manage-networks.js';
import { hostsLines } from '../../src/net/files.js';
import { gcNetworks, releaseNetwork } from '../../src/net/release.js';
import { formatSubnet, parseSubnet } from '../../src/net/subnet.js';
import { detectFirewall, type HostNetFacts } from '../../src/net/host-facts.js';
import { nftEnsureTableArgv, nftPortElement, portRules } from '../../src/net/firewall.js';
import { chooseHostPorts, parseEphemeralRange } from '../../src/net/choose-ports.js';
import { spellPort } from '../../src/net/request.js';
import type { NetworkSetup } from '../../src/net/setup.js';
import { buildBoxDescription } from '../../src/spec/run-flags.js';
import { buildRunPlan } from '../../src/plan/build-run-plan.js';
import { renderShell } from '../../src/plan/render-shell.js';

const facts = (over: Partial<HostNetFacts> = {}): HostNetFacts => ({
  routes: [parseSubnet('r', '10.88.0.0/16')],
  listening: new Set(['2222/tcp']),
  firewall: 'iptables',
  nameservers: ['127.0.0.53', '192.0.2.53'],
  localAddresses: new Set(['192.0.2.10']),
  ephemeralPorts: [49153, 49156],
  // Never the host's links: a host with its own nsbox0 (or any bridge) must not change what is planned here.
  linkExists: () => false,
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

test('-p IP:HOSTPORT:BOXPORT: a host address only; another address of a taken port is free, every address is not', () => {
  assert.throws(() => prepareNetwork(req({ publish: ['198.51.100.7:9090:80'] }), id(3), { dryRun: false, env, facts: facts() }), /198\.51\.100\.7 is not an address of this host/);
  assert.throws(() => prepareNetwork(req({ publish: ['127.0.0.1:2222:22'] }), id(3), { dryRun: false, env, facts: facts() }), /in use by a process on the host/);
  const bound = prepareNetwork(req({ publish: ['127.0.0.1:9090:80'] }), id(3), { dryRun: false, env, facts: facts() });
  assert.equal(bound.lease!.publish, [{ hostIp: '127.0.0.1', hostPort: 9090, boxPort: 80, protocol: 'tcp' }]);
  prepareNetwork(req({ publish: ['192.0.2.10:9090:80'] }), id(4), { dryRun: false, env, facts: facts() });
  assert.throws(() => prepareNetwork(req({ publish: ['9090:80'] }), id(5), { dryRun: false, env, facts: facts() }), /host port 9090\/tcp is already published by box 03ababababab/);
  assert.throws(() => prepareNetwork(req({ publish: ['127.0.0.1:9090:81'] }), id(5), { dryRun: false, env, facts: facts() }), /already published by box 03ababababab/);
});

test('-p BOXPORT: a port the firewall already forwards (a box of another state dir) is never chosen; the rules are parsed from either tool', () => {
  const host = facts({ forwarded: () => new Set(['49153/tcp', '49154/tcp']) });
  const a = prepareNetwork(req({ publish: ['80'] }), id(7), { dryRun: true, env, facts: host });
  assert.equal(a.lease!.publish.map((p) => p.hostPort), [49155], 'the two forwarded ports are skipped');
  const iptables = [
    '-A PREROUTING -p tcp -m tcp --dport 32768 -m addrtype --dst-type LOCAL -m comment --comment "nsbox:b12b8eacfb38" -j DNAT --to-destination 10.88.0.2:80',
    '-A OUTPUT -p udp -m udp --dport 5000:5002 -j DNAT --to-destination 10.0.0.2:53',
    '-A POSTROUTING -p tcp -m tcp --dport 9999 -j MASQUERADE',
  ].join('\n');
  assert.equal(parseForwardedPorts(iptables), [[32768, 'tcp'], [5000, 'udp'], [5001, 'udp'], [5002, 'udp']], 'DNAT only, ranges expanded');
  const nft = ['\t\telements = { tcp . 32769 : 10.88.0.3 . 80,', '\t\t\t     udp . 5353 : 10.88.0.4 . 53 }', '\t\ttcp dport 8443 dnat ip to 10.0.0.9:443'].join('\n');
  assert.equal(parseForwardedPorts(nft), [[32769, 'tcp'], [5353, 'udp'], [8443, 'tcp']]);
});

test('-p BOXPORT: a free host port from the ephemeral range, never one listened on or another box\'s; round robin; in the lease', () => {
  const host = facts({ listening: new Set(['49153/tcp', '49155/udp']) });
  const a = prepareNetwork(req({ publish: ['80'] }), id(1), { dryRun: false, env, facts: host });
  assert.equal(a.lease!.publish, [{ hostPort: 49154, boxPort: 80, protocol: 'tcp' }], '49153 is listened on');
  const b = prepareNetwork(req({ publish: ['80', '127.0.0.1::81'] }), id(2), { dryRun: false, env, facts: host });
  assert.equal(b.lease!.publish, [{ hostPort: 49155, boxPort: 80, protocol: 'tcp' }, { hostIp: '127.0.0.1', hostPort: 49156, boxPort: 81, protocol: 'tcp' }], 'after the last one chosen, never box 1\'s');
  const lease = JSON.parse(readFileSync(`${dir}/net/leases/bridge/${b.lease!.address}.json`, 'utf8')) as { publish: unknown };
  assert.equal(lease.publish, b.lease!.publish, 'the lease file holds the chosen ports');
  // A dry run shows the port a run would choose, and moves nothing on.
  const dry = prepareNetwork(req({ publish: ['53/udp'] }), id(3), { dryRun: true, env, facts: host });
  assert.equal(dry.lease!.publish.map((p) => p.hostPort), [49153], 'wraps around; 49153/udp is free (only tcp is listened on)');
  assert.is(readFileSync(`${dir}/net/last-port`, 'utf8').trim(), '49156');
  assert.throws(() => prepareNetwork(req({ publish: ['90'] }), id(4), { dryRun: false, env, facts: host }), (e: Error) => e instanceof NsboxError && e.message === 'cannot publish 90/tcp: no free host port in 49153-49156/tcp');
  assert.is(readdirSync(`${dir}/net/leases/bridge`).length, 2, 'the refused box took no lease');
  releaseNetwork(id(1), env);
  const c = prepareNetwork(req({ publish: ['90'] }), id(4), { dryRun: false, env, facts: host });
  assert.equal(c.lease!.publish.map((p) => p.hostPort), [49154], 'a released port is free again');
});

test('-p HOSTRANGE:BOXPORT chooses within the range; ranges of equal length are fixed ports, checked like -p HOSTPORT:BOXPORT', () => {
  prepareNetwork(req({ publish: ['8000:80'] }), id(1), { dryRun: false, env, facts: facts() });
  const a = prepareNetwork(req({ publish: ['8000-8002:80'] }), id(2), { dryRun: false, env, facts: facts() });
  assert.equal(a.lease!.publish, [{ hostPort: 8001, boxPort: 80, protocol: 'tcp' }], 'no hostRange in the lease');
  assert.throws(() => prepareNetwork(req({ publish: ['8000-8001:80'] }), id(3), { dryRun: false, env, facts: facts() }), /no free host port in 8000-8001\/tcp/);
  assert.throws(() => prepareNetwork(req({ publish: ['7999-8000:79-80'] }), id(3), { dryRun: false, env, facts: facts() }), /host port 8000\/tcp is already published by box 01ababababab/);
  const b = prepareNetwork(req({ publish: ['9000-9001:90-91/udp'] }), id(3), { dryRun: false, env, facts: facts() });
  assert.equal(b.lease!.publish.map(spellPort), ['9000:90/udp', '9001:91/udp']);
});

test('chooseHostPorts: fixed ports of the same request are avoided; the ephemeral range file parses, else Docker\'s default', () => {
  const wanted = [{ hostPort: 0, boxPort: 80, protocol: 'tcp' as const }, { hostPort: 10, boxPort: 81, protocol: 'tcp' as const }];
  const { ports, last } = chooseHostPorts({ wanted, taken: [{ hostIp: '127.0.0.1', hostPort: 11, boxPort: 1, protocol: 'tcp' }], listening: new Set(), range: [10, 12] });
  assert.equal(ports.map((p) => p.hostPort), [12, 10]);
  assert.is(last, 12);
  assert.equal(parseEphemeralRange('32768\t60999\n'), [32768, 60999]);
  assert.equal(parseEphemeralRange(''), [49153, 65535]);
  assert.equal(parseEphemeralRange('600 500'), [49153, 65535]);
});

test('-p IP:...: iptables matches that destination only (not every local one); nft keys the ip_ports map by the address', () => {
  const [pre, out] = portRules(id(1), '10.89.0.2', { hostIp: '127.0.0.1', hostPort: 9090, boxPort: 80, protocol: 'tcp' });
  assert.equal([pre!.chain, out!.chain], ['PREROUTING', 'OUTPUT']);
  assert.equal(pre!.spec.slice(0, 6), ['-p', 'tcp', '--dport', '9090', '-d', '127.0.0.1/32']);
  assert.not.ok(pre!.spec.includes('LOCAL'), 'not every local address');
  assert.ok(portRules(id(1), '10.89.0.2', { hostPort: 9090, boxPort: 80, protocol: 'tcp' })[0]!.spec.includes('LOCAL'), 'without an address: every local one');
  assert.equal(nftPortElement('10.89.0.2', { hostIp: '127.0.0.1', hostPort: 9090, boxPort: 80, protocol: 'tcp' }), { map: 'ip_ports', key: '{ 127.0.0.1 . tcp . 9090 }', element: '{ 127.0.0.1 . tcp . 9090 : 10.89.0.2 . 80 }' });
  assert.equal(nftPortElement('10.89.0.2', { hostPort: 9090, boxPort: 80, protocol: 'udp' }).map, 'ports');
  assert.match(nftEnsureTableArgv()[2]!, /nft list map ip nsbox ip_ports .*\|\| \{ nft add map ip nsbox ip_ports/, 'a table made before ip_ports gets it');
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

test('plan: lease, bridge, one ip link add into {box}, one ip -batch inside, -p in one iptables-restore, files bound over /etc', () => {
  saveNetworkRecord(`${dir}/net`, newNetworkRecord('web', parseSubnet('s', '10.77.0.0/24'), `${dir}/net`));
  const setup = prepareNetwork(req({ network: 'web', publish: ['8080:80', '5353:53/udp'], names: ['alpha'], addHost: ['db:10.1.1.1'] }), id(1), { dryRun: false, env, facts: facts() });
  assert.not.ok(setup.infraReady, 'no ready marker for this bridge: the shared set-up is planned');
  const { steps, files, inBox } = planNetwork(setup, id(1), { bindFiles: true });
  const argvs = steps.map((s) => (s.kind === 'exec' ? s.argv.join(' ') : `${s.kind} ${'path' in s ? s.path : ''}`));
  const at = (needle: string) => argvs.findIndex((a) => a.includes(needle));
  const veth = `ip link add name nsv${id(1).slice(0, 12)} up master nsbr-web type veth peer name eth0 address 02:42:0a:4d:00:02 netns {box}`;
  assert.ok(at(veth) > at('type bridge'), argvs.join('\n'));
  assert.ok(at('type bridge') > -1 && argvs[at('type bridge')]!.includes('address 02:42:0a:4d:00:01'), 'the bridge has a fixed MAC');
  assert.ok(at('/ifindex; } >') > at('iptables -w -t nat -C POSTROUTING'), 'the ready marker is written after the shared rules');
  const batch = steps.find((s) => s.kind === 'write-text' && s.path.endsWith('/eth0.ip'));
  assert.ok(batch?.kind === 'write-text');
  assert.equal(batch.content.trim().split('\n'), ['addr add 10.77.0.2/24 dev eth0', 'link set dev eth0 up', 'link set dev lo up', 'route add default via 10.77.0.1 dev eth0']);
  const restore = steps.find((s) => s.kind === 'exec' && s.argv[0] === 'iptables-restore');
  assert.ok(restore?.kind === 'exec' && restore.argv.includes('--noflush') && restore.argv.at(-1)!.endsWith('/ports.rules') && !restore.argv.includes('-w'), 'one iptables-restore --noflush for every -p, reading its file (not stdin: -w FILE would take the file for the wait time)');
  assert.ok(restore.undo?.kind === 'exec' && (restore.undo.argv[2]!.match(/ -D /g) ?? []).length === 4, 'one undo deleting all four DNAT rules');
  const input = steps.find((s) => s.kind === 'write-text' && s.path.endsWith('/ports.rules'));
  assert.ok(input?.kind === 'write-text');
  assert.match(input.content, /^\*nat\n-A PREROUTING -p tcp --dport 8080 .*--to-destination 10\.77\.0\.2:80\n-A OUTPUT .*\n-A PREROUTING -p udp --dport 5353 .*10\.77\.0\.2:53\n-A OUTPUT .*\nCOMMIT\n$/);
  assert.equal(inBox.map((c) => c.argv.join(' ')), [`ip -batch ${batch.path}`, `mount --bind ${files.hosts} /etc/hosts`, `mount --bind ${files.resolvConf} /etc/resolv.conf`]);
  const enter = enterBoxStep(inBox)!;
  assert.equal(enter.argv.slice(0, 7), ['nsenter', '--target', '{box}', '--net', '--mount', '--', 'sh'], 'one entry into the box for every in-box step');
  assert.equal(enterBoxStep([inBox[0]!])!.argv, ['nsenter', '--target', '{box}', '--net', '--', 'ip', '-batch', batch.path], 'no shell for one command');
  assert.equal(steps.filter((s) => s.kind === 'exec' && !s.argv.includes('--noflush')).length, 4, 'exec steps: bridge, shared rules, marker, veth');
  assert.equal(hostsLines(setup, id(1)).slice(2), [`10.77.0.2\talpha ${id(1).slice(0, 12)}`, '10.1.1.1\tdb']);
  assert.ok(files.resolvConf, 'host nameserver 127.0.0.53 is unreachable from a bridge: own resolv.conf');
  assert.equal(namespacesFor(setup.request), ['net', 'mount']);
  assert.equal(namespacesFor(req({ network: 'host' })), []);
});

test('a box on a ready network plans only its own veth, batch and files', () => {
  const netDir = `${dir}/net`;
  const record = newNetworkRecord('web', parseSubnet('s', '10.77.0.0/24'), netDir);
  saveNetworkRecord(netDir, record);
  // The marker holds the bridge's ifindex; a fake /sys is not at hand, so check the not-ready side and the skip.
  writeFileSync(`${netDir}/networks/web.ready`, '42\n');
  const setup = prepareNetwork(req({ network: 'web' }), id(1), { dryRun: false, env, facts: facts({ linkExists: () => false }) });
  assert.not.ok(setup.infraReady, 'the bridge is missing: set up again');
  const ready = planNetwork({ ...setup, infraReady: true }, id(1), { bindFiles: false });
  assert.equal(ready.steps.filter((s) => s.kind === 'exec').map((s) => (s.kind === 'exec' ? s.argv[0] : '')), ['ip'], 'one process on the host side');
});

test('bridge names: nsbox0 only for the default state dir; another state dir owns a bridge of its own', () => {
  assert.is(bridgeNameFor('bridge'), 'nsbox0');
  const a = bridgeNameFor('bridge', '/tmp/a/net');
  const b = bridgeNameFor('bridge', '/tmp/b/net');
  assert.match(a, /^nsbox-[0-9a-f]{8}$/);
  assert.is.not(a, b);
  assert.is(bridgeNameFor('web', '/tmp/a/net'), 'nsbr-web');
  assert.match(bridgeNameFor('web', '/tmp/a/net', (l) => l === 'nsbr-web'), /^nsbr-[0-9a-f]{10}$/, 'another state dir has nsbr-web: a hashed name');
  const record = prepareNetwork(req(), id(1), { dryRun: true, env, facts: facts({ linkExists: (l) => l === 'nsbox0' }) }).network!;
  assert.is.not(record.bridge, 'nsbox0', 'a host nsbox0 does not matter to a state dir of its own');
  assert.is(macForAddress('172.17.0.2'), '02:42:ac:11:00:02', 'Docker\'s MAC for an address');
});

test('network create without --subnet: Docker\'s pools, skipping host routes and this state dir\'s networks', () => {
  assert.is(formatSubnet(pickFreeSubnet([])!), '172.17.0.0/16');
  assert.is(formatSubnet(pickFreeSubnet([parseSubnet('r', '172.17.0.0/16'), parseSubnet('r', '172.18.5.0/24')])!), '172.19.0.0/16');
  assert.is(formatSubnet(pickFreeSubnet([parseSubnet('r', '172.16.0.0/12')])!), '192.168.0.0/20');
  assert.is(formatSubnet(pickFreeSubnet([parseSubnet('r', '172.16.0.0/12'), parseSubnet('r', '192.168.0.0/24')])!), '192.168.16.0/20');
  assert.is(pickFreeSubnet([parseSubnet('r', '128.0.0.0/8'), parseSubnet('r', '172.0.0.0/8'), parseSubnet('r', '192.0.0.0/8')]), undefined);
});

test('peers\' /etc/hosts lose a box that leaves, and a stale lease is released whole', () => {
  saveNetworkRecord(`${dir}/net`, newNetworkRecord('web', parseSubnet('s', '10.77.0.0/24'), `${dir}/net`));
  const a = prepareNetwork(req({ network: 'web', names: ['alpha'] }), id(1), { dryRun: false, env, facts: facts() });
  prepareNetwork(req({ network: 'web', names: ['beta'] }), id(2), { dryRun: false, env, facts: facts() });
  // Box 1's hosts file exists (its plan wrote it); box 2 joining rewrote it.
  mkdirSync(`${dir}/net/boxes/${id(1).slice(0, 12)}`, { recursive: true });
  writeFileSync(`${dir}/net/boxes/${id(1).slice(0, 12)}/hosts`, '');
  prepareNetwork(req({ network: 'web', names: ['gamma'] }), id(3), { dryRun: false, env, facts: facts() });
  const hosts = () => readFileSync(`${dir}/net/boxes/${id(1).slice(0, 12)}/hosts`, 'utf8');
  assert.match(hosts(), /\tbeta /);
  assert.match(hosts(), /\tgamma /);
  releaseNetwork(id(2), env);
  assert.not.match(hosts(), /beta/, 'beta left: its line is gone at once');
  assert.match(hosts(), /\tgamma /);
  assert.is(a.lease!.address, '10.77.0.2');
  assert.equal(readdirSync(`${dir}/net/leases/web`).sort(), ['10.77.0.2.json', '10.77.0.4.json']);
});

test('an image box\'s /etc/hosts is where its lease says (its container directory): peers rewrite it there', () => {
  saveNetworkRecord(`${dir}/net`, newNetworkRecord('img', parseSubnet('s', '10.78.0.0/24'), `${dir}/net`));
  const a = prepareNetwork(req({ network: 'img', names: ['alpha'] }), id(4), { dryRun: false, env, facts: facts() });
  // Its plan puts the file in the container's directory and rewrites the lease to name it (as the executor would).
  const file = `${dir}/containers-${id(4)}-hosts`;
  const plan = planNetwork(a, id(4), { bindFiles: false, etcFiles: { hosts: file, resolvConf: `${dir}/containers-resolv.conf` } });
  assert.is(plan.files.hosts, file, 'the box binds the container directory\'s file');
  for (const step of plan.steps) if (step.kind === 'write-file' && (step.path === file || step.path.includes('/leases/'))) writeFileSync(step.path, step.content);
  assert.not.ok(existsSync(`${dir}/net/boxes/${id(4).slice(0, 12)}/hosts`), 'nothing the box writes is in the state dir');
  prepareNetwork(req({ network: 'img', names: ['beta'] }), id(5), { dryRun: false, env, facts: facts() });
  assert.match(readFileSync(file, 'utf8'), /\tbeta /, 'a peer joining rewrote the file the lease names');
  releaseNetwork(id(5), env);
  assert.not.match(readFileSync(file, 'utf8'), /beta/, 'and again when it left');
  releaseNetwork(id(4), env);
});

test('firewall tool: iptables, else nft, else none; NSBOX_FIREWALL chooses and must name an installed tool', () => {
  const both = (n: string) => (n === 'iptables' || n === 'nft' ? `/usr/sbin/${n}` : undefined);
  assert.is(detectFirewall({}, both), 'iptables');
  assert.is(detectFirewall({}, (n) => (n === 'nft' ? '/usr/sbin/nft' : undefined)), 'nft');
  assert.is(detectFirewall({}, () => undefined), 'none');
  assert.is(detectFirewall({ NSBOX_FIREWALL: 'nft' }, both), 'nft');
  assert.throws(() => detectFirewall({ NSBOX_FIREWALL: 'nft' }, () => undefined), /nft is not installed/);
  assert.throws(() => detectFirewall({ NSBOX_FIREWALL: 'pf' }, both), /invalid NSBOX_FIREWALL/);
});

test('golden: a host-root box on a user network with -p and a hostname, batched (one nsenter for every in-box step)', () => {
  const request = req({ network: 'web', publish: ['8080:80'], names: ['alpha'] });
  const network = { name: 'web', bridge: 'nsbr-web', subnet: '10.77.0.0/24', gateway: '10.77.0.1', createdAt: '2026-01-01T00:00:00.000Z' };
  const lease = { boxId: id(1), network: 'web', address: '10.77.0.2', hostVeth: `nsv${id(1).slice(0, 12)}`, publish: request.publish, names: ['alpha'], addHosts: [], owner: { pid: 1, start: '1' }, createdAt: '2026-01-01T00:00:00.000Z' };
  const setup: NetworkSetup = { request, stateDir: '/run/nsbox/net', firewall: 'iptables', hostNameservers: ['192.0.2.53'], network, lease, peers: [], reserved: true, infraReady: true };
  const spec = { ...buildBoxDescription({ uts: true, hostname: 'alpha', 'dry-run': true }, ['true'], { interactive: false, hostEnv: {} }), id: id(1), network: setup, namespaces: ['mount', 'uts', 'net'] as const };
  const plan = buildRunPlan(spec as never, 'nsbox run --net web -p 8080:80 --hostname alpha -- true');
  const execs = plan.steps.filter((s) => s.kind === 'exec');
  assert.equal(execs.map((s) => (s.kind === 'exec' ? s.argv[0] : '')), ['ip', 'iptables-restore', 'nsenter'], 'three processes: the veth pair, the DNAT rules, one entry into the box');
  const text = renderShell(plan);
  const path = 'fixtures/plans/net-user-publish-hostname.sh';
  if (process.env.UPDATE_GOLDEN || !existsSync(path)) writeFileSync(path, text);
  assert.fixture(text, readFileSync(path, 'utf8'));
});

test('ip_forward is restored only when no nsbox bridge of any state dir is left', () => {
  assert.equal(nsboxBridges(['lo', 'eth0', 'nsbox0', 'nsbox-0123abcd', 'nsbr-web', 'nsv0123', 'nsbox-x']), ['nsbox0', 'nsbox-0123abcd', 'nsbr-web']);
  assert.equal(nsboxBridges(['lo', 'eth0', 'docker0']), []);
});

test.run();
