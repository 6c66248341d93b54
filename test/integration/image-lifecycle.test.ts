// Integration (root): image boxes with lifecycle and networking, checked from the host. The issue-5 example with
// busybox httpd (run -d --name, ps, a page through -p on 127.0.0.1, logs, exec, stop, rm leaving no container dir,
// mount, cgroup, veth, rule or lease), two image boxes on a user network finding each other by name, --name and
// --rm in the foreground, and bad input. Traffic goes only to 127.0.0.1 and to boxes on a network this test made.
// Store: a temp --root (NSBOX_ROOT); state: a temp NSBOX_STATE; cgroups under ./ilc-<pid> of this test's own.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectCgroupHost, findHierarchy } from '../../src/cgroup/detect.js';
import { testCgroupDir } from '../helpers/cgroup-dirs.js';
import { findTool } from '../../src/host/tools.js';
import { defaultImageNetwork } from '../../src/net/image-default.js';
import { ok, nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { snapshot, type Snapshot } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';

const host = detectCgroupHost();
const skip = !isRoot
  ? 'needs root'
  : !existsSync('/bin/busybox')
    ? 'needs /bin/busybox (apt-get install busybox-static)'
    : !findTool('ip') || !findTool('iptables')
      ? 'needs iproute2 and iptables'
      : host.mode === 'none'
        ? 'no cgroup filesystem'
        : undefined;
const test = gatedTest(skip);

const BASE = mkdtempSync(join(tmpdir(), 'nsbox-ilc-'));
const STORE = join(BASE, 'store');
const STATE = join(BASE, 'state');
const PARENT = `ilc-${process.pid}`;
// Boxes name their network (--net NET); the default bridge is this suite's state dir's own.
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: STORE, NSBOX_STATE: STATE, NSBOX_CGROUP_PARENT: `./${PARENT}`, NSBOX_IMAGE_NETWORK: 'none' };
const DEFAULT_ENV: NodeJS.ProcessEnv = { ...ENV };
delete DEFAULT_ENV.NSBOX_IMAGE_NETWORK;
const NET = `ilc${process.pid % 100000}`;
const OCTET = 100 + (process.pid % 150);
const SUBNET = `10.233.${OCTET}.0/24`;
const PORT = 21000 + (process.pid % 20000);
const CONTROLLERS = ['pids', 'memory', 'devices'].filter((c) => findHierarchy(host, c));
/** The leak auditor also counts the processes of this test's boxes and cgroups (detached boxes are not descendants). */
const OWN = { stateDirs: [STATE], cgroupParents: [`./${PARENT}`] };

const run = (args: readonly string[], env: NodeJS.ProcessEnv = ENV): Result => nsbox(args, { env, timeoutMs: 60_000 });

const parentDir = (controller: string): string => testCgroupDir(host, controller, PARENT);

