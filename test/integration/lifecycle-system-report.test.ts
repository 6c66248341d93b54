// Integration (root): `nsbox info` / `system info` and `system df [-v]`, as Docker's, checked against real boxes
// (running, paused, stopped), a real image, real volumes and the host's own facts (uname, cgroupfs). A box's upper
// layer is measured without following its links (a link to a big host file counts as a link).

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks, removeFileBoxes } from '../helpers/leaks.js';
import { eventually, gatedTest } from '../helpers/suite.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-sysrep-'));
const store = join(base, 'store');
const state = join(base, 'state');
const PARENT = `lsr-${process.pid}`;
const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none', NSBOX_CGROUP_PARENT: `./${PARENT}` };
const OWN = { stateDirs: [state], cgroupParents: [`./${PARENT}`] };
const run = (args: string[]): Result => nsbox(args, { env, timeoutMs: 60_000 });
const ok = (r: Result, what: string): string => {
  assert.is(r.code, 0, `${what}: ${r.stderr}`);
  return r.stdout;
};
interface Row { Type: string; TotalCount: number; Active: number; Size: number; Reclaimable: number }
const df = (): Record<string, Row> => Object.fromEntries((JSON.parse(ok(run(['system', 'df', '--json']), 'df')) as Row[]).map((r) => [r.Type, r]));

test.before(() => {
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import');
});

test.after(() => removeFileBoxes(run, PARENT, base));

