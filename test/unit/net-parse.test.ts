// Network flags, subnets and /proc parsing: pure logic, no root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NsboxError } from '../../src/errors.js';
import { formatIpv4, overlaps, parseIpv4, parseSubnet, boxAddresses } from '../../src/net/subnet.js';
import { buildNetworkRequest, parseExposed, parsePortSpec, parseHostEntry, publishAllPorts, spellPort } from '../../src/net/request.js';
import { parseProcRoutes, parseProcSockets } from '../../src/net/host-facts.js';
import { rewriteNetFlag } from '../../src/net/net-flag.js';
import { bridgeNameFor, hostVethName, peerVethName, IFNAME_MAX } from '../../src/net/names.js';
import { RUN_OPTIONS } from '../../src/spec/run-flags.js';

const flags = (over: Partial<Parameters<typeof buildNetworkRequest>[0]>) =>
  buildNetworkRequest({ net: undefined, network: undefined, publish: [], dns: [], addHost: [], names: [], ...over });

const throwsNsbox = (fn: () => unknown, pattern: RegExp) => {
  try {
    fn();
  } catch (error) {
    assert.instance(error, NsboxError);
    assert.match((error as Error).message, pattern);
    assert.not.match((error as Error).message, /\n/);
    return;
  }
  assert.unreachable('expected an NsboxError');
};

test('IPv4 parse/format round trip and rejects', () => {
  assert.is(formatIpv4(parseIpv4('10.88.0.2')!), '10.88.0.2');
  assert.is(parseIpv4('256.1.1.1'), undefined);
  assert.is(parseIpv4('1.2.3'), undefined);
  assert.is(parseIpv4('01.2.3.4'), undefined);
});

test('subnets: valid, host bits, prefix range, overlap', () => {
  const a = parseSubnet('--subnet', '10.89.0.0/24');
  assert.equal(a, { base: parseIpv4('10.89.0.0'), prefix: 24 });
  throwsNsbox(() => parseSubnet('--subnet', '10.89.0.1/24'), /host bits are set \(did you mean 10\.89\.0\.0\/24\?\)/);
  throwsNsbox(() => parseSubnet('--subnet', '10.0.0.0/31'), /between 8 and 30/);
  throwsNsbox(() => parseSubnet('--subnet', 'banana'), /expected an IPv4 subnet/);
  assert.ok(overlaps(a, parseSubnet('x', '10.89.0.128/25')));
  assert.ok(overlaps(parseSubnet('x', '10.0.0.0/8'), a));
  assert.not.ok(overlaps(a, parseSubnet('x', '10.89.1.0/24')));
  const all = [...boxAddresses(parseSubnet('x', '10.9.9.0/29'))].map(formatIpv4);
  assert.equal(all, ['10.9.9.2', '10.9.9.3', '10.9.9.4', '10.9.9.5', '10.9.9.6']);
});

test('-p, --add-host, --dns parse and reject', () => {
  const one = (text: string) => {
    const ports = parsePortSpec(text);
    assert.is(ports.length, 1, text);
    return ports[0]!;
  };
  assert.equal(one('8080:80'), { hostPort: 8080, boxPort: 80, protocol: 'tcp' });
  assert.equal(one('53:5353/udp'), { hostPort: 53, boxPort: 5353, protocol: 'udp' });
  throwsNsbox(() => parsePortSpec('80:70000'), /port 70000 is out of range/);
  throwsNsbox(() => parsePortSpec('80:0'), /port 0 is out of range/);
  throwsNsbox(() => parsePortSpec('80:80/sctp'), /\[\[IP:\]HOSTPORT:\]BOXPORT/);
  throwsNsbox(() => parsePortSpec('1:2:3:4'), /\[\[IP:\]HOSTPORT:\]BOXPORT/);
  throwsNsbox(() => parsePortSpec('80/tcp/udp'), /\[\[IP:\]HOSTPORT:\]BOXPORT/);
  throwsNsbox(() => parsePortSpec(''), /\[\[IP:\]HOSTPORT:\]BOXPORT/);
  // A line break (the regex's . stops there): the usage, not an internal error.
  throwsNsbox(() => parsePortSpec('127.0.0.1\n:80:80'), /\[\[IP:\]HOSTPORT:\]BOXPORT/);
  throwsNsbox(() => parsePortSpec('80:80\n/tcp'), /\[\[IP:\]HOSTPORT:\]BOXPORT/);
  // Docker's -p IP:HOSTPORT:BOXPORT; 0.0.0.0 is every address, as no IP.
  assert.equal(one('127.0.0.1:8080:80'), { hostIp: '127.0.0.1', hostPort: 8080, boxPort: 80, protocol: 'tcp' });
  assert.equal(one('192.0.2.10:53:53/udp'), { hostIp: '192.0.2.10', hostPort: 53, boxPort: 53, protocol: 'udp' });
  assert.equal(one('0.0.0.0:8080:80'), { hostPort: 8080, boxPort: 80, protocol: 'tcp' });
  throwsNsbox(() => parsePortSpec('127.0.0.256:8080:80'), /not an IPv4 address/);
  throwsNsbox(() => parsePortSpec('localhost:8080:80'), /\[\[IP:\]HOSTPORT:\]BOXPORT/);
  assert.is(spellPort(one('127.0.0.1:8080:80')), '127.0.0.1:8080:80/tcp');
  assert.is(spellPort(one('8080:80/udp')), '8080:80/udp');
});

