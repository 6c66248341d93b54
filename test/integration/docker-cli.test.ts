// Integration (root): nsbox as a Docker user types it. Docker's other spellings (load, save, tag, history, container X,
// image list), the prune commands (container, image, volume, network, system: only what is unused goes, and only
// in the store and state dir given; a declined prompt removes nothing; the prompt on a real terminal), the
// registry commands nsbox lacks and unknown commands/flags (one line, 125, nothing made). Checked on disk: state
// dirs, container dirs, image records, layers, volumes, network records, cgroups and processes (leak audit).

import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSBOX, nsbox, isRoot, ok, type Result } from '../helpers/nsbox.js';
import { assertNoLeaks, removeCgroupParents, snapshot, type Snapshot } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';
import { spawnOnPty } from '../helpers/pty.js';

const test = gatedTest(!isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined);
const BASE = mkdtempSync(join(tmpdir(), 'nsbox-dockercli-'));
const PARENT = `./dockercli-${process.pid}`;
const OTHER_PARENT = `./dockercli-other-${process.pid}`;

/** One store and state dir (the test's own), and a second one that no prune of the first may touch. */
function place(name: string, parent: string) {
  const store = join(BASE, `${name}-store`);
  const state = join(BASE, `${name}-state`);
  const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: state, NSBOX_CGROUP_PARENT: parent, NSBOX_IMAGE_NETWORK: 'none' };
  const run = (args: readonly string[], input = ''): Result => nsbox(args, { env, input, timeoutMs: 60_000 });
  const list = (...parts: string[]): string[] => (existsSync(join(...parts)) ? readdirSync(join(...parts)).sort() : []);
  return {
    store,
    state,
    env,
    run,
    boxes: () => list(state, 'boxes'),
    containers: () => list(store, 'containers'),
    images: () => list(store, 'images'),
    layers: () => list(store, 'layers'),
    volumes: () => list(store, 'volumes'),
    networks: () => list(state, 'net', 'networks'),
  };
}
const A = place('a', PARENT);
const B = place('b', OTHER_PARENT);
const OWN = { stateDirs: [A.state, B.state], cgroupParents: [PARENT, OTHER_PARENT] };

