// Port publishing with a host port nsbox chooses (-p BOXPORT, -p IP::BOXPORT, -P and an image's ExposedPorts),
// checked from the host: the box is reached through the chosen port on 127.0.0.1, `port`/`ps`/`inspect` show it,
// parallel boxes never share one, the DNAT rules (iptables, and nft in a network namespace of the test) go with the
// box. Traffic only to 127.0.0.1 and to addresses inside namespaces these tests create.
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { nsbox, NSBOX, isRoot, exitOf } from '../helpers/nsbox.js';
import { leaseFiles, ownLinks, ownRules } from '../helpers/net.js';
import { findTool } from '../../src/host/tools.js';
import { gatedTest, skipPart } from '../helpers/suite.js';
import { treeEntries, writeDockerSave } from './image-fixtures.js';

const hasIptables = !!findTool('iptables');
const skip = !isRoot ? 'needs root' : !findTool('ip') || !findTool('busybox') ? 'needs iproute2 and busybox-static' : undefined;
const test = gatedTest(skip);

const base = mkdtempSync(`${tmpdir()}/nsbox-netpub-`);
const state = join(base, 'state');
const env: NodeJS.ProcessEnv = { ...process.env, NSBOX_STATE: state, NSBOX_ROOT: join(base, 'root') };
const NET = `nsp${process.pid % 100000}`;
const BRIDGE = `nsbr-${NET}`;
const octet = 100 + ((process.pid >> 2) % 150);
const SUBNET = `10.233.${octet}.0/24`;
const PREFIX = `10.233.${octet}.`;
const run = (args: string[], e: NodeJS.ProcessEnv = env) => nsbox(args, { env: e, timeoutMs: 30_000 });
const ok = (args: string[], e: NodeJS.ProcessEnv = env) => {
  const r = run(args, e);
  assert.is(r.code, 0, `nsbox ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const [ephemeralLow, ephemeralHigh] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number) as [number, number];
const dnat = () => ownRules([PREFIX]).split('\n').filter((l) => l.includes('DNAT'));
const lastPort = () => (existsSync(`${state}/net/last-port`) ? readFileSync(`${state}/net/last-port`, 'utf8').trim() : '');

/** GET http://HOST:PORT/PATH once: the body, or the error's code. */
function fetchOnce(host: string, port: number, path = '/', timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const req = get({ host, port, path, timeout: timeoutMs }, (res) => {
      let d = '';
      res.on('data', (c) => (d += c)).on('end', () => resolve(d.trim()));
    });
    req.on('timeout', () => (req.destroy(), resolve('ETIMEDOUT')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** Poll until the body is `want` (httpd in a detached box may not listen yet), at most ~5 s. */
async function fetchUntil(port: number, path: string, want: string): Promise<string> {
  let body = '';
  for (let i = 0; i < 50 && body !== want; i++) {
    body = await fetchOnce('127.0.0.1', port, path);
    if (body !== want) await sleep(100);
  }
  return body;
}

/** `nsbox port BOX`'s lines parsed: private key -> [host address, host port]. */
function portsOf(box: string): Array<{ key: string; ip: string; port: number }> {
  return ok(['port', box])
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^(\d+\/(?:tcp|udp)) -> ([\d.]+):(\d+)$/.exec(line);
      assert.ok(m, `a port line as Docker prints it: ${line}`);
      return { key: m![1]!, ip: m![2]!, port: Number(m![3]) };
    });
}

const inRange = (port: number) => port >= ephemeralLow && port <= ephemeralHigh;

test('setup: a test-unique user network, busybox and an image that EXPOSEs 8080/tcp and 8081/tcp', async () => {
  ok(['network', 'create', NET, '--subnet', SUBNET]);
  ok(['image', 'import', '--from-host-busybox', 'busybox']);
  const busyboxFs = (JSON.parse(ok(['image', 'inspect', 'busybox'])) as { lowerDirs: string[] }).lowerDirs[0]!;
  const entries = [...treeEntries(busyboxFs), { name: 'www/', type: 'directory' as const }, { name: 'www/index.html', content: 'from-exposed\n' }];
  const file = join(base, 'exposed.tar');
  await writeDockerSave(file, { layers: [entries], config: { Cmd: ['busybox', 'httpd', '-f', '-p', '8080', '-h', '/www'], ExposedPorts: { '8080/tcp': {}, '8081/tcp': {} } } });
  ok(['image', 'import', file, 'exposed']);
  for (const name of ['pa', 'pb']) {
    mkdirSync(join(base, name));
    writeFileSync(join(base, name, 'index.html'), `from-${name}\n`);
  }
});

test('-p BOXPORT: two boxes get different ephemeral ports, each reached on 127.0.0.1; port, ps and inspect show them; rm removes the rules', async () => {
  if (!hasIptables) return skipPart('-p BOXPORT on the host', 'needs iptables (the nft test below runs in its own netns)');
  const before = dnat();
  for (const name of ['pa', 'pb']) ok(['run', '-d', '--name', name, '--net', NET, '-p', '8080', '--', 'busybox', 'httpd', '-f', '-p', '8080', '-h', join(base, name)]);
  try {
    const [a] = portsOf('pa');
    const [b] = portsOf('pb');
    assert.equal([a!.key, a!.ip, b!.key, b!.ip], ['8080/tcp', '0.0.0.0', '8080/tcp', '0.0.0.0']);
    assert.ok(a!.port !== b!.port, `two boxes, two host ports (${a!.port} ${b!.port})`);
    assert.ok(inRange(a!.port) && inRange(b!.port), `in ip_local_port_range ${ephemeralLow}-${ephemeralHigh}: ${a!.port} ${b!.port}`);
    assert.is(await fetchUntil(a!.port, '/', 'from-pa'), 'from-pa', 'box pa through its chosen port');
    assert.is(await fetchUntil(b!.port, '/', 'from-pb'), 'from-pb', 'box pb through its own');
    assert.is(ok(['port', 'pa', '8080']).trim(), `0.0.0.0:${a!.port}`);
    assert.is(ok(['ps', '--filter', 'name=pb', '--format', '{{.Ports}}']).trim(), `0.0.0.0:${b!.port}->8080/tcp`);
    assert.is(ok(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'pa']).trim(), `{"8080/tcp":[{"HostIp":"0.0.0.0","HostPort":"${a!.port}"}]}`);
    assert.is(ok(['inspect', '-f', '{{json .HostConfig.PortBindings}}', 'pa']).trim(), '{"8080/tcp":[{"HostIp":"","HostPort":""}]}', 'as asked, as in Docker');
    for (const { port } of [a!, b!]) assert.is(dnat().filter((l) => l.includes(`--dport ${port} `)).length, 2, `PREROUTING and OUTPUT DNAT for ${port}`);
  } finally {
    run(['rm', '-f', 'pa', 'pb']);
  }
  assert.equal(dnat(), before, 'rm removed every DNAT rule of both boxes');
  assert.equal(leaseFiles(state), []);
});

test('-p IP::BOXPORT: a chosen port on that address only', async () => {
  if (!hasIptables) return skipPart('-p IP::BOXPORT on the host', 'needs iptables');
  ok(['run', '-d', '--name', 'pip', '--net', NET, '-p', '127.0.0.1::8080', '--', 'busybox', 'httpd', '-f', '-p', '8080', '-h', join(base, 'pa')]);
  try {
    const [p] = portsOf('pip');
    assert.equal([p!.key, p!.ip], ['8080/tcp', '127.0.0.1']);
    assert.is(await fetchUntil(p!.port, '/', 'from-pa'), 'from-pa');
    assert.ok((await fetchOnce('127.0.0.2', p!.port)) !== 'from-pa', 'not on 127.0.0.2');
    assert.match(dnat().join('\n'), new RegExp(`-d 127\\.0\\.0\\.1/32 .*--dport ${p!.port} .*DNAT`));
  } finally {
    run(['rm', '-f', 'pip']);
  }
  assert.equal(dnat(), []);
});

test('parallel: six `run -d -p 8080` at once get six distinct host ports', async () => {
  if (!hasIptables) return skipPart('parallel -p BOXPORT', 'needs iptables');
  const names = Array.from({ length: 6 }, (_, i) => `par${i}`);
  const children = names.map((name) => spawn(NSBOX, ['run', '-d', '--name', name, '--net', NET, '-p', '8080', '--', 'busybox', 'sleep', '60'], { stdio: ['ignore', 'ignore', 'pipe'], env }));
  const errors = children.map(() => '');
  children.forEach((c, i) => c.stderr!.on('data', (d) => (errors[i] += d)));
  try {
    const codes = await Promise.all(children.map((c) => exitOf(c)));
    codes.forEach(({ code }, i) => assert.is(code, 0, `${names[i]}: ${errors[i]}`));
    const ports = names.map((n) => portsOf(n)[0]!.port);
    assert.is(new Set(ports).size, 6, `distinct: ${ports.join(' ')}`);
    const rules = dnat();
    for (const port of ports) assert.is(rules.filter((l) => l.includes(`--dport ${port} `)).length, 2, `one box's rules for ${port}`);
  } finally {
    run(['rm', '-f', ...names]);
  }
  assert.equal(dnat(), []);
  assert.equal(leaseFiles(state), []);
});

