// Unit: inspect's Docker-shaped JSON, ps rows, filters, status words and `port` lines, from hand-made records
// (no root, no processes): the keys Docker users script against, with Docker's values and defaults.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toDockerInspect, ZERO_TIME } from '../../src/lifecycle/inspect-json.js';
import { toPsRow, PS_HEADERS, PS_TABLE, ellipsis, formatGoTime } from '../../src/lifecycle/ps-rows.js';
import { parsePsFilters, matchesPsFilters, filtersImplyAll } from '../../src/lifecycle/ps-filter.js';
import { describeDockerState, describeDockerStatus } from '../../src/lifecycle/docker-fields.js';
import { filterPsOutput } from '../../src/commands/top.js';
import { describeDuration } from '../../src/lifecycle/format.js';
import { listPortLines, parsePrivatePort } from '../../src/lifecycle/port-lines.js';
import { formatRows, renderTemplate } from '../../src/format/template.js';
import { RECORD_VERSION, type BoxRecord } from '../../src/state/record.js';
import { deriveState } from '../../src/state/status.js';
import { CREATE_ONLY, isRecorded, startModeOf } from '../../src/lifecycle/run-options.js';
import type { BoxState } from '../../src/state/status.js';
import type { ListedBox } from '../../src/lifecycle/list-boxes.js';
import type { BoxPaths } from '../../src/state/paths.js';

const ID = `1d8c1a62e552${'0'.repeat(52)}`;
const CREATED = '2026-12-01T08:00:00.000Z';
const NOW = Date.parse('2026-12-01T08:00:05.500Z');
const paths: BoxPaths = { dir: `/state/boxes/${ID}`, record: `/state/boxes/${ID}/state.json`, log: `/state/boxes/${ID}/log`, streams: `/state/boxes/${ID}/streams.log`, exit: `/state/boxes/${ID}/exit`, lock: `/state/boxes/${ID}/lock`, stdin: '/s/stdin', attach: `/state/boxes/${ID}/attach.sock` };
const proc = { pid: 4242, startTime: 1, bootId: 'b' };

function record(over: Partial<BoxRecord> & Record<string, unknown> = {}): BoxRecord {
  return {
    version: RECORD_VERSION, id: ID, name: 'web', created: CREATED, phase: 'started', owner: proc, detached: true, autoRemove: false,
    image: 'busybox:latest', command: ['httpd', '-f', '-p', '80'],
    process: { env: { PATH: '/bin', FOO: 'bar' }, inheritEnv: false, workdir: '/srv', runAs: undefined },
    supervisor: proc, init: proc, namespaces: { net: 4026531992, pid: 4026531836, mount: 4026531841 }, cgroup: undefined, mounts: [], undo: [], exit: undefined,
    config: {
      hostname: 'web-host', user: 'app', entrypoint: undefined, cmd: ['httpd', '-f', '-p', '80'],
      resources: { memoryBytes: 67108864, memorySwapBytes: undefined, cpuQuotaUs: 50000, cpuPeriodUs: 100000, cpuShares: undefined, cpusetCpus: '0', pidsLimit: 64, parent: 'nsbox', parentBase: 'root' },
      volumes: [{ kind: 'bind', source: '/srv/data', target: '/data', readOnly: true }, { kind: 'tmpfs', target: '/scratch', options: 'size=1m' }],
      privileged: false, capAdd: ['net_admin'], capDrop: [], readOnlyRootfs: true, securityOpt: ['no-new-privileges'],
    },
    network: {
      mode: 'bridge',
      attachment: { network: 'bridge', bridge: 'nsbox0', address: '10.88.0.2', prefixLength: 16, gateway: '10.88.0.1', macAddress: '02:42:0a:58:00:02', hostVeth: 'nsv1d8c1a62e552', ports: [{ hostPort: 8080, boxPort: 80, protocol: 'tcp' }, { hostPort: 5353, boxPort: 53, protocol: 'udp' }], aliases: ['web'] },
    },
    ...over,
  } as BoxRecord;
}
const running: BoxState = { status: 'running', exitCode: undefined, finishedAt: undefined, oomKilled: false, pid: 4242 };
const exited: BoxState = { status: 'exited', exitCode: 137, finishedAt: '2026-12-01T08:00:03.000Z', oomKilled: true, pid: undefined };
const listed = (r: BoxRecord, now: BoxState): ListedBox => ({ record: r, paths, now });

