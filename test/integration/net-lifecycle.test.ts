// A box's network across its life, checked from the host: stop takes it off its network (-p rules, lease, peers'
// /etc/hosts lines), a reused address is reachable at once, gc cleans up after a box that exited by itself, two
// state dirs own a default bridge each, and, in a network namespace this test makes, `network create` without
// --subnet avoids the routes there and the nft backend runs for real with iptables hidden.
// Traffic only to 127.0.0.1 and to addresses inside namespaces these tests create.
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { nsbox, NSBOX, isRoot } from '../helpers/nsbox.js';
import { descendants } from '../helpers/leaks.js';
import { leaseFiles, ownLinks, ownRules } from '../helpers/net.js';
import { findTool } from '../../src/host/tools.js';
import { macForAddress } from '../../src/net/names.js';
import { gatedTest, skipPart } from '../helpers/suite.js';

const hasIptables = !!findTool('iptables');
const skip = !isRoot ? 'needs root' : !findTool('ip') || !findTool('busybox') ? 'needs iproute2 and busybox-static' : undefined;
const test = gatedTest(skip);

const state = mkdtempSync(`${tmpdir()}/nsbox-netlife-`);
const env = { ...process.env, NSBOX_STATE: state };
const NET = `nsl${process.pid % 100000}`;
const BRIDGE = `nsbr-${NET}`;
const octet = 100 + ((process.pid >> 3) % 150);
const SUBNET = `10.232.${octet}.0/24`;
const PREFIX = `10.232.${octet}.`;
const run = (args: string[], e: NodeJS.ProcessEnv = env) => nsbox(args, { env: e, timeoutMs: 30_000 });
const ok = (args: string[], e: NodeJS.ProcessEnv = env) => {
  const r = run(args, e);
  assert.is(r.code, 0, `nsbox ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const www = mkdtempSync(`${tmpdir()}/nsbox-netlife-www-`);

/** GET http://HOST:PORT/ once: the body, or the error's code (ECONNREFUSED, ETIMEDOUT...). */
function fetchOnce(host: string, port: number, timeoutMs = 3000, path = '/'): Promise<string> {
  return new Promise((resolve) => {
    const req = get({ host, port, path, timeout: timeoutMs }, (res) => {
      let d = '';
      res.on('data', (c) => (d += c)).on('end', () => resolve(d.trim()));
    });
    req.on('timeout', () => (req.destroy(), resolve('ETIMEDOUT')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** The address box `name` holds on NET, from `network inspect`. */
function addressOf(name: string): string | undefined {
  const [net] = JSON.parse(ok(['network', 'inspect', NET])) as Array<{ Containers: Record<string, { Name: string; IPv4Address: string }> }>;
  return Object.values(net!.Containers).find((c) => c.Name === name)?.IPv4Address.split('/')[0];
}

const hostsOf = (box: string) => ok(['exec', box, 'cat', '/etc/hosts']);

test('setup: a test-unique user network', () => {
  ok(['network', 'create', NET, '--subnet', SUBNET]);
});

test('stop takes a box off its network: -p gone, address reused by a new box that is reachable at once and gets none of the old traffic', async () => {
  if (!hasIptables) return skipPart('-p on the host', 'needs iptables (the nft test below runs in its own netns)');
  const port = 21000 + (process.pid % 20000);
  writeFileSync(`${www}/index.html`, 'from-pub\n');
  ok(['run', '-d', '--name', 'pub', '--net', NET, '-p', `${port}:8080`, '--', 'busybox', 'httpd', '-f', '-p', '8080', '-h', www]);
  try {
    let body = '';
    for (let i = 0; i < 50 && body !== 'from-pub'; i++) body = await fetchOnce('127.0.0.1', port, 1000).then((b) => (b === 'from-pub' ? b : sleep(100).then(() => b)));
    assert.is(body, 'from-pub', '-p reaches the box while it runs');
    const address = addressOf('pub')!;
    assert.ok(address?.startsWith(PREFIX), String(address));
    assert.match(ownRules([PREFIX]), new RegExp(`--dport ${port} .*DNAT`));

    ok(['stop', '-t', '1', 'pub']);
    assert.not.match(ownRules([PREFIX]), new RegExp(`--dport ${port} `), 'stop removed the DNAT rules');
    assert.equal(leaseFiles(state), [], 'stop released the lease');
    assert.equal(ownLinks([BRIDGE]), [BRIDGE], 'no veth left on the bridge');

    writeFileSync(`${www}/other.html`, 'from-other\n');
    ok(['run', '-d', '--name', 'other', '--net', NET, '--', 'busybox', 'httpd', '-f', '-p', '8080', '-h', www]);
    assert.is(addressOf('other'), address, 'the new box got the stopped box\'s address');
    // Reachable at once: the first request after start, no retry (the MAC is the address's, as the host cached it).
    const direct = await new Promise<string>((resolve) => {
      get({ host: address, port: 8080, path: '/other.html', timeout: 3000 }, (res) => {
        let d = '';
        res.on('data', (c) => (d += c)).on('end', () => resolve(d.trim()));
      }).on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''));
    });
    assert.is(direct, 'from-other', 'the new box answers on its address at once');
    const neigh = execFileSync('ip', ['neigh', 'show', address, 'dev', BRIDGE], { encoding: 'utf8' });
    assert.match(neigh, new RegExp(`lladdr ${macForAddress(address)}`), `the host's neighbour entry has the address's MAC: ${neigh}`);
    assert.match(ok(['exec', 'other', 'ip', '-o', 'link', 'show', 'dev', 'eth0']), new RegExp(`link/ether ${macForAddress(address)}`));
    const stale = await fetchOnce('127.0.0.1', port);
    assert.ok(stale !== 'from-pub' && stale !== 'from-other', `the stopped box's port reaches nothing (got ${stale})`);
  } finally {
    for (const box of ['pub', 'other']) run(['rm', '-f', box]);
  }
  assert.equal(leaseFiles(state), []);
  assert.not.match(ownRules([PREFIX]), /DNAT/);
});

