// Issue 6's throughput set: 256 MiB over TCP from the host to a box through `-p` (DNAT + bridge + veth) next to the
// same over a plain veth pair into a network namespace (no NAT, no bridge). Traffic stays on this machine:
// 127.0.0.1 and an address inside the namespace this set creates.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { NSBOX_BIN } from '../paths.js';
import type { BenchSet } from '../types.js';
import { checkNsboxRunnable } from './core.js';
import { findTool } from '../../../src/host/tools.js';

const state = `${tmpdir()}/nsbox-bench-tp-${process.pid}`;
const env = { NSBOX_STATE: state, NSBOX_CGROUP_PARENT: '.' };
const port = 41000 + (process.pid % 1000);
const netns = `nsbox-bench-tp-${process.pid}`;
const hostVeth = `nsbtp${process.pid % 100000}`;
const node = findTool('node') ?? process.execPath;

/** Discards what it receives; closes its side when the sender does. */
const SINK = "require('net').createServer((s) => { s.resume(); s.on('end', () => s.end()); }).listen(5001, '0.0.0.0')";
/** Sends 256 MiB to argv[1]:argv[2], then waits for the sink to close. */
const SEND =
  "const s = require('net').connect(+process.argv[2], process.argv[1]); const b = Buffer.alloc(1 << 20); let n = 256;" +
  "const w = () => { while (n > 0) { n--; if (!s.write(b)) return s.once('drain', w); } s.end(); };" +
  "s.on('connect', w); s.on('close', () => process.exit(0)); s.on('error', (e) => { console.error(e.message); process.exit(1); });";

let vethSink: ChildProcess | undefined;

function run(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
}

/** Wait until a sender can connect (the sinks start in the background). */
function waitForSink(host: string, p: number): void {
  for (let i = 0; i < 100; i++) {
    const probe = spawnSync(node, ['-e', `require('net').connect(${p}, '${host}').on('connect', () => process.exit(0)).on('error', () => process.exit(1))`]);
    if (probe.status === 0) return;
    spawnSync('sleep', ['0.1']);
  }
  throw new Error(`no sink listening on ${host}:${p}`);
}

export const netThroughputSet: BenchSet = {
  name: 'net-throughput',
  title: 'issue 6: 256 MiB host -> box over TCP: through -p (DNAT, bridge, veth) vs a plain veth with no NAT',
  reference: 'plain veth',
  candidates: [
    { name: 'through -p', argv: [node, '-e', SEND, '127.0.0.1', String(port)] },
    { name: 'plain veth', argv: [node, '-e', SEND, '10.250.0.2', '5001'] },
  ],
  targets: [],
  available() {
    if (process.getuid?.() !== 0) return 'needs root';
    if (!findTool('iptables') && !findTool('nft')) return 'needs iptables or nft for -p';
    return checkNsboxRunnable();
  },
  setup() {
    run([NSBOX_BIN, 'run', '-d', '--name', 'bench-sink', '--net', 'bridge', '-p', `${port}:5001`, '--', node, '-e', SINK]);
    run(['ip', 'netns', 'add', netns]);
    run(['ip', 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    run(['ip', 'addr', 'add', '10.250.0.1/30', 'dev', hostVeth]);
    run(['ip', 'link', 'set', hostVeth, 'up']);
    run(['ip', '-n', netns, 'addr', 'add', '10.250.0.2/30', 'dev', 'eth0']);
    run(['ip', '-n', netns, 'link', 'set', 'eth0', 'up']);
    run(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
    vethSink = spawn('ip', ['netns', 'exec', netns, node, '-e', SINK], { stdio: 'ignore' });
    waitForSink('127.0.0.1', port);
    waitForSink('10.250.0.2', 5001);
  },
  teardown() {
    const problems: string[] = [];
    if (vethSink?.pid) vethSink.kill('SIGKILL');
    for (const argv of [[NSBOX_BIN, 'rm', '-f', 'bench-sink'], ['ip', 'netns', 'del', netns], [NSBOX_BIN, 'network', 'rm', 'bridge']]) {
      const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env } });
      if (r.status !== 0) problems.push(`${argv.join(' ')}: ${r.stderr.trim()}`);
    }
    rmSync(state, { recursive: true, force: true });
    return problems;
  },
};
