// Integration (root): `inspect` (Docker's shape, -f templates) and `port` against a real image box's PID,
// namespaces, cgroup limits, address and MAC as the host sees them; `ps --format` / `--filter` / `-n` / `-q` with
// two boxes. Traffic: none (the address is read with nsenter + ip); the network and subnet are this test's own.
// Store: a temp --root; state: a temp NSBOX_STATE; cgroups under ./ips-<pid> of this test's own.

import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectCgroupHost, findHierarchy, findProcCgroupPath, parseProcCgroup } from '../../src/cgroup/detect.js';
import { dirOf } from '../../src/cgroup/layout.js';
import { findTool } from '../../src/host/tools.js';
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
      : host.mode === 'none' || !findHierarchy(host, 'memory') || !findHierarchy(host, 'cpu') || !findHierarchy(host, 'pids')
        ? 'needs the memory, cpu and pids cgroup controllers'
        : undefined;
const test = gatedTest(skip);

const BASE = mkdtempSync(join(tmpdir(), 'nsbox-ips-'));
const STORE = join(BASE, 'store');
const STATE = join(BASE, 'state');
const DATA = join(BASE, 'data');
const PARENT = `ips-${process.pid}`;
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: STORE, NSBOX_STATE: STATE, NSBOX_CGROUP_PARENT: `./${PARENT}`, NSBOX_IMAGE_NETWORK: 'none' };
/** The leak audit's scope: this file's own state dir (its boxes' processes, supervisors included) and cgroup parent. */
const OWN = { stateDirs: [STATE], cgroupParents: [`./${PARENT}`] };
const NET = `ips${process.pid % 100000}`;
const OCTET = 100 + (process.pid % 150);
const SUBNET = `10.234.${OCTET}.0/24`;
const PORT = 22000 + (process.pid % 20000);

const run = (args: readonly string[]): Result => nsbox(args, { env: ENV, timeoutMs: 60_000 });
const fmt = (box: string, format: string) => ok(run(['inspect', '-f', format, box]), `inspect -f ${format}`).replace(/\n$/, '');
const psIds = () => ok(run(['ps', '-a', '-q', '--no-trunc']), 'ps -a -q').split('\n').filter(Boolean);