test('-p 127.0.0.1:PORT:BOXPORT (iptables): the box is reached on that address only; ps, port and inspect show it; rm removes the rule', async () => {
  if (!hasIptables) return skipPart('-p IP: on the host', 'needs iptables (the nft test below runs in its own netns)');
  const port = 21000 + ((process.pid + 1) % 20000);
  writeFileSync(`${www}/bound.html`, 'from-bound\n');
  ok(['run', '-d', '--name', 'bound', '--net', NET, '-p', `127.0.0.1:${port}:8080`, '--', 'busybox', 'httpd', '-f', '-p', '8080', '-h', www]);
  try {
    let body = '';
    for (let i = 0; i < 50 && body !== 'from-bound'; i++) body = await fetchOnce('127.0.0.1', port, 1000, '/bound.html').then((b) => (b === 'from-bound' ? b : sleep(100).then(() => b)));
    assert.is(body, 'from-bound', 'reached on 127.0.0.1');
    const other = await fetchOnce('127.0.0.2', port, 1000, '/bound.html');
    assert.ok(other !== 'from-bound', `not reached on 127.0.0.2, another address of lo (got ${other})`);
    assert.match(ownRules([PREFIX]), new RegExp(`-d 127\\.0\\.0\\.1/32 .*--dport ${port} .*DNAT`), 'the rule names the address');
    assert.is(ok(['port', 'bound']).trim(), `8080/tcp -> 127.0.0.1:${port}`);
    assert.is(ok(['ps', '--filter', 'name=bound', '--format', '{{.Ports}}']).trim(), `127.0.0.1:${port}->8080/tcp`);
    assert.is(ok(['inspect', '-f', '{{json .HostConfig.PortBindings}}', 'bound']).trim(), `{"8080/tcp":[{"HostIp":"127.0.0.1","HostPort":"${port}"}]}`);
  } finally {
    run(['rm', '-f', 'bound']);
  }
  assert.not.match(ownRules([PREFIX]), new RegExp(`--dport ${port} `), 'rm removed the DNAT rules');
  assert.equal(leaseFiles(state), []);
});