test('inspect: Docker\'s keys and values for a running box on the bridge', () => {
  const j = toDockerInspect({ record: record(), paths, now: running, live: { startedAt: '2026-12-01T08:00:01.000Z' } }) as any;
  assert.is(j.Id, ID);
  assert.is(j.Name, '/web');
  assert.is(j.Created, CREATED);
  assert.equal(j.State, { Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 4242, ExitCode: 0, Error: '', StartedAt: '2026-12-01T08:00:01.000Z', FinishedAt: ZERO_TIME });
  assert.equal(j.Config, {
    Hostname: 'web-host', User: 'app', Env: ['PATH=/bin', 'FOO=bar'], Cmd: ['httpd', '-f', '-p', '80'], Image: 'busybox:latest', WorkingDir: '/srv', Entrypoint: null, Labels: {}, StopSignal: 'SIGTERM',
  });
  const h = j.HostConfig;
  assert.is(h.Memory, 67108864);
  assert.is(h.NanoCpus, 500000000);
  assert.is(h.PidsLimit, 64);
  assert.is(h.CpusetCpus, '0');
  assert.equal(h.Binds, ['/srv/data:/data:ro']);
  assert.equal(h.Tmpfs, { '/scratch': 'size=1m' });
  assert.is(h.NetworkMode, 'bridge');
  assert.equal(h.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '5353' }] });
  assert.equal(h.CapAdd, ['NET_ADMIN']);
  assert.is(h.CapDrop, null);
  assert.is(h.ReadonlyRootfs, true);
  assert.equal(h.SecurityOpt, ['no-new-privileges']);
  assert.equal(h.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  assert.equal(j.Mounts, [{ Type: 'bind', Source: '/srv/data', Destination: '/data', Mode: 'ro', RW: false, Propagation: 'private' }]);
  const n = j.NetworkSettings;
  assert.is(n.IPAddress, '10.88.0.2');
  assert.is(n.Gateway, '10.88.0.1');
  assert.is(n.MacAddress, '02:42:0a:58:00:02');
  assert.equal(n.Ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }] });
  assert.equal(n.Networks.bridge, { Aliases: ['web'], MacAddress: '02:42:0a:58:00:02', NetworkID: 'bridge', Gateway: '10.88.0.1', IPAddress: '10.88.0.2', IPPrefixLen: 16, DNSNames: ['web', ID.slice(0, 12)] });
  assert.equal(j.Nsbox.Namespaces, { net: 'net:[4026531992]', pid: 'pid:[4026531836]', mount: 'mnt:[4026531841]' }, 'as readlink shows them');
  assert.is(j.Nsbox.StateDir, paths.dir);
  assert.equal(j.Nsbox.Undo, []);
  // The brief's templates work on it.
  assert.is(renderTemplate('{{.NetworkSettings.IPAddress}} {{.State.Pid}} {{.HostConfig.Memory}}', j), '10.88.0.2 4242 67108864');
  assert.is(renderTemplate('{{range $p, $b := .NetworkSettings.Ports}}{{$p}}={{(index $b 0).HostPort}} {{end}}', j), '53/udp=5353 80/tcp=8080 ');
});

test('inspect: PortBindings is the -p as asked (a chosen port is "", a range to choose from stays), NetworkSettings.Ports what was chosen', () => {
  const base = record().network!;
  const request = { mode: 'bridge', network: 'bridge', dns: [], addHosts: [], names: [], publish: [{ hostPort: 0, boxPort: 80, protocol: 'tcp' }, { hostPort: 0, boxPort: 53, protocol: 'udp', hostRange: [5000, 5010] }] };
  const j = toDockerInspect({ record: record({ network: { ...base, request } as never }), paths, now: running }) as any;
  assert.equal(j.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '' }], '53/udp': [{ HostIp: '', HostPort: '5000-5010' }] });
  assert.equal(j.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }] });
});

test('inspect: networks the box was connected to later are listed while it runs', () => {
  const connected = [{ network: 'db', address: '10.99.0.5', prefixLength: 24, gateway: '10.99.0.1', macAddress: '02:42:0a:63:00:05', aliases: ['web'] }];
  const j = toDockerInspect({ record: record(), paths, now: running, live: { connected } }) as any;
  assert.equal(Object.keys(j.NetworkSettings.Networks), ['bridge', 'db']);
  assert.equal(j.NetworkSettings.Networks.db, { Aliases: ['web'], MacAddress: '02:42:0a:63:00:05', NetworkID: 'db', Gateway: '10.99.0.1', IPAddress: '10.99.0.5', IPPrefixLen: 24, DNSNames: ['web', ID.slice(0, 12)] });
  assert.is(j.NetworkSettings.IPAddress, '10.88.0.2', 'the top level stays the bridge\'s');
  assert.equal(Object.keys((toDockerInspect({ record: record(), paths, now: exited, live: { connected } }) as any).NetworkSettings.Networks), ['bridge']);
});