/** A cgroup file of PID on the hierarchy of `controller`, read from the host. */
function cgroupFile(pid: number, controller: string, file: string): string {
  const h = findHierarchy(host, controller)!;
  const path = findProcCgroupPath(parseProcCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8')), h)!;
  return readFileSync(join(dirOf({ mount: h.mount, path }), file), 'utf8').trim();
}

let before: Snapshot;
test.before(() => {
  if (skip) return;
  mkdirSync(DATA);
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox');
  ok(run(['network', 'create', NET, '--subnet', SUBNET]), 'network create');
  before = snapshot(OWN);
});

test.after.each(async () => {
  if (skip) return;
  for (const id of psIds()) run(['rm', '-f', id]);
  for (let i = 0; i < 50 && snapshot(OWN).processes.length !== before.processes.length; i++) await sleep(20);
  const now = snapshot(OWN);
  assert.equal(now.mounts, before.mounts, 'no mount left on the host');
  assert.equal(now.processes, before.processes, 'no process left');
  assert.equal(psIds(), [], 'no box left');
});

test.after(() => {
  if (skip) return;
  run(['network', 'rm', NET]);
  for (const controller of ['memory', 'cpu', 'pids', 'cpuacct', 'devices']) {
    const h = findHierarchy(host, controller);
    if (!h) continue;
    const dir = dirOf({ mount: h.mount, path: `${(findProcCgroupPath(host.self, h) ?? '/').replace(/\/$/, '')}/${PARENT}` });
    if (existsSync(dir)) rmdirSync(dir);
  }
  rmSync(BASE, { recursive: true, force: true });
});

test('inspect: Pid, namespaces, limits, address, MAC and ports are the box\'s real ones; port prints Docker\'s lines', () => {
  const id = ok(run(['run', '-d', '--name', 'web', '--net', NET, '-p', `${PORT}:8080`, '--memory', '64m', '--cpus', '0.5', '--pids-limit', '50', '-e', 'FOO=bar', '-v', `${DATA}:/data:ro`, 'busybox', 'httpd', '-f', '-p', '8080']), 'run -d').trim();
  const [info] = JSON.parse(ok(run(['inspect', 'web']), 'inspect'));
  assert.is(info.Id, id);
  assert.is(info.Name, '/web');
  const pid = info.State.Pid as number;
  assert.ok(pid > 0, 'a running box has a PID');
  assert.equal([info.State.Status, info.State.Running, info.State.ExitCode, info.State.OOMKilled], ['running', true, 0, false]);
  assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'), ['httpd', '-f', '-p', '8080', ''], 'State.Pid is the command');
  for (const ns of ['pid', 'net', 'mnt']) {
    const name = ns === 'mnt' ? 'mount' : ns;
    assert.is(`${info.Nsbox.Namespaces[name]}`, readlinkSync(`/proc/${pid}/ns/${ns}`), `Nsbox.Namespaces.${name} is the box's`);
    assert.is.not(readlinkSync(`/proc/${pid}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`));
  }
  // Limits, against the box's own cgroup files on the host.
  assert.is(fmt('web', '{{.HostConfig.Memory}}'), '67108864');
  assert.is(fmt('web', '{{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}'), '500000000 50');
  if (host.mode === 'v2') {
    assert.is(cgroupFile(pid, 'memory', 'memory.max'), '67108864');
    assert.is(cgroupFile(pid, 'cpu', 'cpu.max'), '50000 100000');
  } else {
    assert.is(cgroupFile(pid, 'memory', 'memory.limit_in_bytes'), '67108864');
    assert.is(Number(cgroupFile(pid, 'cpu', 'cpu.cfs_quota_us')) * 1e9 / Number(cgroupFile(pid, 'cpu', 'cpu.cfs_period_us')), 500000000);
  }
  assert.is(cgroupFile(pid, 'pids', 'pids.max'), '50');
  // The address and MAC eth0 really has, read inside the box's network namespace.
  const [eth0] = JSON.parse(execFileSync('nsenter', ['--target', String(pid), '--net', '--', 'ip', '-j', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' }));
  const address = eth0.addr_info.find((a: { family: string }) => a.family === 'inet');
  assert.is(fmt('web', `{{.NetworkSettings.Networks.${NET}.IPAddress}}/{{(index .NetworkSettings.Networks "${NET}").IPPrefixLen}}`), `${address.local}/${address.prefixlen}`);
  assert.is(fmt('web', `{{range .NetworkSettings.Networks}}{{.MacAddress}} {{.Gateway}}{{end}}`), `${eth0.address} 10.234.${OCTET}.1`);
  assert.is(fmt('web', '{{.HostConfig.NetworkMode}}'), NET);
  assert.is(fmt('web', '{{.NetworkSettings.IPAddress}}'), '', 'top-level address: the default bridge only (Docker)');
  assert.equal(JSON.parse(fmt('web', '{{json .NetworkSettings.Ports}}')), { '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: String(PORT) }] });
  assert.is(ok(run(['port', 'web']), 'port'), `8080/tcp -> 0.0.0.0:${PORT}\n`);
  assert.is(ok(run(['port', 'web', '8080/tcp']), 'port 8080'), `0.0.0.0:${PORT}\n`);
  const missing = run(['port', 'web', '81']);
  assert.is(missing.code, 1);
  assert.is(missing.stderr, 'nsbox: no public port \'81/tcp\' published for web\n');
  // Config, mounts, state.
  assert.ok((JSON.parse(fmt('web', '{{json .Config.Env}}')) as string[]).includes('FOO=bar'));
  assert.is(fmt('web', '{{.Config.Image}} {{json .Config.Cmd}} {{.Config.Hostname}}'), `busybox:latest ["httpd","-f","-p","8080"] ${id.slice(0, 12)}`);
  assert.equal(info.Mounts, [{ Type: 'bind', Source: DATA, Destination: '/data', Mode: 'ro', RW: false, Propagation: 'private' }]);
  assert.is(JSON.parse(fmt('web', '{{json .State}}')).Pid, pid);
  assert.ok(Date.parse(info.State.StartedAt) >= Date.parse(info.Created) - 1000, 'StartedAt from the process start time');

  // Stopped: off its network, the exit kept.
  ok(run(['stop', '-t', '1', 'web']), 'stop');
  assert.is(fmt('web', `{{.State.Status}} {{.State.Running}} {{.State.Pid}} [{{.NetworkSettings.Networks.${NET}.IPAddress}}]`), 'exited false 0 []');
  assert.is(ok(run(['port', 'web']), 'port after stop'), '');

  const partly = run(['inspect', '-f', '{{.Name}}', 'web', 'nosuch']);
  assert.equal([partly.code, partly.stdout, partly.stderr], [125, '/web\n', 'nsbox: no such box: nosuch\n'], 'the boxes that exist are printed, then the unknown one fails');

  const bad = run(['inspect', '-f', '{{.State.Pid', 'web']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /^nsbox: template: unclosed action: \{\{\.State\.Pid\n$/);
});

test('ps: Docker\'s columns; --format, --filter, -n, -q, --no-trunc with two boxes', async () => {
  const web = ok(run(['run', '-d', '--name', 'web', '--net', NET, '-p', `${PORT}:8080`, 'busybox', 'httpd', '-f', '-p', '8080']), 'run web').trim();
  await sleep(20); // created times differ, so the order is known
  const job = ok(run(['run', '-d', '--name', 'job', 'busybox', 'sh', '-c', 'exit 3']), 'run job').trim();
  assert.is(ok(run(['wait', 'job']), 'wait'), '3\n');

  const table = ok(run(['ps', '-a']), 'ps -a').split('\n');
  assert.match(table[0]!, /^CONTAINER ID {3}IMAGE {12}COMMAND +CREATED +STATUS +PORTS +NAMES$/);
  assert.match(table[1]!, new RegExp(`^${job.slice(0, 12)} {3}busybox:latest {3}"sh -c exit 3" +\\S.* ago +Exited \\(3\\) .* ago +job$`));
  assert.match(table[2]!, new RegExp(`^${web.slice(0, 12)} {3}busybox:latest {3}"httpd -f -p 8080" +.* ago +Up .* 0\\.0\\.0\\.0:${PORT}->8080/tcp +web$`));

  assert.is(ok(run(['ps', '--format', '{{.Names}}']), 'ps'), 'web\n', 'without -a: running boxes only');
  assert.is(ok(run(['ps', '-a', '--format', '{{.ID}} {{.Names}} {{.State}}']), 'ps -a'), `${job.slice(0, 12)} job exited\n${web.slice(0, 12)} web running\n`);
  assert.match(ok(run(['ps', '-a', '--format', '{{.Names}}: {{.Status}}', '--filter', 'status=exited']), 'status=exited'), /^job: Exited \(3\) (\d+ seconds|1 second|Less than a second) ago\n$/);
  assert.is(ok(run(['ps', '-f', 'status=exited', '-q']), 'status= implies -a'), `${job.slice(0, 12)}\n`);
  assert.is(ok(run(['ps', '-a', '-f', 'name=we', '--format', '{{.Names}}']), 'name='), 'web\n');
  assert.is(ok(run(['ps', '-a', '-f', 'ancestor=busybox', '-f', 'name=job', '-q']), 'ancestor= and name='), `${job.slice(0, 12)}\n`);
  assert.is(ok(run(['ps', '-a', '-f', 'ancestor=nosuch', '-q']), 'ancestor=nosuch'), '');
  assert.is(ok(run(['ps', '-a', '-f', 'exited=3', '--format', '{{.Names}}']), 'exited='), 'job\n');
  assert.is(ok(run(['ps', '-n', '1', '--format', '{{.Names}}']), '-n 1'), 'job\n', 'the newest box, whatever its state');
  assert.is(ok(run(['ps', '-a', '-q', '--no-trunc']), '-q --no-trunc'), `${job}\n${web}\n`);
  assert.is(ok(run(['ps', '--format', 'table {{.Names}}\\t{{.Ports}}']), 'table'), `NAMES     PORTS\nweb       0.0.0.0:${PORT}->8080/tcp\n`);
  const [row] = ok(run(['ps', '--format', '{{json .}}']), 'json').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal([row.ID, row.Names, row.Image, row.Command, row.State, row.Ports, row.Networks], [web.slice(0, 12), 'web', 'busybox:latest', '"httpd -f -p 8080"', 'running', `0.0.0.0:${PORT}->8080/tcp`, NET]);
  assert.match(row.Status, /^Up /);
  assert.is(row.Pid, fmt('web', '{{.State.Pid}}'));

  for (const [args, message] of [[['-f', 'bogus=1'], /^nsbox: invalid filter 'bogus'/], [['-f', 'status=sleepy'], /^nsbox: invalid filter 'status=sleepy'/], [['--format', '{{.Nope.X}}'], /^nsbox: template: .*nil pointer/]] as const) {
    const r = run(['ps', ...args]);
    assert.is.not(r.code, 0);
    assert.match(r.stderr, message);
    assert.is(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});

test.run();
