// Docker's spellings of nsbox commands (container X, image list/load/pull, import), the prune report's words and
// sizes, and the no-registry errors: pure functions, no processes.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rewriteDockerWords } from '../../src/commands/docker-words.js';
import { formatPruned, humanSize } from '../../src/commands/prune-actions.js';
import { pruneWarning } from '../../src/commands/prune.js';
import { missingFeatureError } from '../../src/commands/no-registry.js';
import { COMMANDS } from '../../src/cli.js';
import { rewriteHostNamespaceFlags as rewriteNs } from '../../src/spec/host-namespace-flag.js';
import { RUN_OPTIONS } from '../../src/spec/run-flags.js';
import { parseLogTime } from '../../src/lifecycle/log-time.js';

const rewriteHostNamespaceFlags = (argv: readonly string[]) => rewriteNs(argv, RUN_OPTIONS);

const known = (n: string) => Object.hasOwn(COMMANDS, n);

test('docker container X is the top-level X; ls, list and ps are ps; prune and unknown words stay', () => {
  assert.equal(rewriteDockerWords(['container', 'ls', '-a'], known), ['ps', '-a']);
  assert.equal(rewriteDockerWords(['container', 'list'], known), ['ps']);
  assert.equal(rewriteDockerWords(['container', 'ps', '-q'], known), ['ps', '-q']);
  assert.equal(rewriteDockerWords(['container', 'run', '--rm', 'busybox', 'container', 'ls'], known), ['run', '--rm', 'busybox', 'container', 'ls']);
  assert.equal(rewriteDockerWords(['container', 'logs', '-f', 'web'], known), ['logs', '-f', 'web']);
  assert.equal(rewriteDockerWords(['container', 'prune', '-f'], known), ['container', 'prune', '-f']);
  assert.equal(rewriteDockerWords(['container', 'bogus'], known), ['container', 'bogus']);
  // a container command nsbox lacks is not turned into a top-level word
  assert.equal(rewriteDockerWords(['container', 'cp', 'a', 'b'], () => false), ['container', 'cp', 'a', 'b']);
  for (const word of ['attach', 'create', 'exec', 'inspect', 'kill', 'rm', 'start', 'stop', 'wait', 'stats', 'top']) {
    assert.equal(rewriteDockerWords(['container', word, 'x'], known), [word, 'x'], word);
  }
});

test('docker image list/load/pull/push/build and docker import; a word after the command is never rewritten', () => {
  assert.equal(rewriteDockerWords(['image', 'list'], known), ['image', 'ls']);
  assert.equal(rewriteDockerWords(['image', 'load', '-i', 'f.tar'], known), ['load', '-i', 'f.tar']);
  assert.equal(rewriteDockerWords(['image', 'pull', 'busybox'], known), ['pull', 'busybox']);
  assert.equal(rewriteDockerWords(['image', 'prune', '-a'], known), ['image', 'prune', '-a']);
  assert.equal(rewriteDockerWords(['import', 'root.tar', 'app:1'], known), ['image', 'import', 'root.tar', 'app:1']);
  assert.equal(rewriteDockerWords(['run', 'container', 'ls'], known), ['run', 'container', 'ls']);
  assert.equal(rewriteDockerWords([], known), []);
});

test("sizes in docker's spelling (go-units HumanSize); the report lists only sections with removals", () => {
  assert.equal([0, 212, 1000, 1234, 69210, 2_129_000, 12_345_678, 1e9].map(humanSize), ['0B', '212B', '1kB', '1.234kB', '69.21kB', '2.129MB', '12.35MB', '1GB']);
  const containers = { lines: ['a'.repeat(64)], reclaimed: 1234, failed: 0 };
  const images = { lines: [], reclaimed: 0, failed: 0 };
  assert.is(formatPruned([['Deleted Containers', containers], ['Deleted Images', images]]), `Deleted Containers:\n${'a'.repeat(64)}\n\nTotal reclaimed space: 1.234kB\n`);
  assert.is(formatPruned([['Deleted Images', images]]), 'Total reclaimed space: 0B\n');
  assert.is(formatPruned([['Deleted Networks', { lines: ['web'], reclaimed: 0, failed: 0 }]], false), 'Deleted Networks:\nweb\n');
});

