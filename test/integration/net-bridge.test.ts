// nsbox networking, checked from the host: links, iptables rules, leases, and traffic only to loopback and to
// addresses inside namespaces these tests create (a test-unique network and subnet; the default bridge of this
// test's own state dir, never the host's nsbox0).
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync, spawn } from 'node:child_process';
import { createServer, get } from 'node:http';
import { nsbox, NSBOX, isRoot, exitOf } from '../helpers/nsbox.js';
import { descendants } from '../helpers/leaks.js';
import { allLinks, leaseFiles, ownLinks, ownRules } from '../helpers/net.js';
import { findTool } from '../../src/host/tools.js';
import { gatedTest, skipPart } from '../helpers/suite.js';

const hasFirewall = !!findTool('iptables');
const test = gatedTest(!isRoot || !findTool('ip') || !findTool('busybox') ? 'net integration tests need root, iproute2 and busybox-static' : undefined);
if (!isRoot || !findTool('ip') || !findTool('busybox')) {
  test('every net integration test', () => {}); // a counted skip, with its reason
  test.run();
} else {
  const state = mkdtempSync(`${tmpdir()}/nsbox-net-it-`);
  const env = { ...process.env, NSBOX_STATE: state };
  const NET = `nst${process.pid % 100000}`;
  const octet = 100 + (process.pid % 150);
  const SUBNET = `10.231.${octet}.0/24`;
  const PREFIX = `10.231.${octet}.`;
  const run = (args: string[], timeoutMs = 20_000) => nsbox(args, { env, timeoutMs });
  const links = allLinks;
  // Only what this file makes: other nsbox users on this host add links and rules at the same time.
  const BRIDGE = `nsbr-${NET}`;
  const defaultBridge = () => (existsSync(`${state}/net/networks/bridge.json`) ? (JSON.parse(readFileSync(`${state}/net/networks/bridge.json`, 'utf8')) as { bridge: string }).bridge : '');
  const mine = () => ownLinks([BRIDGE, defaultBridge()].filter(Boolean));
  const rules = () => ownRules([PREFIX, BRIDGE, `nsbox-net:${NET}`]);
  const leases = () => leaseFiles(state);
  const ipForward = () => readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  const base = { links: mine(), rules: rules(), ipForward: ipForward() };

  /** Start a long-running box; resolves once it printed "ready". */
  async function startBox(args: string[]) {
    const child = spawn(NSBOX, ['run', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const deadline = Date.now() + 10_000;
    while (!out.includes('ready')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`box did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { child, stop: async () => (child.kill('SIGTERM'), exitOf(child)) };
  }

  test('setup: create a test-unique user network', () => {
    // This network's own bridge (not any nsbr-*: other suites' networks may exist): absent before, up after,
    // holding the gateway address.
    const bridge = BRIDGE;
    assert.not.ok(links().includes(bridge), `${bridge} does not exist before the test`);
    const r = run(['network', 'create', NET, '--subnet', SUBNET]);
    assert.is(r.code, 0, r.stderr);
    assert.ok(links().includes(BRIDGE), 'the bridge exists');
    const ls = JSON.parse(run(['network', 'ls', '--json']).stdout) as Array<{ network: { name: string; subnet: string } }>;
    assert.ok(ls.some((n) => n.network.name === NET && n.network.subnet === SUBNET));
  });

  test('--net none has only lo; --net host sees the host\'s links', () => {
    for (const flag of [['--net'], ['--net=none'], ['--net', 'none']]) {
      const r = run(['run', ...flag, '--', 'ip', '-j', 'link']);
      assert.is(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as Array<{ ifname: string }>).map((l) => l.ifname), ['lo'], flag.join(' '));
    }
    const r = run(['run', '--net', 'host', '--', 'ip', '-j', 'link']);
    assert.is(r.code, 0, r.stderr);
    const seen = (JSON.parse(r.stdout) as Array<{ ifname: string }>).map((l) => l.ifname);
    assert.ok(seen.includes(BRIDGE) && seen.includes('lo') && seen.length > 2, seen.join(' '));
  });

  test('two boxes on a user network reach each other by name and by address', async () => {
    const before = { processes: descendants(process.pid), links: mine() };
    const alpha = await startBox(['--net', NET, '--hostname', 'alpha', '--', 'sh', '-c', 'echo ready; exec busybox sleep 30']);
    try {
      const r = run(['run', '--net', NET, '--hostname', 'beta', '--', 'sh', '-c', `ip -4 -o addr show dev eth0; busybox ping -c1 -W3 alpha && busybox ping -c1 -W3 ${PREFIX}2`]);
      assert.is(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`inet ${PREFIX.replace(/\./g, '\\.')}3/24`));
      assert.match(r.stdout, new RegExp(`PING alpha \\(${PREFIX.replace(/\./g, '\\.')}2\\)`));
    } finally {
      await alpha.stop();
    }
    for (let i = 0; i < 50 && mine().length !== before.links.length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal({ processes: descendants(process.pid), links: mine() }, before, 'no process or veth left');
    assert.equal(leases(), [], 'leases released');
  });

  test('-p: the host reaches busybox httpd in a box on 127.0.0.1; rules go with the box', async () => {
    if (!hasFirewall) return skipPart('-p', 'needs iptables');
    const port = 20000 + (process.pid % 20000);
    const www = mkdtempSync(`${tmpdir()}/nsbox-www-`);
    execFileSync('sh', ['-c', `echo hello-from-box > ${www}/index.html`]);
    const box = await startBox(['--pid', '--net', NET, '-p', `${port}:8080`, '--', 'sh', '-c', `busybox httpd -p 8080 -h ${www} && echo ready && exec busybox sleep 30`]);
    try {
      assert.match(rules(), new RegExp(`--dport ${port} .*DNAT --to-destination ${PREFIX.replace(/\./g, '\\.')}2:8080`));
      const body = await new Promise<string>((resolve, reject) => {
        get(`http://127.0.0.1:${port}/`, (res) => {
          let d = '';
          res.on('data', (c) => (d += c)).on('end', () => resolve(d));
        }).on('error', reject);
      });
      assert.is(body.trim(), 'hello-from-box');
    } finally {
      await box.stop();
      rmSync(www, { recursive: true, force: true });
    }
    assert.not.match(rules(), new RegExp(`--dport ${port} `), 'DNAT rules removed');
    assert.equal(leases(), []);
  });

  test('10 boxes in parallel get 10 distinct addresses', async () => {
    // Every box holds its address until all ten have printed theirs (a box that ended may hand its address on).
    const go = mkdtempSync('/tmp/nsbox-net-go-');
    const script = `ip -4 -o addr show dev eth0; while [ ! -e ${go}/go ]; do sleep 0.05; done`;
    const children = Array.from({ length: 10 }, () => spawn(NSBOX, ['run', '--net', NET, '--', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env }));
    const printed: string[] = children.map(() => '');
    children.forEach((c, i) => {
      c.stdout!.on('data', (d) => (printed[i] += d));
      c.stderr!.on('data', (d) => (printed[i] += d));
    });
    const deadline = Date.now() + 60_000;
    while (printed.some((o) => !/inet /.test(o)) && Date.now() < deadline && children.every((c) => c.exitCode === null)) await new Promise((r) => setTimeout(r, 20));
    writeFileSync(`${go}/go`, '');
    const outs = await Promise.all(
      children.map(async (c, i) => {
        const { code } = await exitOf(c);
        assert.is(code, 0, printed[i]);
        return /inet (\S+)\//.exec(printed[i]!)?.[1];
      }),
    );
    rmSync(go, { recursive: true, force: true });
    assert.is(new Set(outs).size, 10, outs.join(' '));
    assert.ok(outs.every((a) => a?.startsWith(PREFIX)));
    assert.equal(leases(), []);
  });

  test('SIGKILL of nsbox during and after network set-up, then network gc: no links, rules or leases remain', async () => {
    const port = 40000 + (process.pid % 20000);
    for (const delay of [30, 80, 150, 250, 400, 1500]) {
      const child = spawn(NSBOX, ['run', '--net', NET, ...(hasFirewall ? ['-p', `${port}:80`] : []), '--', 'busybox', 'sleep', '30'], { stdio: 'ignore', env });
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await exitOf(child);
      // the box dies with nsbox (parent-death signal); its veth goes with its network namespace
      for (let i = 0; i < 100 && mine().some((l) => l.includes('@')); i++) await new Promise((r) => setTimeout(r, 20));
      const gc = run(['network', 'gc']);
      assert.is(gc.code, 0, gc.stderr);
      assert.equal(leases(), [], `delay ${delay}: leases`);
      assert.equal(mine(), [BRIDGE], `delay ${delay}: no veth left on the bridge`);
      assert.not.match(rules(), /nsbox:/, `delay ${delay}: per-box rules`);
    }
  });

  test('bad input: one line, exit 125, nothing left', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const busy = (server.address() as { port: number }).port;
    const before = { links: mine(), rules: rules(), leases: leases() };
    const cases: Array<[string[], RegExp]> = [
      [['network', 'create', 'x1', '--subnet', '10.231.999.0/24'], /invalid --subnet/],
      [['network', 'create', 'x1', '--subnet', `10.231.${octet}.128/25`], /overlaps network/],
      [['network', 'create', NET, '--subnet', '10.232.1.0/24'], /name is in use/],
      [['network', 'create', 'host', '--subnet', '10.232.1.0/24'], /mode, not a network name/],
      [['run', '--net=nope', '--', 'true'], /unknown network "nope"/],
      [['run', '--net', NET, '-p', '70000:80', '--', 'true'], /out of range/],
      [['run', '--net', NET, '-p', `${busy}:80`, '--', 'true'], /in use by a process on the host/],
      [['run', '--net', 'none', '-p', '8080:80', '--', 'true'], /needs --net bridge/],
      [['run', '--net', NET, '--add-host', 'bad', '--', 'true'], /--add-host/],
    ];
    try {
      for (const [args, pattern] of cases) {
        const r = run(args);
        assert.is(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, pattern);
        assert.is(r.stderr.trim().split('\n').filter((l) => !l.includes('hint:')).length, 1, r.stderr);
      }
    } finally {
      server.close();
    }
    assert.equal({ links: mine(), rules: rules(), leases: leases() }, before);
  });

  test('--net bridge: this state dir\'s own default bridge (never the host\'s nsbox0) on a free subnet; two boxes reach each other', async () => {
    const hostHadNsbox0 = links().includes('nsbox0');
    const alpha = await startBox(['--net', 'bridge', '--', 'sh', '-c', 'ip -4 -o addr show dev eth0; echo ready; exec busybox sleep 30']);
    try {
      const ls = JSON.parse(run(['network', 'ls', '--json']).stdout) as Array<{ network: { name: string; bridge: string }; leases: Array<{ address: string }> }>;
      const bridge = ls.find((n) => n.network.name === 'bridge')!;
      assert.match(bridge.network.bridge, /^nsbox-[0-9a-f]{8}$/, 'a bridge named after this state dir');
      assert.ok(links().includes(bridge.network.bridge));
      const r = run(['run', '--net', 'bridge', '--', 'busybox', 'ping', '-c1', '-W3', bridge.leases[0]!.address]);
      assert.is(r.code, 0, r.stdout + r.stderr);
    } finally {
      await alpha.stop();
    }
    const rm = run(['network', 'rm', 'bridge']);
    assert.is(rm.code, 0, rm.stderr);
    assert.is(links().includes('nsbox0'), hostHadNsbox0, 'the host\'s nsbox0 (if any) is untouched, and none was made');
  });

  test('teardown: network rm leaves links, rules and ip_forward as they were', () => {
    const r = run(['network', 'rm', NET]);
    assert.is(r.code, 0, r.stderr);
    assert.equal(mine(), base.links);
    assert.not.ok(links().includes(BRIDGE));
    assert.is(rules(), base.rules);
    assert.is(ipForward(), base.ipForward);
    rmSync(state, { recursive: true, force: true });
  });

  test.run();
}