test('peers\' /etc/hosts lose a box as it leaves: stop, a foreground box\'s end, a box that exits by itself (then gc)', async () => {
  const before = { processes: descendants(process.pid), links: ownLinks([BRIDGE]) };
  ok(['run', '-d', '--name', 'alpha', '--hostname', 'alpha', '--net', NET, '--', 'busybox', 'sleep', '60']);
  try {
    ok(['run', '-d', '--name', 'beta', '--hostname', 'beta', '--net', NET, '--', 'busybox', 'sleep', '60']);
    assert.match(hostsOf('alpha'), /\tbeta /, 'alpha finds beta');
    ok(['stop', '-t', '0', 'beta']);
    assert.not.match(hostsOf('alpha'), /beta/, 'stop: beta\'s line is gone from alpha\'s /etc/hosts');
    assert.not.match(hostsOf('alpha'), new RegExp(PREFIX.replace(/\./g, '\\.') + '3\\b'));

    const fg = run(['run', '--net', NET, '--hostname', 'gamma', '--', 'sh', '-c', 'busybox sleep 1']);
    assert.is(fg.code, 0, fg.stderr);
    assert.not.match(hostsOf('alpha'), /gamma/, 'a foreground box\'s end: gamma\'s line is gone');

    const port = 41000 + (process.pid % 20000);
    ok(['run', '-d', '--name', 'delta', '--hostname', 'delta', '--net', NET, ...(hasIptables ? ['-p', `${port}:80`] : []), '--', 'busybox', 'sleep', '1']);
    assert.match(hostsOf('alpha'), /\tdelta /);
    // Wait for delta itself to have exited (beta shows as Exited already), and its veth to go with its netns.
    const deltaExited = () => ok(['ps', '-a']).split('\n').some((l) => /\bdelta\b/.test(l) && /Exited/.test(l));
    for (let i = 0; i < 300 && !deltaExited(); i++) await sleep(50);
    assert.ok(deltaExited(), 'delta exited by itself');
    for (let i = 0; i < 250 && ownLinks([BRIDGE]).length > 2; i++) await sleep(20);
    ok(['gc']);
    assert.not.match(hostsOf('alpha'), /delta/, 'exited by itself, then gc: delta\'s line is gone');
    assert.not.match(ownRules([PREFIX]), /DNAT/, 'and its -p rules');
    assert.equal(leaseFiles(state).length, 1, 'only alpha holds a lease');
  } finally {
    for (const box of ['alpha', 'beta', 'delta']) run(['rm', '-f', box]);
  }
  assert.equal(leaseFiles(state), []);
  for (let i = 0; i < 50 && ownLinks([BRIDGE]).length !== before.links.length; i++) await sleep(20);
  assert.equal({ processes: descendants(process.pid), links: ownLinks([BRIDGE]) }, before, 'no process or veth left');
});