test("prune warnings are docker's; system prune lists what it will remove", () => {
  assert.is(pruneWarning('container', { all: false, volumes: false }), 'WARNING! This will remove all stopped containers.');
  assert.is(pruneWarning('image', { all: true, volumes: false }), 'WARNING! This will remove all images without at least one container associated to them.');
  assert.is(pruneWarning('volume', { all: false, volumes: false }), 'WARNING! This will remove anonymous local volumes not used by at least one container.');
  assert.is(pruneWarning('volume', { all: true, volumes: false }), 'WARNING! This will remove all local volumes not used by at least one container.');
  const system = pruneWarning('system', { all: true, volumes: true });
  assert.match(system, /^WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all anonymous volumes not used by at least one container\n  - all images without at least one container associated to them\n$/);
  assert.not.match(pruneWarning('system', { all: false, volumes: false }), /volumes/);
});

test('pull, push and build say what nsbox lacks and what to run instead', () => {
  const pull = missingFeatureError('pull', 'alpine:3.19');
  assert.is(pull.message, 'cannot pull alpine:3.19: nsbox has no registry client');
  assert.match(pull.hint ?? '', /skopeo copy docker:\/\/alpine:3\.19 docker-archive:alpine\.tar:alpine:3\.19 && nsbox load -i alpine\.tar/);
  assert.match(missingFeatureError('pull', 'busybox').hint ?? '', /docker-archive:busybox\.tar:busybox:latest/);
  assert.match(missingFeatureError('pull', undefined).message, /cannot pull IMAGE/);
  assert.match(missingFeatureError('push', 'app:1').hint ?? '', /nsbox save app:1 -o app\.tar/);
  assert.is(missingFeatureError('build', undefined).message, 'cannot build: nsbox has no image builder');
  assert.is(pull.exitCode, 125);
});

test("docker's --pid/--ipc/--uts/--userns host and --cgroupns in nsbox's spelling; words after the flags untouched", () => {
  assert.equal(rewriteHostNamespaceFlags(['--pid', 'host', 'busybox', 'ps']), ['--pid=false', 'busybox', 'ps']);
  assert.equal(rewriteHostNamespaceFlags(['--ipc=host', '--uts', 'private', '-e', 'A=1', 'img']), ['--ipc=false', '--uts', '-e', 'A=1', 'img']);
  assert.equal(rewriteHostNamespaceFlags(['-e', 'A=1', '--name', 'x', '--pid', 'host', 'img']), ['-e', 'A=1', '--name', 'x', '--pid=false', 'img']);
  assert.equal(rewriteHostNamespaceFlags(['--userns=host', '--cgroupns', 'private', 'img']), ['--userns=false', '--cgroup', 'img']);
  // a bare namespace flag stays unshare's boolean; the command's own words are never touched
  assert.equal(rewriteHostNamespaceFlags(['--pid', '--', 'sh', '--pid', 'host']), ['--pid', '--', 'sh', '--pid', 'host']);
  assert.equal(rewriteHostNamespaceFlags(['--pid', 'busybox', 'host']), ['--pid', 'busybox', 'host']);
  assert.equal(rewriteHostNamespaceFlags(['img', '--pid', 'host']), ['img', '--pid', 'host']);
});

test('logs --since/--until: RFC 3339 times and dates, Unix seconds, Go durations back from now; anything else refused', () => {
  const now = Date.parse('2026-12-02T10:00:00Z');
  assert.is(parseLogTime('--since', '2026-12-02T09:00:00Z', now), Date.parse('2026-12-02T09:00:00Z'));
  assert.is(parseLogTime('--since', '2026-12-02T09:00:00.123456789Z', now), Date.parse('2026-12-02T09:00:00.123Z'));
  assert.is(parseLogTime('--since', '2026-12-01', now), Date.parse('2026-12-01'));
  assert.is(parseLogTime('--since', '1764669600', now), 1764669600_000);
  assert.is(parseLogTime('--since', '1764669600.5', now), 1764669600_500);
  assert.is(parseLogTime('--since', '10m', now), now - 600_000);
  assert.is(parseLogTime('--until', '1h30m', now), now - 5_400_000);
  assert.is(parseLogTime('--until', '1.5s', now), now - 1500);
  assert.is(parseLogTime('--since', '1500\u00b5s', now), now - 1.5, 'Go\'s micro sign (kept out of the ASCII-only bundle as an escape)');
  for (const bad of ['yesterday', '10x', '', '-5m', '12:00']) {
    assert.throws(() => parseLogTime('--since', bad, now), (e: Error) => e.message.startsWith(`invalid --since ${JSON.stringify(bad)}`), bad);
  }
});

test.run();