test('info: boxes running, paused and stopped, images, cgroup version, dirs, kernel and tools; --format, --json, system info', async () => {
  const before = snapshot(OWN);
  ok(run(['run', '-d', '--name', 'up', 'busybox', 'sleep', '1000']), 'run up');
  ok(run(['run', '-d', '--name', 'frozen', 'busybox', 'sleep', '1000']), 'run frozen');
  ok(run(['pause', 'frozen']), 'pause');
  ok(run(['create', '--name', 'made', 'busybox', 'true']), 'create');
  ok(run(['run', '--name', 'ended', 'busybox', 'true']), 'run ended');
  const info = JSON.parse(ok(run(['info', '--json']), 'info --json')) as Record<string, unknown>;
  assert.equal([info.Containers, info.ContainersRunning, info.ContainersPaused, info.ContainersStopped, info.Images], [4, 1, 1, 2, 1]);
  assert.is(info.CgroupVersion, existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1');
  assert.ok(['cgroupfs', 'cgroup-tools'].includes(String(info.CgroupDriver)), String(info.CgroupDriver));
  assert.equal([info.DockerRootDir, info.StateDir, info.KernelVersion, info.Driver], [store, state, release(), 'overlay']);
  assert.match(String((info.Tools as Record<string, string>).unshare), /util-linux/);
  assert.is(ok(run(['info', '--format', '{{.ContainersRunning}}/{{.ContainersPaused}}/{{.ContainersStopped}} v{{.CgroupVersion}}']), 'format'), `1/1/2 v${info.CgroupVersion}\n`);
  assert.equal(JSON.parse(ok(run(['system', 'info', '--format', 'json']), 'system info')).Containers, 4, 'system info is info');
  const text = ok(run(['info']), 'info');
  for (const line of [' Containers: 4', '  Running: 1', '  Paused: 1', '  Stopped: 2', ' Images: 1', ` Cgroup Version: ${info.CgroupVersion}`, ` Docker Root Dir: ${store}`, ` Kernel Version: ${release()}`]) {
    assert.ok(text.split('\n').includes(line), `${line} in:\n${text}`);
  }
  for (const bad of [['info', 'extra'], ['info', '--json', '--format', '{{.Name}}'], ['system', 'info', 'extra']]) {
    const r = run(bad);
    assert.is(r.code, 125, `${bad.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  ok(run(['rm', '-f', 'up', 'frozen', 'made', 'ended']), 'rm');
  await assertNoLeaks(before, 'info');
});

test('system df: counts, sizes and what is reclaimable, for images, boxes (their upper layer, links not followed) and volumes; -v and --format', async () => {
  const before = snapshot(OWN);
  const empty = df();
  assert.equal([empty.Images!.TotalCount, empty.Images!.Active, empty.Images!.Reclaimable > 0], [1, 0, true], 'an image no box uses is reclaimable');
  assert.is(empty.Images!.Reclaimable, empty.Images!.Size);
  assert.equal([empty.Containers!.TotalCount, empty.Containers!.Size], [0, 0]);
  ok(run(['volume', 'create', 'used']), 'volume');
  ok(run(['volume', 'create', 'idle']), 'volume');
  execFileSync('dd', ['if=/dev/zero', `of=${join(store, 'volumes', 'idle', '_data', 'f')}`, 'bs=1000', 'count=7'], { stdio: 'ignore' });
  // 100 kB written in the box, and links that would name big host files if the host followed them: they count as links.
  const hostBig = join(base, 'host-big');
  execFileSync('dd', ['if=/dev/zero', `of=${hostBig}`, 'bs=1M', 'count=2'], { stdio: 'ignore' });
  ok(run(['run', '-d', '--name', 'writer', '-v', 'used:/data', 'busybox', 'sh', '-c', `dd if=/dev/zero of=/big bs=1000 count=100 2>/dev/null; echo 12345 > /data/x; ln -s /proc/kcore /k; ln -s ${hostBig} /h; touch /ready; sleep 1000`]), 'run');
  await eventually(() => run(['exec', 'writer', 'test', '-e', '/ready']).code === 0, 'the box wrote its files');
  const busy = df();
  assert.equal([busy.Images!.Active, busy.Images!.Reclaimable], [1, 0], 'the image is in use');
  assert.equal([busy.Containers!.TotalCount, busy.Containers!.Active, busy.Containers!.Reclaimable], [1, 1, 0]);
  assert.ok(busy.Containers!.Size >= 100_000 && busy.Containers!.Size < 200_000, `upper layer: ${busy.Containers!.Size}`);
  assert.equal([busy['Local Volumes']!.TotalCount, busy['Local Volumes']!.Active, busy['Local Volumes']!.Size, busy['Local Volumes']!.Reclaimable], [2, 1, 7006, 7000]);
  ok(run(['stop', '-t', '0', 'writer']), 'stop');
  const stopped = df();
  assert.equal([stopped.Containers!.Active, stopped.Containers!.Reclaimable], [0, stopped.Containers!.Size], 'a stopped box is reclaimable');
  assert.is(stopped.Images!.Active, 1, 'a stopped box still uses its image');
  const table = ok(run(['system', 'df']), 'df');
  assert.match(table, /^TYPE {12}TOTAL {5}ACTIVE {4}SIZE {6}RECLAIMABLE\nImages {10}1 {9}1 /);
  assert.match(table, /\nLocal Volumes {3}2 {9}1 {9}7\.0kB {5}7\.0kB \(100%\)\n/);
  assert.is(ok(run(['system', 'df', '--format', '{{.Type}}={{.TotalCount}}']), 'format'), 'Images=1\nContainers=1\nLocal Volumes=2\nBuild Cache=0\n');
  const verbose = ok(run(['system', 'df', '-v']), 'df -v');
  assert.match(verbose, /Containers space usage:\n\nCONTAINER ID +IMAGE +COMMAND +SIZE .*\n[0-9a-f]{12} +busybox:latest .* exited +writer\n/);
  assert.match(verbose, /\nidle +0 +7\.0kB\nused +1 +6B\n/);
  assert.is(run(['system', 'df', '-v', '--format', '{{.Type}}']).code, 125);
  assert.is(run(['system', 'df', 'extra']).code, 125);
  ok(run(['rm', 'writer']), 'rm');
  ok(run(['volume', 'rm', 'used', 'idle']), 'volume rm');
  assert.equal(df().Containers, empty.Containers);
  await assertNoLeaks(before, 'system df');
});

test.run();