test('start refused at plan time (a cgroup nsbox did not make sits at the box\'s path) gives back the lease it took', () => {
  const id = ok(['run', '-d', '--name', 'refused', '--net', NET, '--', 'sleep', '1000']).trim();
  const dirs = (JSON.parse(readFileSync(`${state}/boxes/${id}/state.json`, 'utf8')) as { cgroup?: { dirs: string[] } }).cgroup?.dirs ?? [];
  const made: string[] = [];
  try {
    assert.ok(dirs.length > 0, 'the box has cgroups');
    ok(['stop', '-t', '0', 'refused']);
    assert.equal(leaseFiles(state), [], 'stop released the lease');
    // The box's own empty cgroups go; someone makes new ones at the same paths.
    for (const dir of dirs) {
      if (existsSync(dir)) rmdirSync(dir);
      mkdirSync(dir);
      made.push(dir);
    }
    const r = run(['start', 'refused']);
    assert.is(r.code, 125, r.stderr);
    assert.match(r.stderr, /^nsbox: cannot create the box's cgroup .*: it exists already/);
    assert.equal(leaseFiles(state), [], 'the refused start gave its new lease back');
    assert.ok(made.every((d) => existsSync(d)), 'the foreign cgroups are still there');
  } finally {
    run(['rm', '-f', 'refused']);
    for (const dir of made) if (existsSync(dir)) rmdirSync(dir);
  }
  assert.equal(leaseFiles(state), []);
});

test('network connect/disconnect of a running box: eth1 with an address on the second network, hosts both ways, then gone', () => {
  const NET2 = `${NET}b`;
  ok(['network', 'create', NET2, '--subnet', `10.233.${octet}.0/24`]);
  try {
    ok(['run', '-d', '--name', 'one', '--hostname', 'one', '--net', NET, '--', 'busybox', 'sleep', '60']);
    ok(['run', '-d', '--name', 'two', '--hostname', 'two', '--net', NET2, '--', 'busybox', 'sleep', '60']);
    ok(['network', 'connect', NET2, 'one']);
    assert.match(ok(['exec', 'one', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth1']), new RegExp(`inet 10\\.233\\.${octet}\\.3/24`));
    assert.match(hostsOf('one'), /\ttwo /, 'one finds two');
    assert.match(hostsOf('two'), /\tone /, 'two finds one');
    const ping = run(['exec', 'one', 'busybox', 'ping', '-c1', '-W3', 'two']);
    assert.is(ping.code, 0, ping.stdout + ping.stderr);
    assert.is(run(['network', 'connect', NET2, 'one']).code, 125, 'connecting twice is refused');
    ok(['network', 'disconnect', NET2, 'one']);
    assert.not.match(ok(['exec', 'one', 'ip', '-o', 'link']), /eth1/, 'eth1 is gone');
    assert.not.match(hostsOf('two'), /one/, 'two no longer lists one');
    assert.match(ok(['exec', 'one', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']), new RegExp(`inet ${PREFIX.replace(/\./g, '\\.')}`), 'eth0 stays');
  } finally {
    for (const box of ['one', 'two']) run(['rm', '-f', box]);
    run(['network', 'rm', NET2]);
  }
  assert.equal(leaseFiles(state), []);
  assert.equal(ownLinks([`nsbr-${NET2}`]), []);
});

test('two state dirs at once: each owns a default bridge of its own name; neither touches the host\'s nsbox0', async () => {
  const hadNsbox0 = existsSync('/sys/class/net/nsbox0');
  const dirs = [mkdtempSync(`${tmpdir()}/nsbox-netlife-a-`), mkdtempSync(`${tmpdir()}/nsbox-netlife-b-`)];
  const envs = dirs.map((d) => ({ ...process.env, NSBOX_STATE: d }));
  try {
    for (const e of envs) ok(['run', '-d', '--name', 'web', '--net', 'bridge', '--', 'busybox', 'sleep', '60'], e);
    const nets = envs.map((e) => (JSON.parse(ok(['network', 'inspect', 'bridge'], e)) as Array<{ Options: Record<string, string>; IPAM: { Config: Array<{ Subnet: string; Gateway: string }> } }>)[0]!);
    const bridges = nets.map((n) => n.Options['com.docker.network.bridge.name']!);
    assert.is.not(bridges[0], bridges[1], bridges.join(' '));
    assert.ok(bridges.every((b) => /^nsbox-[0-9a-f]{8}$/.test(b)), bridges.join(' '));
    assert.is.not(nets[0]!.IPAM.Config[0]!.Subnet, nets[1]!.IPAM.Config[0]!.Subnet, 'different subnets (the second skips the first one\'s route)');
    for (const [i, e] of envs.entries()) {
      const r = run(['exec', 'web', 'busybox', 'ping', '-c1', '-W3', nets[i]!.IPAM.Config[0]!.Gateway], e);
      assert.is(r.code, 0, `state dir ${i}: ${r.stdout}${r.stderr}`);
    }
    assert.is(existsSync('/sys/class/net/nsbox0'), hadNsbox0, 'nsbox0 neither made nor removed');
    for (const e of envs) ok(['rm', '-f', 'web'], e);
    for (const e of envs) ok(['network', 'rm', 'bridge'], e);
    for (const b of bridges) assert.not.ok(existsSync(`/sys/class/net/${b}`), `${b} removed`);
  } finally {
    for (const e of envs) run(['rm', '-f', 'web'], e), run(['network', 'rm', 'bridge'], e);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

/**
 * Runs `script` as root in a network and mount namespace of its own: a fresh /sys (so /sys/class/net shows only its
 * links), lo up. Everything it makes (links, routes, nft tables) goes with the namespace.
 */
function inOwnNetns(script: string, extraEnv: Record<string, string>): { code: number | null; out: string } {
  const r = spawnSync('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'sh', '-c', `set -eu; mount -t sysfs sysfs /sys; ip link set lo up; ${script}`], {
    encoding: 'utf8',
    env: { ...process.env, ...extraEnv },
    timeout: 60_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('network create without --subnet, in a netns of the test: skips the pool subnets its routes cover', () => {
  const dir = mkdtempSync(`${tmpdir()}/nsbox-netlife-ns-`);
  try {
    const script = [
      // Routes in Docker's first pools: 172.17.0.0/16 whole, and a /24 inside 172.18.0.0/16.
      'ip link add r1 type veth peer name r1p; ip addr add 172.17.0.1/16 dev r1; ip link set r1p up; ip link set r1 up',
      'ip link add r2 type veth peer name r2p; ip addr add 172.18.9.1/24 dev r2; ip link set r2p up; ip link set r2 up',
      `"${NSBOX}" network create first >/dev/null; "${NSBOX}" network create second >/dev/null; "${NSBOX}" network ls --json`,
    ].join('\n');
    const r = inOwnNetns(script, { NSBOX_STATE: dir });
    assert.is(r.code, 0, r.out);
    const ls = JSON.parse(r.out) as Array<{ network: { name: string; subnet: string } }>;
    assert.equal(ls.map((n) => [n.network.name, n.network.subnet]), [['first', '172.19.0.0/16'], ['second', '172.20.0.0/16']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nft backend for real: iptables hidden, -p via nft on 127.0.0.1, the map element goes with the box', () => {
  if (!findTool('nft')) return skipPart('the nft backend', 'apt-get install nftables');
  const dir = mkdtempSync(`${tmpdir()}/nsbox-netlife-nft-`);
  writeFileSync(`${www}/nft.html`, 'from-nft\n');
  // Hide every iptables binary (the xtables multi-call programs) behind /dev/null, in the test's mount namespace only.
  const hide = ['xtables-nft-multi', 'xtables-legacy-multi']
    .flatMap((b) => ['/usr/sbin', '/sbin'].map((d) => `${d}/${b}`))
    .filter((p, i, all) => existsSync(p) && all.findIndex((q) => readLink(q) === readLink(p)) === i)
    .map((p) => `mount --bind /dev/null ${p}`);
  const script = [
    ...hide,
    'if iptables -V >/dev/null 2>&1; then echo "iptables still runs"; exit 1; fi',
    `"${NSBOX}" network create w >/dev/null`,
    `"${NSBOX}" run --net w -p 18090:8080 -- busybox httpd -f -p 8080 -h "${www}" & box=$!`,
    'i=0; until busybox wget -q -O /dev/null http://127.0.0.1:18090/nft.html 2>/dev/null; do i=$((i+1)); [ $i -lt 100 ] || break; sleep 0.1; done',
    'echo "body=$(busybox wget -q -O - http://127.0.0.1:18090/nft.html)"',
    'echo "during=$(nft list map ip nsbox ports | grep -c 18090 || true)"',
    // -p 127.0.0.1:...: that address only (127.0.0.2 is this netns's lo too, and must get nothing).
    `"${NSBOX}" run --net w -p 127.0.0.1:18091:8080 -- busybox httpd -f -p 8080 -h "${www}" & bound=$!`,
    'i=0; until busybox wget -q -O /dev/null http://127.0.0.1:18091/nft.html 2>/dev/null; do i=$((i+1)); [ $i -lt 100 ] || break; sleep 0.1; done',
    'echo "bound=$(busybox wget -q -O - http://127.0.0.1:18091/nft.html)"',
    'echo "other=$(busybox wget -q -T 2 -O - http://127.0.0.2:18091/nft.html 2>/dev/null || echo refused)"',
    'echo "bound_during=$(nft list map ip nsbox ip_ports | grep -c "127.0.0.1 . tcp . 18091" || true)"',
    'kill -TERM $box $bound; wait $box || true; wait $bound || true',
    'echo "after=$(nft list map ip nsbox ports | grep -c 18090 || true)"',
    'echo "bound_after=$(nft list map ip nsbox ip_ports | grep -c 18091 || true)"',
    `"${NSBOX}" network rm w >/dev/null`,
    'echo "subnets=$(nft list set ip nsbox subnets | grep -c elements || true)"',
  ].join('\n');
  try {
    const r = inOwnNetns(script, { NSBOX_STATE: dir });
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /^body=from-nft$/m, r.out);
    assert.match(r.out, /^during=1$/m, 'the -p element was in nsbox\'s nft map');
    assert.match(r.out, /^after=0$/m, 'and went with the box');
    assert.match(r.out, /^bound=from-nft$/m, '-p 127.0.0.1:18091:8080 reaches the box on 127.0.0.1');
    assert.match(r.out, /^other=refused$/m, 'and not on 127.0.0.2');
    assert.match(r.out, /^bound_during=1$/m, 'its element was in the ip_ports map');
    assert.match(r.out, /^bound_after=0$/m, 'and went with the box');
    assert.match(r.out, /^subnets=0$/m, 'network rm removed the network\'s elements');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function readLink(path: string): string {
  try {
    return execFileSync('readlink', ['-f', path], { encoding: 'utf8' }).trim();
  } catch {
    return path;
  }
}

test('teardown: network rm; nothing of this file is left', () => {
  ok(['network', 'rm', NET]);
  assert.equal(ownLinks([BRIDGE]), []);
  assert.is(ownRules([PREFIX, BRIDGE]), '');
  rmSync(state, { recursive: true, force: true });
  rmSync(www, { recursive: true, force: true });
});

test.run();
