// Image boxes as recorded, networked boxes, as data: the default network, the detached plan (own session, log and
// exit files, no wait), the network's host-side steps between the namespaces and the gate, /etc/hosts and
// resolv.conf bound from the network's files, and the record's undo list (container dir first, run last).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { NsboxError } from '../../src/errors.js';
import { buildImageBoxDescription, type ImageBoxDescription } from '../../src/spec/image-box-description.js';
import { buildImagePlan, type ImagePlanFacts } from '../../src/plan/build-image-plan.js';
import { describeContainerDir } from '../../src/rootfs/container-dir.js';
import { buildNetworkRequest } from '../../src/net/request.js';
import { defaultImageNetwork } from '../../src/net/image-default.js';
import { newNetworkRecord } from '../../src/net/prepare-network.js';
import { parseSubnet } from '../../src/net/subnet.js';
import type { NetworkSetup } from '../../src/net/setup.js';
import { buildNewRecord } from '../../src/lifecycle/new-record.js';

// A state dir of the test's own: planning the default bridge must not depend on the host's links (its nsbox0).
process.env.NSBOX_STATE = mkdtempSync(`${tmpdir()}/nsbox-unit-image-net-`);
process.on('exit', () => rmSync(process.env.NSBOX_STATE!, { recursive: true, force: true }));

const ID = 'fedcba9876543210'.repeat(4);
const REF = { kind: 'image' as const, ref: { name: 'busybox', tag: 'latest' } };
const specOf = (args: Record<string, unknown>, defaultNetwork?: 'bridge' | 'none') =>
  buildImageBoxDescription({ ...args, 'dry-run': true }, { source: REF, storeRoot: '/var/lib/nsbox', config: { Cmd: ['sh'] }, command: [], interactive: false, hostEnv: {}, devicesCgroup: false, defaultNetwork });

const container = describeContainerDir('/var/lib/nsbox/containers', ID);
const facts: ImagePlanFacts = {
  container,
  imageLabel: 'busybox:latest',
  record: { schemaVersion: 1, id: ID, created: '2024-01-01T00:00:00.000Z', image: 'busybox:latest', imageId: 'sha256:ff', lowerDirs: ['/l'], layers: ['sha256:aa'], config: { Cmd: ['sh'] }, argv: ['sh'] },
  lowerDirs: ['/l'],
  initEntries: [],
  user: { uid: 0, gid: 0, groups: [], home: '/root' },
  resolvConf: 'nameserver 10.0.0.1\n',
  volumeSources: [],
  masked: [],
  readonly: [],
  toolbox: { loader: undefined, files: [{ name: 'setpriv', source: '/usr/bin/setpriv' }] },
  console: false,
};

/** A description on user network "web" with lease 10.9.0.2, one peer and -p 8080:80 (no lease file is written). */
function networked(): ImageBoxDescription {
  const base = specOf({ network: 'none' });
  const request = buildNetworkRequest({ net: undefined, network: 'web', publish: ['8080:80'], dns: [], addHost: [], names: ['web'] })!;
  const network = newNetworkRecord('web', parseSubnet('--subnet', '10.9.0.0/24'));
  const owner = { pid: 1, start: '1' };
  const lease = { boxId: ID, network: 'web', address: '10.9.0.2', hostVeth: `nsv${ID.slice(0, 12)}`, publish: request.publish, names: ['web'], addHosts: [], owner, createdAt: '' };
  const peer = { ...lease, boxId: 'a'.repeat(64), address: '10.9.0.3', hostVeth: 'nsvaaaaaaaaaaaa', publish: [], names: ['db'] };
  const setup: NetworkSetup = { request, stateDir: '/run/nsbox/net', firewall: 'iptables', hostNameservers: ['192.0.2.53'], network, lease, peers: [peer], reserved: false };
  return { ...base, box: { ...base.box, id: ID, network: setup } };
}