test('-p without a host port: nsbox chooses it (BOXPORT, :BOXPORT, 0:BOXPORT, IP::BOXPORT), as Docker', () => {
  for (const text of ['80', ':80', '0:80', '0.0.0.0::80']) assert.equal(parsePortSpec(text), [{ hostPort: 0, boxPort: 80, protocol: 'tcp' }], text);
  assert.equal(parsePortSpec('53/udp'), [{ hostPort: 0, boxPort: 53, protocol: 'udp' }]);
  assert.equal(parsePortSpec('127.0.0.1::80'), [{ hostIp: '127.0.0.1', hostPort: 0, boxPort: 80, protocol: 'tcp' }]);
  assert.is(spellPort(parsePortSpec('127.0.0.1::80')[0]!), '127.0.0.1::80/tcp');
  assert.is(spellPort(parsePortSpec('80')[0]!), '80/tcp');
  throwsNsbox(() => parsePortSpec('0'), /port 0 is out of range/);
  throwsNsbox(() => parsePortSpec('127.0.0.1:80'), /\[\[IP:\]HOSTPORT:\]BOXPORT/);
});

test('-p ranges: equal ranges pair up, a box range alone gets a chosen port each, a host range for one box port is where to choose', () => {
  assert.equal(parsePortSpec('8000-8002:80-82'), [80, 81, 82].map((b, i) => ({ hostPort: 8000 + i, boxPort: b, protocol: 'tcp' })));
  assert.equal(parsePortSpec('127.0.0.1:8000-8001:80-81/udp'), [80, 81].map((b, i) => ({ hostIp: '127.0.0.1', hostPort: 8000 + i, boxPort: b, protocol: 'udp' })));
  assert.equal(parsePortSpec('80-81'), [80, 81].map((b) => ({ hostPort: 0, boxPort: b, protocol: 'tcp' })));
  assert.equal(parsePortSpec('8000-8010:80'), [{ hostPort: 0, boxPort: 80, protocol: 'tcp', hostRange: [8000, 8010] }]);
  throwsNsbox(() => parsePortSpec('8000-8001:80-82'), /2 host ports for 3 box ports: give ranges of the same length/);
  throwsNsbox(() => parsePortSpec('8000:80-81'), /1 host port for 2 box ports/);
  throwsNsbox(() => parsePortSpec('8002-8000:80'), /range 8002-8000 ends before it starts/);
  throwsNsbox(() => parsePortSpec('1-65535'), /more than the 1024 a box can publish/);
  throwsNsbox(() => flags({ network: 'bridge', publish: ['8000-8001:80-81', '8001:90'] }), /host port 8001\/tcp is already published by -p 8000-8001:80-81/);
});

test('-P: exposed ports not given by -p, sorted, each to a chosen port; --expose and image keys parse', () => {
  const exposed = [...parseExposed('image ExposedPorts', '8080/tcp'), ...parseExposed('image ExposedPorts', '53/udp'), ...parseExposed('--expose', '80'), ...parseExposed('image ExposedPorts', '9/sctp')];
  assert.equal(exposed, [{ port: 8080, protocol: 'tcp' }, { port: 53, protocol: 'udp' }, { port: 80, protocol: 'tcp' }], 'sctp keys of an image are left out');
  const r = flags({ network: 'bridge', publish: ['9090:8080'], publishAll: true, exposed })!;
  assert.equal(r.publish, [
    { hostPort: 9090, boxPort: 8080, protocol: 'tcp' },
    { hostPort: 0, boxPort: 53, protocol: 'udp' },
    { hostPort: 0, boxPort: 80, protocol: 'tcp' },
  ], '8080 keeps its -p, as in Docker');
  assert.equal(flags({ network: 'bridge', publishAll: false, exposed })!.publish, [], 'exposed alone publishes nothing');
  assert.equal(parseExposed('--expose', '7000-7002/udp').map((e) => e.port), [7000, 7001, 7002]);
  throwsNsbox(() => parseExposed('--expose', '80/sctp'), /invalid --expose "80\/sctp": the protocol is tcp or udp/);
  throwsNsbox(() => parseExposed('--expose', 'http'), /invalid --expose "http"/);
  throwsNsbox(() => parseExposed('--expose', '0'), /ports 1-65535/);
  throwsNsbox(() => flags({ network: 'none', publishAll: true, exposed }), /invalid -P "53\/udp": needs --net bridge/);
  assert.equal(publishAllPorts([{ port: 80, protocol: 'tcp' }, { port: 80, protocol: 'tcp' }], []), [{ hostPort: 0, boxPort: 80, protocol: 'tcp' }], 'a port exposed twice is published once');
});