test('-P: the image\'s ExposedPorts and --expose, each to a chosen port; the box is reached through 8080\'s', async () => {
  if (!hasIptables) return skipPart('-P on the host', 'needs iptables');
  const fixed = 22000 + (process.pid % 10000);
  ok(['run', '-d', '--name', 'pall', '--net', NET, '-P', '--expose', '9090/udp', '-p', `${fixed}:8081`, 'exposed']);
  try {
    const ports = portsOf('pall');
    assert.equal(ports.map((p) => p.key), ['8080/tcp', '8081/tcp', '9090/udp']);
    const byKey = Object.fromEntries(ports.map((p) => [p.key, p.port]));
    assert.is(byKey['8081/tcp'], fixed, '-p keeps its host port; -P does not add another for 8081');
    assert.ok(inRange(byKey['8080/tcp']!) && inRange(byKey['9090/udp']!), JSON.stringify(byKey));
    assert.is(await fetchUntil(byKey['8080/tcp']!, '/', 'from-exposed'), 'from-exposed');
    assert.match(dnat().join('\n'), new RegExp(`-p udp .*--dport ${byKey['9090/udp']} .*DNAT --to-destination ${PREFIX.replace(/\./g, '\\.')}\\d+:9090`));
  } finally {
    run(['rm', '-f', 'pall']);
  }
  assert.equal(dnat(), []);
});