/** What an image box may leave behind, restricted to what this test owns (other suites run at the same time). */
function residue() {
  const links = JSON.parse(execFileSync('ip', ['-j', 'link'], { encoding: 'utf8' })) as Array<{ ifname: string; master?: string }>;
  const containers = existsSync(join(STORE, 'containers')) ? readdirSync(join(STORE, 'containers')) : [];
  const leasesDir = join(STATE, 'net', 'leases');
  return {
    containers,
    cgroups: [...new Set(CONTROLLERS.map(parentDir))].flatMap((d) => (existsSync(d) ? readdirSync(d).filter((n) => n.startsWith('nsbox-')) : [])),
    veths: links.filter((l) => l.master === `nsbr-${NET}`).map((l) => l.ifname),
    rules: execFileSync('iptables-save', { encoding: 'utf8' }).split('\n').filter((l) => /--comment "?nsbox:/.test(l) && l.includes(`--dport ${PORT} `)),
    leases: existsSync(leasesDir) ? readdirSync(leasesDir).flatMap((n) => readdirSync(join(leasesDir, n))) : [],
    boxes: existsSync(join(STATE, 'boxes')) ? readdirSync(join(STATE, 'boxes')) : [],
  };
}

type PsRow = { id: string; name: string | null; status: string; exitCode: number | null; pid: number | null; image: string | null };
function psJson(): PsRow[] {
  const r = run(['ps', '-a', '--json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as PsRow[]) : [];
}

function fetchLocal(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

const NS = ['mnt', 'uts', 'ipc', 'net', 'pid', 'cgroup'];
let mountsBefore: Snapshot['mounts'] = [];
let processesBefore: Snapshot['processes'] = [];

test.before(() => {
  if (skip) return;
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox');
  ok(run(['network', 'create', NET, '--subnet', SUBNET]), 'network create');
  const s = snapshot(OWN);
  mountsBefore = s.mounts;
  processesBefore = s.processes;
});

test.after.each(async () => {
  if (skip) return;
  for (const box of psJson()) run(['rm', '-f', box.id]);
  for (let i = 0; i < 50 && snapshot(OWN).processes.length !== processesBefore.length; i++) await sleep(20);
  const s = snapshot(OWN);
  assert.equal(s.mounts, mountsBefore, 'no mount left on the host');
  assert.equal(s.processes, processesBefore, 'no process left');
  assert.equal(residue(), { containers: [], cgroups: [], veths: [], rules: [], leases: [], boxes: [] }, 'nothing left behind');
});

test.after(() => {
  if (skip) return;
  run(['network', 'rm', NET]);
  for (const dir of new Set(CONTROLLERS.map(parentDir))) if (existsSync(dir)) rmdirSync(dir);
  rmSync(BASE, { recursive: true, force: true });
});

test('issue 5 with an image: run -d --name web busybox httpd, ps, -p on 127.0.0.1, logs, exec, stop, rm', async () => {
  // busybox httpd's own -p is the command's argument; nsbox's -p comes before the image.
  const started = run(['run', '-d', '--name', 'web', '--net', NET, '-p', `${PORT}:8080`, 'busybox', 'sh', '-c', 'echo serving; exec httpd -f -p 8080']);
  const id = ok(started, 'run -d').trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const container = join(STORE, 'containers', id);
  assert.ok(existsSync(container), 'the container directory exists while the box does');

  const [row] = psJson();
  assert.is(row!.name, 'web');
  assert.is(row!.status, 'running');
  assert.is(row!.image, 'busybox:latest');
  assert.match(run(['ps']).stdout, /busybox:latest .* Up .*\s+web$/m);
  const pid = row!.pid!;
  assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`nsbox-${id.slice(0, 12)}`), 'PID 1 is in the box cgroup');

  // The host fetches the box's /etc/hostname from httpd (its document root is /) through -p on 127.0.0.1.
  let page = { status: 0, body: '' };
  for (let i = 0; i < 50 && page.status !== 200; i++) {
    page = await fetchLocal(PORT, '/etc/hostname').catch(() => page);
    if (page.status !== 200) await sleep(50);
  }
  assert.is(page.status, 200);
  assert.is(page.body, `${id.slice(0, 12)}\n`);
  assert.ok(residue().rules.length >= 2, 'DNAT rules for -p are on the host');

  // logs: what the box printed before exec-ing httpd (stdout and stderr go to the box's log file).
  assert.is(ok(run(['logs', 'web']), 'logs'), 'serving\n');

  // exec: the box's hostname and root, and the very namespaces of its PID 1.
  assert.is(ok(run(['exec', 'web', 'cat', '/etc/hostname']), 'exec cat'), `${id.slice(0, 12)}\n`);
  const inside = ok(run(['exec', 'web', 'sh', '-c', `for n in ${NS.join(' ')}; do ls -l /proc/self/ns/$n; done`]), 'exec ns');
  const seen = inside.trim().split('\n').map((l) => l.replace(/^.*-> /, ''));
  assert.equal(seen, NS.map((n) => readlinkSync(`/proc/${pid}/ns/${n}`)));
  assert.is(ok(run(['exec', 'web', 'sh', '-c', 'grep -E "^(CapBnd|NoNewPrivs)" /proc/self/status']), 'exec caps'), readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').filter((l) => /^(CapBnd|NoNewPrivs)/.test(l)).join('\n') + '\n');
  assert.is(run(['exec', 'web', 'test', '-e', BASE]).code, 1, 'exec is in the box root: the host\'s paths are not there');
  assert.is(run(['exec', 'web', 'test', '-x', '/linuxrc']).code, 0, 'exec sees the image\'s files');
  assert.is(run(['exec', 'web', 'sh', '-c', 'exit 42']).code, 42);
  assert.is(ok(run(['exec', '-w', '/tmp', '-e', 'X=1', 'web', 'sh', '-c', 'echo $X $(pwd) $HOME']), 'exec -w -e'), '1 /tmp /root\n');

  // stop: httpd as PID 1 has no SIGTERM handler; SIGKILL after 1 s.
  const t0 = Date.now();
  ok(run(['stop', '-t', '1', 'web']), 'stop');
  assert.ok(Date.now() - t0 < 5000, 'stop -t 1 is quick');
  assert.not.ok(existsSync(`/proc/${pid}`), 'PID 1 is gone');
  assert.is(psJson()[0]!.status, 'exited');
  assert.ok(existsSync(container), 'a stopped box keeps its container directory (for commit, export)');

  ok(run(['rm', 'web']), 'rm');
  assert.not.ok(existsSync(container), 'rm removes the container directory');
  assert.equal(residue(), { containers: [], cgroups: [], veths: [], rules: [], leases: [], boxes: [] });
});

test('two image boxes on a user network reach each other by name', async () => {
  ok(run(['run', '-d', '--name', 'alpha', '--net', NET, 'busybox', 'httpd', '-f', '-p', '8080']), 'alpha');
  ok(run(['run', '-d', '--name', 'beta', '--net', NET, 'busybox', 'httpd', '-f', '-p', '8080']), 'beta');
  const [alphaId, betaId] = ['alpha', 'beta'].map((n) => psJson().find((b) => b.name === n)!.id.slice(0, 12));
  // beta was planned with alpha as a peer; alpha learns of beta when beta takes its lease (its hosts is rewritten in place).
  for (const [from, to, hostname] of [['beta', 'alpha', alphaId], ['alpha', 'beta', betaId]] as const) {
    let r: Result | undefined;
    for (let i = 0; i < 20; i++) {
      r = run(['exec', from, 'wget', '-q', '-O', '-', `http://${to}:8080/etc/hostname`]);
      if (r.code === 0) break;
      await sleep(100);
    }
    assert.is(r!.code, 0, `${from} -> ${to}: ${r!.stderr}`);
    assert.is(r!.stdout, `${hostname}\n`, `${from} reached ${to} by name`);
  }
  const hosts = ok(run(['exec', 'alpha', 'cat', '/etc/hosts']), 'hosts');
  assert.match(hosts, new RegExp(`\\tbeta ${betaId}\\n`));
  ok(run(['rm', '-f', 'alpha', 'beta']), 'rm -f');
});

test('--name in the foreground keeps the container until rm; --rm removes it at exit', () => {
  const kept = run(['run', '--name', 'once', '--net', 'none', 'busybox', 'sh', '-c', 'echo hi > /file; exit 3']);
  assert.is(kept.code, 3, kept.stderr);
  const [row] = psJson();
  assert.is(row!.status, 'exited');
  assert.is(row!.exitCode, 3);
  const upper = join(STORE, 'containers', row!.id, 'upper', 'file');
  assert.is(readFileSync(upper, 'utf8'), 'hi\n', 'the upper layer is kept');
  ok(run(['rm', 'once']), 'rm');
  assert.not.ok(existsSync(join(STORE, 'containers', row!.id)));

  const gone = run(['run', '--rm', '--name', 'twice', '--net', NET, 'busybox', 'true']);
  assert.is(gone.code, 0, gone.stderr);
  assert.equal(psJson(), []);
  assert.equal(residue().containers, []);
});

test('bad input: a name in use, an unknown network, -p with --net none: one line, 125, nothing left', () => {
  ok(run(['run', '-d', '--name', 'taken', '--net', NET, 'busybox', 'sleep', '100']), 'first');
  const before = residue();
  const cases: Array<[string[], RegExp]> = [
    [['run', '-d', '--name', 'taken', '--net', NET, 'busybox', 'true'], /name .*in use|in use/],
    [['run', '-d', '--net=nope', 'busybox', 'true'], /unknown network "nope"/],
    [['run', '-d', '--net', 'none', '-p', '8080:80', 'busybox', 'true'], /needs --net bridge/],
    [['run', '-d', '--name', 'a/b', 'busybox', 'true'], /invalid --name/],
  ];
  for (const [args, pattern] of cases) {
    const r = run(args);
    assert.is(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.is(r.stderr.trim().split('\n').filter((l) => !l.includes('hint:')).length, 1, r.stderr);
  }
  assert.equal(residue(), before, 'nothing created by the failed runs');
  assert.is(run(['run', '-d', '--name', 'x', 'busybox', 'true'], { ...ENV, NSBOX_IMAGE_NETWORK: 'bogus' }).code, 125);
});

test('SIGKILL of nsbox at every step of run -d IMAGE, then gc and network gc: nothing is left', async () => {
  const args = ['run', '-d', '--name', 'crash', '--net', NET, '-p', `${PORT}:8080`, 'busybox', 'httpd', '-f', '-p', '8080'];
  const points = ['created', 'named', ...Array.from({ length: 80 }, (_, i) => `step:${i + 1}`), 'detached', 'recorded'];
  let reachedEnd = false;
  const killed: string[] = [];
  for (const point of points) {
    if (reachedEnd && point.startsWith('step:')) continue;
    const r = run(args, { ...ENV, NSBOX_FAULT: point });
    if (r.code !== 0) killed.push(point);
    if (r.code === 0) {
      // The plan has fewer steps than this point: the box started; rm it like any other.
      reachedEnd = true;
      ok(run(['rm', '-f', 'crash']), `rm -f after ${point}`);
    } else {
      assert.is(r.signal, 'SIGKILL', `${point}: ${r.stderr}`);
      const status = psJson().find((b) => b.name === 'crash')?.status;
      if (point === 'recorded') assert.is(status, 'running', 'killed after recording: the box runs on');
      else if (status !== undefined) assert.ok(['dead', 'exited', 'running'].includes(status), `${point}: ${status}`);
      // A box handed over runs on without nsbox (rm -f); the rest is garbage for gc.
      if (status === 'running') ok(run(['rm', '-f', 'crash']), `rm -f after ${point}`);
      for (let i = 0; i < 100 && psJson().some((b) => b.status === 'creating'); i++) await sleep(20);
      ok(run(['gc']), `gc after ${point}`);
      ok(run(['network', 'gc']), `network gc after ${point}`);
    }
    assert.equal(residue(), { containers: [], cgroups: [], veths: [], rules: [], leases: [], boxes: [] }, `after ${point}`);
    assert.equal(snapshot(OWN).mounts, mountsBefore, `mounts after ${point}`);
  }
  assert.ok(reachedEnd, 'the last point ran the box to the end');
  // A run that ignored NSBOX_FAULT would reach the end at every point: each fault must really have fired.
  assert.equal(['created', 'named', 'step:1', 'detached', 'recorded'].filter((p) => !killed.includes(p)), [], `every fault point killed nsbox (killed: ${killed.join(' ')})`);
});

test('default network: only lo with NSBOX_IMAGE_NETWORK=none; the bridge otherwise (the state dir\'s own)', async () => {
  const none = run(['run', '--rm', 'busybox', 'ip', '-o', 'link']);
  assert.is(none.code, 0, none.stderr);
  assert.equal(none.stdout.trim().split('\n').map((l) => l.split(':')[1]!.trim()), ['lo']);
  assert.is(defaultImageNetwork({}, () => undefined), 'none', 'no firewall tool: only lo');
  assert.is(defaultImageNetwork({}, (n) => (n === 'nft' ? '/usr/sbin/nft' : undefined)), 'bridge');
  // This suite's state dir owns a default bridge of its own (never the host's nsbox0).
  try {
    const r = run(['run', '--rm', 'busybox', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'], DEFAULT_ENV);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /inet \d+\.\d+\.\d+\.\d+\//);
  } finally {
    ok(run(['network', 'rm', 'bridge']), 'network rm bridge');
  }
});

test.run();