test('inspect: a stopped box is off its network; OOM and exit code kept; a user network keeps top-level fields empty', () => {
  const j = toDockerInspect({ record: record(), paths, now: exited }) as any;
  assert.equal([j.State.Status, j.State.Running, j.State.ExitCode, j.State.OOMKilled, j.State.Pid, j.State.FinishedAt], ['exited', false, 137, true, 0, '2026-12-01T08:00:03.000Z']);
  assert.is(j.NetworkSettings.IPAddress, '');
  assert.equal(j.NetworkSettings.Ports, {});
  assert.is(j.NetworkSettings.Networks.bridge.IPAddress, '');
  assert.equal(j.HostConfig.PortBindings['80/tcp'], [{ HostIp: '', HostPort: '8080' }], 'the request stays');
  const user = record({ network: { mode: 'user', attachment: { ...record().network!.attachment!, network: 'web' } } });
  const u = toDockerInspect({ record: user, paths, now: running }) as any;
  assert.is(u.HostConfig.NetworkMode, 'web');
  assert.is(u.NetworkSettings.IPAddress, '', 'Docker fills the top level for the default bridge only');
  assert.is(u.NetworkSettings.Networks.web.IPAddress, '10.88.0.2');
});

test('inspect: defaults of a host-root box without network, config or name; the live MAC when none is recorded', () => {
  const bare = record({ name: undefined, image: undefined, network: undefined, config: undefined, namespaces: {} });
  const j = toDockerInspect({ record: bare, paths, now: { ...running }, live: { hostHostname: 'hosty' } }) as any;
  assert.is(j.Name, '');
  assert.is(j.HostConfig.NetworkMode, 'host');
  assert.is(j.HostConfig.Memory, 0);
  assert.is(j.HostConfig.PidsLimit, null);
  assert.is(j.Config.Hostname, 'hosty');
  assert.equal(j.NetworkSettings.Networks, { host: { Aliases: null, MacAddress: '', NetworkID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, DNSNames: null } });
  const none = toDockerInspect({ record: record({ network: undefined, namespaces: { net: 1 } }), paths, now: running }) as any;
  assert.is(none.HostConfig.NetworkMode, 'none');
  const live = record({ network: { mode: 'bridge', attachment: { ...record().network!.attachment!, macAddress: undefined } } });
  assert.is((toDockerInspect({ record: live, paths, now: running, live: { macAddress: 'aa:bb:cc:dd:ee:ff' } }) as any).NetworkSettings.MacAddress, 'aa:bb:cc:dd:ee:ff');
});