test('--dry-run -p BOXPORT prints the concrete rule, takes no lease and moves no choice on', () => {
  const last = lastPort();
  const r = run(['run', '--dry-run', '--net', NET, '-p', '8080', '-p', '8000-8001:90-91/udp', '--', 'true']);
  assert.is(r.code, 0, r.stderr);
  const m = /-A PREROUTING -p tcp --dport (\d+) .*DNAT --to-destination [\d.]+:8080/.exec(r.stdout);
  assert.ok(m && inRange(Number(m[1])), `a concrete host port in the plan: ${r.stdout}`);
  assert.match(r.stdout, /-A PREROUTING -p udp --dport 8001 .*DNAT --to-destination [\d.]+:91/);
  assert.equal(leaseFiles(state), []);
  assert.is(lastPort(), last);
});

test('bad input: one line, exit 125, nothing left', () => {
  const before = { links: ownLinks([BRIDGE]), rules: dnat(), leases: leaseFiles(state), last: lastPort() };
  const cases: Array<[string[], RegExp]> = [
    [['-p', '8000:80-81'], /invalid -p "8000:80-81": 1 host port for 2 box ports/],
    [['-p', '80/sctp'], /invalid -p "80\/sctp": expected \[\[IP:\]HOSTPORT:\]BOXPORT/],
    [['-p', '70000'], /port 70000 is out of range/],
    [['-p', '198.51.100.7::80'], /198\.51\.100\.7 is not an address of this host/],
    [['-p', '8001-8000:80'], /ends before it starts/],
    [['-P', '--expose', 'http'], /invalid --expose "http"/],
  ];
  for (const [flags, pattern] of cases) {
    const r = run(['run', '--net', NET, ...flags, '--', 'true']);
    assert.is(r.code, 125, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.is(r.stderr.trim().split('\n').filter((l) => !l.includes('hint:')).length, 1, r.stderr);
  }
  const none = run(['run', '--net', 'none', '-P', '--expose', '80', '--', 'true']);
  assert.is(none.code, 125, none.stderr);
  assert.match(none.stderr, /invalid -P "80\/tcp": needs --net bridge/);
  assert.equal({ links: ownLinks([BRIDGE]), rules: dnat(), leases: leaseFiles(state), last: lastPort() }, before);
});

function readLink(path: string): string {
  try {
    return execFileSync('readlink', ['-f', path], { encoding: 'utf8' }).trim();
  } catch {
    return path;
  }
}

test('nft backend for real: iptables hidden, -p BOXPORT via nft on a chosen port, the map element goes with the box', () => {
  if (!findTool('nft')) return skipPart('the nft backend', 'apt-get install nftables');
  const dir = mkdtempSync(`${tmpdir()}/nsbox-netpub-nft-`);
  // Hide every iptables binary (the xtables multi-call programs) behind /dev/null, in the test's mount namespace only.
  const hide = ['xtables-nft-multi', 'xtables-legacy-multi']
    .flatMap((b) => ['/usr/sbin', '/sbin'].map((d) => `${d}/${b}`))
    .filter((p, i, all) => existsSync(p) && all.findIndex((q) => readLink(q) === readLink(p)) === i)
    .map((p) => `mount --bind /dev/null ${p}`);
  const script = [
    ...hide,
    'if iptables -V >/dev/null 2>&1; then echo "iptables still runs"; exit 1; fi',
    // Detached boxes would keep this netns (and its links) alive: removed whatever happens.
    `trap 'st=$?; "${NSBOX}" rm -f n1 n2 >/dev/null 2>&1 || :; "${NSBOX}" network rm w >/dev/null 2>&1 || :; exit $st' EXIT`,
    'echo "range=$(cat /proc/sys/net/ipv4/ip_local_port_range)"',
    `"${NSBOX}" network create w >/dev/null`,
    `"${NSBOX}" run -d --name n1 --net w -p 8080 -- busybox httpd -f -p 8080 -h "${join(base, 'pa')}" >/dev/null`,
    `"${NSBOX}" run -d --name n2 --net w -p 8080 -- busybox sleep 60 >/dev/null`,
    `p1=$("${NSBOX}" port n1 8080 | cut -d: -f2); p2=$("${NSBOX}" port n2 8080 | cut -d: -f2)`,
    'echo "p1=$p1 p2=$p2"',
    'i=0; until busybox wget -q -O /dev/null http://127.0.0.1:$p1/ 2>/dev/null; do i=$((i+1)); [ $i -lt 100 ] || break; sleep 0.1; done',
    'echo "body=$(busybox wget -q -O - http://127.0.0.1:$p1/)"',
    'echo "during=$(nft list map ip nsbox ports | grep -c "tcp . $p1 :" || true)"',
    `"${NSBOX}" rm -f n1 n2 >/dev/null`,
    'echo "after=$(nft list map ip nsbox ports | grep -c -e "tcp . $p1 :" -e "tcp . $p2 :" || true)"',
    `"${NSBOX}" network rm w >/dev/null`,
  ].join('\n');
  try {
    const r = spawnSync('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'sh', '-c', `set -eu; mount -t sysfs sysfs /sys; ip link set lo up; ${script}`], {
      encoding: 'utf8',
      env: { ...env, NSBOX_STATE: dir },
      timeout: 60_000,
    });
    const out = `${r.stdout}${r.stderr}`;
    assert.is(r.status, 0, out);
    // The netns has its own ip_local_port_range.
    const range = /^range=(\d+)\s+(\d+)$/m.exec(out);
    assert.ok(range, out);
    const within = (p: number) => p >= Number(range![1]) && p <= Number(range![2]);
    const m = /^p1=(\d+) p2=(\d+)$/m.exec(out);
    assert.ok(m && m[1] !== m[2] && within(Number(m[1])) && within(Number(m[2])), `two chosen ports in the netns's range: ${out}`);
    assert.match(out, /^body=from-pa$/m, out);
    assert.match(out, /^during=1$/m, 'the chosen port was in nsbox\'s nft map');
    assert.match(out, /^after=0$/m, 'and went with the box');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('teardown: network rm; nothing of this file is left', () => {
  ok(['network', 'rm', NET]);
  assert.equal(ownLinks([BRIDGE]), []);
  assert.is(ownRules([PREFIX, BRIDGE]), '');
  rmSync(base, { recursive: true, force: true });
});

test.run();