test('default network: bridge with a firewall tool, else none; a bare --net and --net none keep only lo', () => {
  assert.is(defaultImageNetwork({}, (n) => (n === 'iptables' ? '/usr/sbin/iptables' : undefined)), 'bridge');
  assert.is(defaultImageNetwork({}, () => undefined), 'none');
  assert.is(defaultImageNetwork({ NSBOX_IMAGE_NETWORK: 'none' }, () => '/x'), 'none');
  assert.throws(() => defaultImageNetwork({ NSBOX_IMAGE_NETWORK: 'web' }), (e: unknown) => e instanceof NsboxError && e.exitCode === 125);
  assert.is(specOf({}, 'bridge').box.network?.request.mode, 'bridge');
  assert.is(specOf({ net: true }, 'bridge').box.network, undefined, 'bare --net: only lo, no set-up from outside');
  assert.is(specOf({ network: 'none' }, 'bridge').box.network, undefined);
  assert.is(specOf({}, 'none').box.network, undefined);
  assert.ok(specOf({}, 'none').box.namespaces.includes('net'));
  const hostNet = specOf({ network: 'host' }, 'bridge');
  assert.not.ok(hostNet.box.namespaces.includes('net'), '--net host shares the host\'s');
});

test('detached: a supervisor in its own session, log and exit files, the detached reaper, no wait step', () => {
  const s = specOf({ network: 'none' });
  const plan = buildImagePlan({ ...s, box: { ...s.box, id: ID } }, facts, 't', { detach: { log: '/s/log', exitFile: '/s/exit' } });
  const launch = plan.steps.find((x) => x.kind === 'launch');
  assert.ok(launch?.kind === 'launch');
  assert.equal(launch.detach, { log: '/s/log', exitFile: '/s/exit' });
  assert.is(launch.supervised, true);
  assert.equal(launch.argv.slice(0, 4), ['env', 'NSBOX_SUPERVISOR={script:supervisor}', 'NSBOX_REAPER={script:reaper}', 'NSBOX_INIT={script:init}'], 'the scripts travel in the environment');
  assert.equal(launch.argv.slice(5), ['setsid', '--', '/bin/sh', '-c', 'eval "$NSBOX_SUPERVISOR"', `nsbox-supervisor ${ID.slice(0, 12)}`], 'the supervisor, in a session of its own, with a short title');
  const chain = launch.argv[4]!;
  assert.match(chain, /^NSBOX_BOX=/, 'the box\'s command travels in the environment too');
  assert.ok(/setpriv --pdeathsig KILL -- unshare/.test(chain), `the box dies with its supervisor: ${chain}`);
  assert.not.match(chain, /\{script:/, 'no script text in the box\'s command');
  assert.not.ok(plan.steps.some((x) => x.kind === 'wait'));
  assert.match(plan.scripts.find((x) => x.name === 'supervisor')!.text, /echo "\$status" >&4/);
  assert.match(plan.scripts.find((x) => x.name === 'reaper')!.text, /exit "\$status"/);
  const after = buildImagePlan({ ...s, box: { ...s.box, id: ID } }, facts, 't', { detach: { log: '/l', exitFile: '/e', after: ['/usr/bin/node', '/b', 'box-exited', ID] } });
  assert.match(after.scripts.find((x) => x.name === 'supervisor')!.text, new RegExp(`exec /usr/bin/node /b box-exited ${ID} "\\$status"`), 'a restart policy or --rm: the supervisor hands over to nsbox');
  const again = buildImagePlan({ ...s, box: { ...s.box, id: ID } }, facts, 't', { detach: { log: '/l', exitFile: '/e' }, reuseContainer: true });
  assert.not.ok(again.steps.some((x) => x.kind === 'mkdir' && x.path.startsWith(facts.container.dir)), 'start: the container directory (upper layer) is kept');
  const foreground = buildImagePlan({ ...s, box: { ...s.box, id: ID } }, facts, 't');
  assert.ok(foreground.steps.some((x) => x.kind === 'wait'));
  assert.ok(foreground.steps.find((x) => x.kind === 'launch')!.kind === 'launch');
});

test('-d -i: the box\'s stdin is a fifo made before the launch, its supervisor holds it open; without -i (or with -t) none', () => {
  const files = { log: '/s/log', exitFile: '/s/exit', attachSocket: '/s/attach.sock', stdinFifo: '/s/stdin' };
  const planOf = (args: Record<string, unknown>) => {
    const s = specOf({ network: 'none', ...args });
    return buildImagePlan({ ...s, box: { ...s.box, id: ID } }, facts, 't', { detach: files });
  };
  const kept = planOf({ interactive: true });
  assert.is(kept.steps[0]!.kind, 'exec');
  assert.equal(kept.steps[0], { kind: 'exec', argv: ['mkfifo', '-m', '0600', '--', '/s/stdin'], why: kept.steps[0]!.why, undo: { kind: 'remove', path: '/s/stdin' } }, 'the fifo first (the supervisor\'s first child must be the box), removed by its undo');
  assert.is(kept.steps[1]!.kind, 'launch');
  const supervisor = kept.scripts.find((x) => x.name === 'supervisor')!.text;
  assert.match(supervisor, /^fifo=\/s\/stdin\nexec 5<>"\$fifo" \|\| exit 125$/m, 'the supervisor holds a write end');
  assert.match(supervisor, /^trap 'exec 5>&-; rm -f -- "\$fifo"; woke=1' WINCH/m, 'attach\'s signal closes it');
  assert.match(supervisor, /^"\$@" <"\$fifo" 4>&- 5>&- &$/m, 'the box reads the fifo and holds no write end');
  assert.match(supervisor, /wait "\$box"; status=\$\?; \[ -n "\$woke" \] && \[ "\$status" -eq 156 \] && continue;/, 'a wait the trap cut short is waited again');
  assert.match(supervisor, /^trap - WINCH; exec 5>&-; rm -f -- "\$fifo"[^\n]*\necho "\$status" >&4/m, 'gone before the exit is recorded');
  const reaper = kept.scripts.find((x) => x.name === 'reaper')!.text;
  assert.match(reaper, /^exec 4<&0 .*\nenv -i --default-signal=INT,QUIT .* <&4 4<&- &$/m, 'the reaper hands its stdin to PID 1, with SIGINT and SIGQUIT at their defaults');
  for (const [what, plan] of [['-d', planOf({})], ['-dit', planOf({ interactive: true, tty: true })]] as const) {
    // -dit: the terminal's output goes through the log writer's fifo (box-log.test.ts), never a stdin fifo.
    assert.not.ok(plan.steps.some((x) => x.kind === 'exec' && x.argv[0] === 'mkfifo' && x.argv.includes('/s/stdin')), `${what}: no stdin fifo`);
    assert.not.match(plan.scripts.find((x) => x.name === 'supervisor')!.text, /\/s\/stdin|trap /, `${what}: a plain supervisor`);
  }
  assert.is(specOf({ interactive: true }).box.process.openStdin, true, '-i is recorded (start and restart keep it)');
  assert.is(specOf({}).box.process.openStdin, undefined);
});

test('--rm on a recorded box: the plan says the container goes with its record, and leaves the removal to nsbox', () => {
  const s = specOf({ network: 'none', rm: true });
  const dirStep = (options: { removedWithRecord?: boolean }) => buildImagePlan({ ...s, remove: false, box: { ...s.box, id: ID } }, facts, 't', options).steps.find((x) => x.kind === 'mkdir' && x.path === facts.container.dir);
  const rm = dirStep({ removedWithRecord: true });
  assert.ok(rm?.kind === 'mkdir');
  assert.match(rm.why, /--rm: nsbox removes it with the box's record/);
  assert.is(rm.undo, undefined, 'the plan itself removes nothing the record still names');
  assert.match(dirStep({})!.why, /it stays after the box ends/);
});

test('network: host-side steps between the namespaces and the gate; /etc/hosts and resolv.conf from the network', () => {
  const plan = buildImagePlan(networked(), facts, 't');
  const kinds = plan.steps.map((x) => (x.kind === 'exec' ? `exec:${x.argv[0]}` : x.kind));
  const awaited = kinds.indexOf('await-namespaces');
  const veth = plan.steps.findIndex((x) => x.kind === 'exec' && x.argv.includes('veth'));
  const release = kinds.indexOf('release');
  assert.ok(awaited < veth && veth < release, 'veth after the namespaces exist, before the gate opens');
  const rules = plan.steps.find((x) => x.kind === 'write-text' && x.path.endsWith('/ports.rules'));
  assert.ok(rules?.kind === 'write-text');
  assert.equal(rules.content.split('\n').filter((l) => l.includes('DNAT')).map((l) => l.split(' ')[1]), ['PREROUTING', 'OUTPUT'], '-p: PREROUTING and OUTPUT');
  const restore = plan.steps.find((x) => x.kind === 'exec' && x.argv[0] === 'iptables-restore');
  assert.ok(restore?.kind === 'exec' && restore.argv.includes('--noflush') && restore.undo?.kind === 'exec', 'one iptables-restore --noflush, with its undo');
  const late = plan.steps.find((x) => x.kind === 'write-text' && x.path === container.fstabLate);
  assert.ok(late?.kind === 'write-text');
  // In the container's directory (the store, as Docker keeps them), never the state dir: the box writes these files.
  for (const name of ['hosts', 'resolv.conf', 'hostname']) {
    assert.match(late.content, new RegExp(`^\\S+/containers/${ID}/${name} \\S+/rootfs/etc/${name} none bind`, 'm'), `/etc/${name} from the container's directory`);
  }
  assert.not.match(late.content, /\/run\/nsbox/, 'no file of the state dir is bound into the box');
  const hosts = plan.steps.find((x) => x.kind === 'write-file' && x.path === container.hosts);
  assert.ok(hosts?.kind === 'write-file', 'the network\'s steps write the box\'s hosts file (rewritten in place when peers change)');
  assert.is(plan.steps.filter((x) => (x.kind === 'write-file' || x.kind === 'write-text') && x.path === container.hosts).length, 1, 'written once');
  const lease = plan.steps.find((x) => x.kind === 'write-file' && x.path.includes('/leases/'));
  assert.ok(lease?.kind === 'write-file');
  assert.is(JSON.parse(lease.content).hostsFile, container.hosts, 'the lease says where peers find the box\'s hosts file');
  assert.match(hosts.content, /^10\.9\.0\.2\tweb fedcba987654$/m);
  assert.match(hosts.content, /^10\.9\.0\.3\tdb aaaaaaaaaaaa$/m);
});

test('record: the container directory is kept beyond a foreground run and removed last by rm', () => {
  const s = networked();
  const plan = buildImagePlan({ ...s, remove: false }, facts, 't');
  const keep = { kind: 'remove' as const, path: container.dir };
  const record = buildNewRecord(s.box, plan, { name: 'web', detached: true, autoRemove: false, image: 'busybox:latest', inheritEnv: false, kept: [keep] });
  assert.equal(record.undo[0], keep);
  assert.ok(record.undo.some((u) => u.kind === 'exec' && u.argv.join(' ').includes(' -D ')), 'the -p rules are undone by rm');
  assert.not.ok(record.undo.some((u) => JSON.stringify(u).includes('/leases/')), 'the lease is not an undo: rm and stop release it from the lease itself (a reused address is another box\'s)');
  assert.is(record.image, 'busybox:latest');
  assert.is(record.process.inheritEnv, false);
  assert.not.ok(plan.steps.some((x) => 'undo' in x && x.undo?.kind === 'remove' && x.undo.path === container.dir), 'not removed at the end of the run');
});

test.run();