test('--add-host, --dns parse and reject', () => {
  assert.equal(parseHostEntry('db:10.0.0.5'), { name: 'db', address: '10.0.0.5' });
  throwsNsbox(() => parseHostEntry('db'), /NAME:IPV4/);
  throwsNsbox(() => parseHostEntry('db:1.2.3.999'), /not an IPv4 address/);
  throwsNsbox(() => flags({ network: 'bridge', dns: ['x'] }), /--dns/);
});

test('modes: none, host, bridge, user; -p needs a network; duplicate -p', () => {
  assert.is(flags({}), undefined);
  assert.is(flags({ net: true })!.mode, 'none');
  assert.is(flags({ network: 'host' })!.mode, 'host');
  assert.equal([flags({ network: 'bridge' })!.mode, flags({ network: 'bridge' })!.network], ['bridge', 'bridge']);
  assert.equal([flags({ network: 'web' })!.mode, flags({ network: 'web' })!.network], ['user', 'web']);
  throwsNsbox(() => flags({ net: true, publish: ['80:80'] }), /needs --net bridge/);
  throwsNsbox(() => flags({ network: 'host', publish: ['80:80'] }), /host's ports/);
  throwsNsbox(() => flags({ network: 'bridge', publish: ['80:80', '80:81'] }), /already published/);
  // Two addresses of one port are two bindings; every address overlaps each one.
  assert.is(flags({ network: 'bridge', publish: ['127.0.0.1:80:80', '127.0.0.2:80:81', '80:80/udp'] })!.publish.length, 3);
  throwsNsbox(() => flags({ network: 'bridge', publish: ['127.0.0.1:80:80', '80:81'] }), /already published by -p 127.0.0.1:80:80/);
  throwsNsbox(() => flags({ network: 'bridge', publish: ['80:80', '127.0.0.1:80:81'] }), /already published by -p 80:80/);
  throwsNsbox(() => flags({ network: '-bad' }), /network name/);
});

test('/proc/net/route and /proc/net/tcp parsing', () => {
  const routes = parseProcRoutes(
    'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n' +
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\n' +
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n',
  );
  assert.equal(routes, [{ base: parseIpv4('192.0.2.0'), prefix: 24 }]);
  const tcp = parseProcSockets(
    '  sl  local_address rem_address   st\n' +
      '   0: 0100007F:1F90 00000000:0000 0A 00000000\n' +
      '   1: 0100007F:0050 0100007F:9999 01 00000000\n',
    'tcp',
  );
  assert.equal(tcp, ['8080/tcp']);
});

test('--net VALUE is rewritten only for modes and known networks, never inside the command', () => {
  const known = (n: string) => n === 'web';
  assert.equal(rewriteNetFlag(['--net', '--', 'true'], RUN_OPTIONS, known), ['--net', '--', 'true']);
  assert.equal(rewriteNetFlag(['--net', 'bridge', '--', 'true'], RUN_OPTIONS, known), ['--network=bridge', '--', 'true']);
  assert.equal(rewriteNetFlag(['--net=web2', '--', 'x'], RUN_OPTIONS, known), ['--network=web2', '--', 'x']);
  assert.equal(rewriteNetFlag(['--net', 'web', 'busybox'], RUN_OPTIONS, known), ['--network=web', 'busybox']);
  assert.equal(rewriteNetFlag(['--net', 'busybox', 'sh'], RUN_OPTIONS, known), ['--net', 'busybox', 'sh']);
  assert.equal(rewriteNetFlag(['-e', 'A=1', '--net', 'host', '--', 'x'], RUN_OPTIONS, known), ['-e', 'A=1', '--network=host', '--', 'x']);
  assert.equal(rewriteNetFlag(['img', '--net', 'host'], RUN_OPTIONS, known), ['img', '--net', 'host']);
});

test('interface names fit in 15 characters', () => {
  const id = 'abcdef0123456789'.repeat(4);
  for (const n of [hostVethName(id), peerVethName(id), bridgeNameFor('bridge'), bridgeNameFor('web'), bridgeNameFor('a-very-long-network-name.with.dots')]) {
    assert.ok(n.length <= IFNAME_MAX, n);
  }
  assert.is(bridgeNameFor('bridge'), 'nsbox0');
  assert.is.not(bridgeNameFor('a-very-long-network-name-1'), bridgeNameFor('a-very-long-network-name-2'));
});

test.run();