test('lifecycle fields (labels, restart policy and count, stop signal) show once records carry them', () => {
  const r = record({ labels: { tier: 'front' }, restartPolicy: { name: 'on-failure', maximumRetryCount: 3 }, restartCount: 2, stopSignal: 'SIGINT', stopTimeout: 3, entrypoint: ['httpd'], startedAt: '2026-12-01T08:00:02.000Z' });
  const j = toDockerInspect({ record: r, paths, now: running }) as any;
  assert.equal(j.Config.Labels, { tier: 'front' });
  assert.equal(j.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.is(j.RestartCount, 2);
  assert.is(j.Config.StopSignal, 'SIGINT');
  assert.is(j.Config.StopTimeout, 3);
  assert.equal([j.Config.Entrypoint, j.Config.Cmd], [['httpd'], ['-f', '-p', '80']], 'Cmd follows the recorded entrypoint');
  assert.is(j.State.StartedAt, '2026-12-01T08:00:02.000Z', 'the run\'s own start time');
  assert.is(toPsRow(listed(r, running), { truncate: true, now: NOW }).Status, 'Up 3 seconds');
  const again = toDockerInspect({ record: record({ relaunching: true, restartCount: 1 }), paths, now: exited }) as any;
  assert.equal([again.State.Status, again.State.Restarting], ['restarting', true]);
  const row = toPsRow(listed(r, running), { truncate: true, now: NOW });
  assert.is(row.Labels, 'tier=front');
  assert.is(renderTemplate('{{.Label "tier"}}', row), 'front');
  assert.is(formatRows('table {{.Names}}\\t{{.Label "tier"}}', [row], PS_HEADERS), 'NAMES     LABEL\nweb       front\n');
  assert.ok(matchesPsFilters(listed(r, running), parsePsFilters(['label=tier'])));
  assert.ok(matchesPsFilters(listed(r, running), parsePsFilters(['label=tier=front'])));
  assert.not.ok(matchesPsFilters(listed(r, running), parsePsFilters(['label=tier=back'])));
  assert.is(describeDockerStatus({ ...exited, exitCode: 1 }, CREATED, { restarting: true }, NOW), 'Restarting (1) 2 seconds ago');
});

test('ps rows: Docker\'s fields, truncation, the default table', () => {
  const row = toPsRow(listed(record(), running), { truncate: true, now: NOW, startedAt: new Map([[ID, '2026-12-01T08:00:01.000Z']]) });
  assert.is(row.ID, ID.slice(0, 12));
  assert.is(row.Command, '"httpd -f -p 80"');
  assert.is(row.RunningFor, '5 seconds ago');
  assert.is(row.Status, 'Up 4 seconds');
  assert.is(row.State, 'running');
  assert.is(row.Ports, '0.0.0.0:8080->80/tcp, 0.0.0.0:5353->53/udp');
  assert.is(row.Names, 'web');
  assert.is(row.Networks, 'bridge');
  assert.is(row.CreatedAt, '2026-12-01 08:00:00 +0000 UTC');
  const long = toPsRow(listed(record({ command: ['sh', '-c', 'echo "a long command line"'] }), exited), { truncate: true, now: NOW });
  assert.is(long.Command, '"sh -c echo \\"a long …"', '19 characters and an ellipsis, then quoted');
  assert.is(long.Status, 'Exited (137) 2 seconds ago', 'OOM stays in inspect');
  assert.is(long.Ports, '', 'a stopped box publishes nothing');
  const full = toPsRow(listed(record(), running), { truncate: false, now: NOW });
  assert.is(full.ID, ID);
  assert.equal(Object.keys(JSON.parse(renderTemplate('{{json .}}', row))), ['ID', 'Image', 'Command', 'CreatedAt', 'RunningFor', 'Status', 'State', 'Ports', 'Names', 'Labels', 'Mounts', 'Networks', 'LocalVolumes', 'Pid']);
  const table = formatRows(PS_TABLE, [row], PS_HEADERS).split('\n');
  assert.is(table[0], 'CONTAINER ID   IMAGE            COMMAND            CREATED         STATUS         PORTS                                        NAMES');
  assert.is(table[1], `${ID.slice(0, 12)}   busybox:latest   "httpd -f -p 80"   5 seconds ago   Up 4 seconds   0.0.0.0:8080->80/tcp, 0.0.0.0:5353->53/udp   web`);
  assert.is(ellipsis('abcdef', 4), 'abc…');
  assert.is(formatGoTime('2026-01-02T03:04:05.678Z'), '2026-01-02 03:04:05 +0000 UTC');
});

test('ps filters: name as a regexp, status, ancestor with :latest, id prefix, exited; same key ORs, keys AND', () => {
  const web = listed(record(), running);
  const db = listed(record({ id: `ab${'1'.repeat(62)}`, name: 'db', image: 'postgres:16' }), exited);
  const pick = (...f: string[]) => [web, db].filter((b) => matchesPsFilters(b, parsePsFilters(f))).map((b) => b.record.name);
  assert.equal(pick('name=web'), ['web']);
  assert.equal(pick('name=^d'), ['db']);
  assert.equal(pick('status=exited'), ['db']);
  assert.equal(pick('status=running', 'status=exited'), ['web', 'db']);
  assert.equal(pick('ancestor=busybox'), ['web']);
  assert.equal(pick('ancestor=postgres:16'), ['db']);
  assert.equal(pick('ancestor=postgres'), [], 'postgres means postgres:latest');
  assert.equal(pick('id=ab1'), ['db']);
  assert.equal(pick('exited=137'), ['db']);
  assert.equal(pick('name=web', 'status=exited'), []);
  assert.ok(filtersImplyAll(parsePsFilters(['status=exited'])));
  assert.not.ok(filtersImplyAll(parsePsFilters(['status=running', 'name=x'])));
  for (const [bad, message] of [['bogus=1', /invalid filter 'bogus'/], ['status=sleepy', /expected one of created/], ['name', /expected name=VALUE/], ['exited=x', /expected an exit code/]] as const) {
    assert.throws(() => parsePsFilters([bad]), message);
  }
});

test('status words and durations as Docker prints them', () => {
  assert.is(describeDuration(400), 'Less than a second');
  assert.is(describeDuration(1000), '1 second');
  assert.is(describeDuration(59_999), '59 seconds');
  assert.is(describeDuration(90_000), 'About a minute');
  assert.is(describeDuration(5 * 60_000), '5 minutes');
  assert.is(describeDuration(80 * 60_000), 'About an hour');
  assert.is(describeDuration(3 * 3_600_000), '3 hours');
  assert.is(describeDuration(3 * 86_400_000), '3 days');
  assert.is(describeDuration(20 * 86_400_000), '2 weeks');
  const created: BoxState = { status: 'creating', exitCode: undefined, finishedAt: undefined, oomKilled: false, pid: undefined };
  assert.is(describeDockerStatus(created, CREATED, { restarting: false }, NOW), 'Created');
  assert.is(describeDockerStatus({ ...created, status: 'dead' }, CREATED, { restarting: false }, NOW), 'Dead');
  assert.is(describeDockerStatus(running, CREATED, { restarting: false }, NOW), 'Up 5 seconds');
  assert.is(describeDockerStatus(running, CREATED, { restarting: false, paused: true }, NOW), 'Up 5 seconds (Paused)');
  assert.is(describeDockerState(running, { restarting: false, paused: true }), 'paused');
  assert.is(describeDockerState({ ...running, status: 'exited' }, { restarting: false, paused: true }), 'exited', 'a stopped box is never paused');
});

test('a box nsbox create made: status created from its record alone, Created in ps, zero StartedAt; create\'s start mode', () => {
  const r = record({ phase: 'created', supervisor: undefined, init: undefined, startedAt: undefined });
  const now = deriveState(r, paths);
  assert.equal(now, { status: 'created', exitCode: undefined, finishedAt: undefined, oomKilled: false, pid: undefined });
  assert.is(describeDockerStatus(now, CREATED, { restarting: false }, NOW), 'Created');
  assert.is(describeDockerState(now, { restarting: false }), 'created');
  const j = toDockerInspect({ record: r, paths, now, live: {} }) as any;
  assert.equal([j.State.Status, j.State.Running, j.State.Pid, j.State.StartedAt], ['created', false, 0, ZERO_TIME]);
  assert.equal(matchesPsFilters(listed(r, now), parsePsFilters(['status=created'])), true);
  assert.is(startModeOf({ [CREATE_ONLY]: true, detach: true }), 'create-only');
  assert.is(startModeOf({ detach: true }), 'detached');
  assert.is(startModeOf({}), 'foreground');
  assert.ok(isRecorded({ [CREATE_ONLY]: true }));
});

test('port: Docker\'s lines, one private port, none once stopped, a clear error for an unpublished one', () => {
  const r = record();
  assert.equal(listPortLines(r, true), ['53/udp -> 0.0.0.0:5353', '80/tcp -> 0.0.0.0:8080']);
  assert.equal(listPortLines(r, true, parsePrivatePort('80')), ['0.0.0.0:8080']);
  assert.equal(listPortLines(r, true, parsePrivatePort('53/udp')), ['0.0.0.0:5353']);
  assert.equal(listPortLines(r, false), []);
  assert.throws(() => listPortLines(r, true, parsePrivatePort('81')), /no public port '81\/tcp' published for web/);
  assert.throws(() => parsePrivatePort('http'), /expected PRIVATE_PORT/);
  assert.throws(() => parsePrivatePort('70000'), /expected PRIVATE_PORT/);
});

test('top with ps options: the header and the rows of the box\'s PIDs only, found by the PID column', () => {
  const out = 'UID        PID  PPID  C STIME TTY          TIME CMD\nroot         1     0  0 08:00 ?        00:00:01 /sbin/init\nroot      4242     1  0 08:00 ?        00:00:00 sleep 1000\nroot     14242  4242  0 08:00 ?        00:00:00 sh -c 4242\n';
  assert.is(filterPsOutput(out, new Set([4242])), 'UID        PID  PPID  C STIME TTY          TIME CMD\nroot      4242     1  0 08:00 ?        00:00:00 sleep 1000\n');
  assert.is(filterPsOutput('  PID COMMAND\n', new Set([4242])), '  PID COMMAND\n', 'no row matched: the header alone');
  assert.throws(() => filterPsOutput('COMMAND\nsleep 1000\n', new Set([4242])), /ps printed no PID column/);
});

test.run();