let before: Snapshot;
test.before(() => {
  ok(A.run(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox (a)');
  ok(B.run(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox (b)');
});
test.before.each(() => {
  before = snapshot(OWN);
});
test.after.each(async () => {
  for (const p of [A, B]) for (const id of p.run(['ps', '-aq']).stdout.split('\n').filter(Boolean)) p.run(['rm', '-f', id]);
  assert.equal([A.boxes(), A.containers(), B.boxes(), B.containers()], [[], [], [], []], 'no state or container directory left');
  await assertNoLeaks(before, 'docker cli');
});
test.after(() => {
  removeCgroupParents([PARENT, OTHER_PARENT]);
  rmSync(BASE, { recursive: true, force: true });
});

/** One line on stderr (a hint line aside), exit 125, stdout empty. */
function assertUsageError(r: Result, pattern: RegExp, what: string): void {
  assert.is(r.code, 125, `${what}: exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, pattern, what);
  assert.is(r.stderr.trim().split('\n').filter((l) => !l.startsWith('nsbox: hint:')).length, 1, `${what}: one line: ${r.stderr}`);
  assert.is(r.stdout, '', `${what}: nothing on stdout`);
}

test('unknown commands and flags, and the registry commands nsbox lacks: one line, exit 125, nothing made', () => {
  const images = A.images();
  const cases: [string[], RegExp][] = [
    [['foo'], /^nsbox: unknown command "foo" \(see nsbox --help\)$/m],
    [['--bogus'], /^nsbox: unknown flag --bogus \(see nsbox --help\)$/m],
    [['run', '--bogus', 'busybox', 'true'], /^nsbox: unknown flag --bogus for nsbox run$/m],
    [['create', '-Z', 'busybox'], /^nsbox: unknown flag -Z for nsbox create$/m],
    [['ps', '--bogus'], /^nsbox: unknown flag --bogus for nsbox ps$/m],
    [['container', 'bogus'], /^nsbox: unknown command "container bogus"/m],
    [['system', 'events'], /^nsbox: unknown command "system events"/m],
    [['pull', 'busybox'], /^nsbox: cannot pull busybox: nsbox has no registry client$/m],
    [['image', 'pull', '--platform', 'linux/amd64', 'alpine:3.19'], /^nsbox: cannot pull alpine:3\.19: nsbox has no registry client$/m],
    [['push', 'busybox'], /^nsbox: cannot push busybox: nsbox has no registry client$/m],
    [['login', '-u', 'me', 'registry.example'], /^nsbox: cannot login: nsbox has no registry client$/m],
    [['build', '-t', 'app', '.'], /^nsbox: cannot build: nsbox has no image builder$/m],
  ];
  for (const [args, pattern] of cases) assertUsageError(A.run(args), pattern, args.join(' '));
  assert.match(A.run(['pull', 'busybox']).stderr, /hint: skopeo copy docker:\/\/busybox docker-archive:busybox\.tar:busybox:latest && nsbox load -i busybox\.tar/);
  assert.equal([A.boxes(), A.containers(), A.images()], [[], [], images], 'no box, container or image made');
});

test('docker run flags: --add-host and --dns without a network (a fresh state dir), --pid/--ipc/--uts host refused, --userns host accepted, --shm-size, --pull, --platform, -q', () => {
  assert.not.ok(existsSync(join(A.state, 'net', 'boxes')), 'precondition: no box has had network files in this state dir yet');
  assert.match(ok(A.run(['run', '--rm', '--net', 'none', '--add-host', 'db:10.1.2.3', 'busybox', 'cat', '/etc/hosts']), 'run --add-host'), /^10\.1\.2\.3\tdb$/m);
  assert.is(ok(A.run(['run', '--rm', '--net', 'none', '--dns', '9.9.9.9', 'busybox', 'cat', '/etc/resolv.conf']), 'run --dns'), 'nameserver 9.9.9.9\n');
  assert.equal(readdirSync(join(A.state, 'net', 'boxes')), [], 'the boxes\' network files are gone with them');
  for (const [flag, ns] of [['--pid', 'pid'], ['--ipc', 'ipc'], ['--uts', 'uts'], ['--cgroupns', 'cgroup']] as const) {
    for (const args of [[flag, 'host'], [`${flag}=host`]]) {
      assertUsageError(A.run(['run', '--rm', ...args, 'busybox', 'true']), new RegExp(`^nsbox: invalid ${flag} "host": an image box always has its own ${ns} namespace`, 'm'), args.join(' '));
    }
  }
  assert.is(ok(A.run(['run', '--rm', '--userns', 'host', 'busybox', 'id', '-u']), '--userns host (docker: no remapping, nsbox\'s default)'), '0\n');
  assert.is(ok(A.run(['run', '--rm', '--pid=private', 'busybox', 'sh', '-c', 'echo $$']), '--pid=private'), '1\n');
  // A host-root box shares the host's PID namespace unless asked: --pid host says so explicitly.
  const hostPid = Number(ok(A.run(['run', '--pid', 'host', '--', 'sh', '-c', 'echo $$']), 'host-root --pid host').trim());
  assert.ok(hostPid > 1, `the host's PID namespace: ${hostPid}`);
  // --shm-size: the box's /dev/shm, seen in its own mount table; Docker's 64 MB without it (and with 0).
  const shm = (args: string[]) => ok(A.run(['run', '--rm', ...args, 'busybox', 'sh', '-c', 'grep " /dev/shm " /proc/self/mounts']), args.join(' '));
  assert.match(shm(['--shm-size', '1m']), /size=1024k/);
  assert.match(shm(['--shm-size=256m']), /size=262144k/);
  assert.match(shm([]), /size=65536k/);
  assert.match(shm(['--shm-size', '0']), /size=65536k/);
  assertUsageError(A.run(['run', '--rm', '--shm-size', 'lots', 'busybox', 'true']), /^nsbox: invalid --shm-size "lots"/m, 'a bad --shm-size');
  // Docker's fetching flags from a copied command line: what means "use the local image" runs, the rest is refused.
  const host = `linux/${({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch}`;
  assert.is(ok(A.run(['run', '--rm', '--pull', 'never', '--platform', host, '-q', 'busybox', 'echo', 'ran']), 'pull never, platform, -q'), 'ran\n');
  assert.is(ok(A.run(['run', '--rm', '--pull=missing', 'busybox', 'echo', 'ran']), 'pull missing'), 'ran\n');
  assertUsageError(A.run(['run', '--rm', '--pull', 'always', 'busybox', 'true']), /^nsbox: invalid --pull "always": nsbox has no registry client/m, 'pull always');
  assertUsageError(A.run(['run', '--rm', '--platform', 'linux/s390x', 'busybox', 'true']), /^nsbox: invalid --platform "linux\/s390x": nsbox runs images for this host only/m, 'another platform');
  assert.equal([A.boxes(), A.containers()], [[], []], 'nothing left');
});

test('save, load (-i, < FILE, a pipe), tag, history and image list: docker\'s top-level names for the image actions', () => {
  const archive = join(BASE, 'bb.tar');
  ok(A.run(['tag', 'busybox', 'bb:2']), 'tag');
  ok(A.run(['save', 'busybox', 'bb:2', '-o', archive]), 'save -o');
  assert.match(A.run(['history', 'bb:2']).stdout, /^LAYER\s+CREATED\s+CREATED BY\s+SIZE/);
  assert.match(A.run(['image', 'list']).stdout, /^bb\s+2\s/m);
  // Into B's store: -i FILE, stdin a file, stdin a pipe.
  ok(B.run(['rmi', 'busybox']), 'rmi in b');
  assert.equal(B.layers(), [], 'b has no layer left');
  assert.is(ok(B.run(['load', '-i', archive]), 'load -i'), 'Loaded image: busybox:latest\nLoaded image: bb:2\n');
  ok(B.run(['rmi', 'busybox', 'bb:2']), 'rmi');
  const fd = openSync(archive, 'r');
  const fromFile = spawnSync(NSBOX, ['load'], { env: B.env, stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
  closeSync(fd);
  assert.is(fromFile.status, 0, fromFile.stderr);
  assert.match(fromFile.stdout, /^Loaded image: busybox:latest$/m);
  ok(B.run(['rmi', 'busybox', 'bb:2']), 'rmi');
  const piped = spawnSync('sh', ['-c', `cat "$1" | "${NSBOX}" load`, 'sh', archive], { env: B.env, encoding: 'utf8' });
  assert.is(piped.status, 0, piped.stderr);
  assert.match(piped.stdout, /^Loaded image: bb:2$/m);
  assert.equal(B.images(), A.images(), 'the same names in both stores');
  assert.equal(readdirSync(join(B.store, 'tmp')), [], 'the spooled copy of stdin is gone');
  // A root file system tarball is docker import's business, and an empty stdin is no archive: refused, nothing stored.
  const rootfs = join(BASE, 'rootfs.tar');
  spawnSync('tar', ['-cf', rootfs, '-C', '/etc', 'hostname']);
  const images = B.images();
  const layers = B.layers();
  assertUsageError(B.run(['load', '-i', rootfs]), /^nsbox: cannot load .*rootfs\.tar: it is a root file system tarball, not a docker save or OCI archive$/m, 'load rootfs');
  assertUsageError(B.run(['load']), /^nsbox: cannot load: stdin is empty$/m, 'load of empty stdin');
  assertUsageError(B.run(['load', '-i', join(BASE, 'nonexistent.tar')]), /^nsbox: cannot load .*nonexistent\.tar: no such file or directory$/m, 'load of a missing file');
  assert.equal([B.images(), B.layers(), readdirSync(join(B.store, 'tmp'))], [images, layers, []], 'nothing stored, no work dir left');
  ok(A.run(['rmi', 'bb:2']), 'rmi bb:2');
  ok(B.run(['rmi', 'bb:2']), 'rmi bb:2 (b)');
});

test('container X is the top-level X: run, ls, inspect, logs, exec, stop, rm', () => {
  ok(A.run(['container', 'run', '-d', '--name', 'c1', 'busybox', 'sh', '-c', 'echo hello; sleep 100']), 'container run -d');
  assert.match(ok(A.run(['container', 'ls']), 'container ls'), /\bc1\n/);
  assert.match(ok(A.run(['container', 'list', '-a']), 'container list'), /\bc1\n/);
  assert.is(ok(A.run(['container', 'inspect', '-f', '{{.State.Status}}', 'c1']), 'inspect').trim(), 'running');
  assert.is(ok(A.run(['container', 'exec', 'c1', 'echo', 'in']), 'exec'), 'in\n');
  assert.match(ok(A.run(['container', 'logs', 'c1']), 'logs'), /hello/);
  ok(A.run(['container', 'stop', '-t', '1', 'c1']), 'stop');
  ok(A.run(['container', 'rm', 'c1']), 'container rm');
  assert.equal(A.boxes(), [], 'removed');
});

test('logs --since/--until (a time, Unix seconds, a duration back); rm -fv; rmi and volume rm refuse while a created box needs them', async () => {
  ok(A.run(['run', '-d', '--name', 'talker', 'busybox', 'sh', '-c', 'echo early; sleep 3; echo late; sleep 100']), 'run -d');
  await new Promise((r) => setTimeout(r, 4500));
  const stamped = ok(A.run(['logs', '-t', 'talker']), 'logs -t').trim().split('\n');
  assert.is(stamped.length, 2, stamped.join('|'));
  const lateAt = stamped[1]!.split(' ')[0]!;
  // A duration back from now to the middle of the 3 s between the lines (nsbox's own start-up shifts it a little).
  const middle = (Date.parse(stamped[0]!.split(' ')[0]!) + Date.parse(lateAt)) / 2;
  const back = () => `${((Date.now() - middle) / 1000).toFixed(3)}s`;
  assert.is(ok(A.run(['logs', '--since', back(), 'talker']), 'since a duration'), 'late\n');
  assert.is(ok(A.run(['logs', '--until', back(), 'talker']), 'until a duration'), 'early\n');
  assert.is(ok(A.run(['logs', '--since', lateAt, 'talker']), 'since the late line\'s own time (inclusive)'), 'late\n');
  assert.is(ok(A.run(['logs', '--until', lateAt, 'talker']), 'until it (exclusive)'), 'early\n');
  assert.is(ok(A.run(['logs', '--since', '0', 'talker']), 'since the epoch'), 'early\nlate\n');
  assert.is(ok(A.run(['logs', '-f', '--until', '1s', 'talker'], ), '-f --until in the past returns at once'), 'early\nlate\n');
  assertUsageError(A.run(['logs', '--since', 'yesterday', 'talker']), /^nsbox: invalid --since "yesterday": expected a time/m, 'a bad --since');
  ok(A.run(['rm', '-fv', 'talker']), 'rm -fv');
  // A created box has no container directory yet: its record alone says it needs the image and the volume.
  ok(A.run(['tag', 'busybox', 'needed:1']), 'tag');
  ok(A.run(['volume', 'create', 'needed']), 'volume create');
  ok(A.run(['create', '--name', 'later', '-v', 'needed:/data', 'needed:1', 'true']), 'create');
  assertUsageError(A.run(['rmi', 'needed:1']), /^nsbox: cannot remove image needed:1: in use by box later$/m, 'rmi');
  assertUsageError(A.run(['volume', 'rm', 'needed']), /^nsbox: cannot remove volume needed: in use by box later$/m, 'volume rm');
  assert.is(ok(A.run(['start', '-a', 'later']), 'the created box still starts'), '');
  ok(A.run(['rm', 'later']), 'rm');
  ok(A.run(['rmi', 'needed:1']), 'rmi once the box is gone');
  ok(A.run(['volume', 'rm', 'needed']), 'volume rm once the box is gone');
});

test('container prune: stopped and created boxes go (ids, reclaimed space), a running one stays; no answer, nothing goes; the other state dir untouched', () => {
  ok(A.run(['run', '--name', 'done', 'busybox', 'dd', 'if=/dev/zero', 'of=/big', 'bs=1000', 'count=50']), 'run to exit');
  ok(A.run(['create', '--name', 'made', 'busybox', 'true']), 'create');
  ok(A.run(['run', '-d', '--name', 'up', 'busybox', 'sleep', '100']), 'run -d');
  ok(B.run(['run', '--name', 'done', 'busybox', 'true']), 'a stopped box in b');
  const ids = Object.fromEntries(['done', 'made', 'up'].map((n) => [n, A.run(['inspect', '-f', '{{.Id}}', n]).stdout.trim()]));
  const bBoxes = B.boxes();
  // Declined (n, and no answer at all): nothing removed, exit 0, docker's question on stdout.
  for (const input of ['n\n', '']) {
    const no = A.run(['container', 'prune'], input);
    assert.is(no.code, 0, no.stderr);
    assert.match(no.stdout, /^WARNING! This will remove all stopped containers\.\nAre you sure you want to continue\? \[y\/N\] /);
    assert.not.match(no.stdout, /Deleted|Total/);
    assert.is(A.boxes().length, 3, 'nothing removed');
  }
  const yes = A.run(['container', 'prune'], 'y\n');
  assert.is(yes.code, 0, yes.stderr);
  const deleted = /Deleted Containers:\n([\s\S]*?)\n\nTotal reclaimed space: (\S+)\n$/.exec(yes.stdout);
  assert.ok(deleted, `docker's report: ${yes.stdout}`);
  assert.equal(deleted![1]!.split('\n').sort(), [ids.done, ids.made].sort());
  assert.match(deleted![2]!, /^5\d(\.\d+)?kB$/, `about the 50 kB the exited box wrote: ${deleted![2]}`);
  assert.equal(A.boxes(), [ids.up], 'only the running box is left');
  assert.equal(A.containers(), [ids.up], 'and only its container directory');
  assert.equal(B.boxes(), bBoxes, 'the other state dir is untouched');
  // -f: no question; nothing to remove is a total of 0B.
  assert.is(ok(A.run(['container', 'prune', '-f']), 'prune -f'), 'Total reclaimed space: 0B\n');
  assert.equal(A.boxes(), [ids.up]);
  assertUsageError(A.run(['container', 'prune', '-f', '--filter', 'until=1h']), /--filter is not supported yet/, 'prune --filter');
});

test('image prune: unreferenced layers (no -a); -a: images no box uses (a stopped box keeps its image); volume and network prune', () => {
  // A layer no image refers to (an import killed before its record): image prune removes it, and only it.
  const stray = join(A.store, 'layers', 'ab'.repeat(32));
  mkdirSync(join(stray, 'fs'), { recursive: true });
  writeFileSync(join(stray, 'fs', 'data'), 'x'.repeat(5000));
  const images = A.images();
  const pruned = ok(A.run(['image', 'prune', '-f']), 'image prune');
  assert.is(pruned, `Deleted Images:\ndeleted: sha256:${'ab'.repeat(32)}\n\nTotal reclaimed space: 5kB\n`);
  assert.not.ok(existsSync(stray), 'the stray layer is gone');
  assert.equal(A.images(), images, 'no image removed without -a');
  assert.ok(A.layers().length > 0, 'the images\' layers stay');
  ok(A.run(['tag', 'busybox', 'spare:1']), 'tag spare');
  ok(A.run(['tag', 'busybox', 'used:1']), 'tag used');
  ok(A.run(['create', '--name', 'holder', 'used:1', 'true']), 'a created box holds used:1');
  const all = ok(A.run(['image', 'prune', '-a'], 'y\n'), 'image prune -a');
  assert.match(all, /untagged: busybox:latest\nuntagged: spare:1\n/);
  assert.not.match(all, /used:1/);
  assert.equal(A.images().length, 1, `only used:1 is left: ${A.images()}`);
  assert.ok(A.layers().length > 0, 'its layer stays');
  ok(A.run(['rm', 'holder']), 'rm holder');
  ok(A.run(['tag', 'used:1', 'busybox']), 'busybox again');
  ok(A.run(['rmi', 'used:1']), 'rmi used:1');

  // Volumes: anonymous unused ones go; named ones with -a; one a box mounts stays.
  const anon = ok(A.run(['volume', 'create']), 'anonymous volume').trim();
  ok(A.run(['volume', 'create', 'named']), 'named volume');
  ok(A.run(['volume', 'create', 'kept']), 'kept volume');
  writeFileSync(join(A.store, 'volumes', anon, '_data', 'f'), 'y'.repeat(2000));
  ok(A.run(['create', '--name', 'mounter', '-v', 'kept:/data', 'busybox', 'true']), 'a box mounts kept');
  assert.is(ok(A.run(['volume', 'prune', '-f']), 'volume prune'), `Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 2kB\n`);
  assert.equal(A.volumes(), ['kept', 'named']);
  assert.is(ok(A.run(['volume', 'prune', '-a', '-f']), 'volume prune -a'), 'Deleted Volumes:\nnamed\n\nTotal reclaimed space: 0B\n');
  assert.equal(A.volumes(), ['kept']);
  ok(A.run(['rm', 'mounter']), 'rm mounter');
  ok(A.run(['volume', 'rm', '-f', 'kept']), 'volume rm -f NAME (docker\'s force flag)');
  assert.equal(A.volumes(), []);
});

test('network prune and system prune -af --volumes: everything unused in this state dir and store, nothing of the other', () => {
  const net = `dq${process.pid % 100000}`;
  ok(A.run(['network', 'create', net, '--subnet', '10.251.77.0/24']), 'network create');
  assert.ok(existsSync(`/sys/class/net/nsbr-${net}`) || A.networks().length > 0, 'the network exists');
  const declined = A.run(['network', 'prune'], 'n\n');
  assert.is(declined.code, 0, declined.stderr);
  assert.match(declined.stdout, /WARNING! This will remove all custom networks not used by at least one container\./);
  assert.ok(A.networks().length > 0, 'kept when declined');
  assert.is(ok(A.run(['network', 'prune', '-f']), 'network prune'), `Deleted Networks:\n${net}\n`);
  assert.equal(A.networks(), [], 'its records are gone');
  assert.not.ok(existsSync(`/sys/class/net/nsbr-${net}`), 'and its bridge');

  ok(A.run(['run', '--name', 'old', 'busybox', 'true']), 'a stopped box');
  ok(A.run(['volume', 'create']), 'an anonymous volume');
  ok(B.run(['run', '--name', 'old', 'busybox', 'true']), 'b: a stopped box');
  ok(B.run(['volume', 'create']), 'b: an anonymous volume');
  const b = { boxes: B.boxes(), images: B.images(), layers: B.layers(), volumes: B.volumes() };
  const out = ok(A.run(['system', 'prune', '-af', '--volumes']), 'system prune');
  assert.match(out, /^Deleted Containers:\n[0-9a-f]{64}\n\nDeleted Volumes:\n[0-9a-f]{64}\n\nDeleted Images:\nuntagged: busybox:latest\ndeleted: sha256:[0-9a-f]{64}\n\nTotal reclaimed space: \S+\n$/);
  assert.equal([A.boxes(), A.containers(), A.images(), A.layers(), A.volumes()], [[], [], [], [], []], 'a is empty');
  assert.equal({ boxes: B.boxes(), images: B.images(), layers: B.layers(), volumes: B.volumes() }, b, 'b is untouched');
  ok(A.run(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox again');
});

test('on a terminal: prune asks, and y goes on', async () => {
  ok(A.run(['create', '--name', 'tty-made', 'busybox', 'true']), 'create');
  const s = spawnOnPty([NSBOX, 'container', 'prune'], { env: A.env });
  await s.waitFor('Are you sure you want to continue? [y/N] ');
  s.type('y\r');
  await s.waitFor(/Total reclaimed space: \S+/);
  assert.is((await s.exited).code, 0, s.output());
  assert.match(s.output(), /y\r\nDeleted Containers:\r\n[0-9a-f]{64}\r\n/);
  assert.equal(A.boxes(), []);
});

test.run();
