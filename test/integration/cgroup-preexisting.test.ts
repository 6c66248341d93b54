// Integration (root, real cgroups, v1 and v2): cgroups nsbox finds instead of making. A cgroup at the box's own path
// that nsbox did not create for it (here: made, filled and frozen by the test while the box was stopped) is refused by
// `start` with one line and 125, never joined, emptied or removed, by `start` nor by `rm -f`; a frozen parent
// (v2: cgroup.freeze in the parent) makes `run` and `run -d` fail at once instead of waiting at the gate forever. v1
// boxes never join the freezer hierarchy: a frozen freezer cgroup at the parent's path neither stops nor is touched.
// On v2 run it with: /work/shared/vm/run-cgroup2 --share "$PWD" -- node test/run.js integration cgroup-preexisting

import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectCgroupHost, findHierarchy, findProcCgroupPath } from '../../src/cgroup/detect.js';
import { dirOf } from '../../src/cgroup/layout.js';
import { exitOf, nsbox, type Result } from '../helpers/nsbox.js';
import { gatedTest } from '../helpers/suite.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';

const host = detectCgroupHost();
const v2 = host.mode === 'v2';
const freezer = v2 ? undefined : findHierarchy(host, 'freezer');
const skip = process.getuid?.() !== 0 ? 'needs root'
  : host.mode === 'none' ? 'no cgroup filesystem'
  : !v2 && freezer?.version !== 1 ? 'cgroup v1 without a freezer hierarchy'
  : undefined;
const test = gatedTest(skip);
const PARENT = `cgpre-${process.pid}`;
const base = mkdtempSync(join(tmpdir(), 'nsbox-cgpre-'));
const state = join(base, 'state');
const ENV = { ...process.env, NSBOX_STATE: state, NSBOX_CGROUP_PARENT: `./${PARENT}` };
const OWN = { stateDirs: [state], cgroupParents: [`./${PARENT}`] };
const run = (args: string[]): Result => nsbox(args, { env: ENV, timeoutMs: 30_000 });

/** The test's parent cgroup (./PARENT) on the hierarchy of `controller` ('' on v2: the unified one). */
function parentDir(hierarchy = v2 ? host.hierarchies.find((h) => h.version === 2)! : findHierarchy(host, 'pids')!): string {
  return dirOf({ mount: hierarchy.mount, path: `${(findProcCgroupPath(host.self, hierarchy) ?? '/').replace(/\/$/, '')}/${PARENT}` });
}
const freezerParent = (): string => parentDir(freezer!);
const read = (file: string): string => readFileSync(file, 'utf8').trim();

/** Everything about a cgroup the test made that nsbox must not change: inode, processes, limit, freeze state. */
function fingerprint(dir: string): string {
  const files = ['cgroup.procs', 'pids.max', 'cgroup.freeze', 'freezer.state'].filter((f) => existsSync(join(dir, f)));
  return [`ino ${statSync(dir).ino}`, ...files.map((f) => `${f}: ${read(join(dir, f)).replace(/\n/g, ' ')}`)].join('\n');
}

function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Freeze a cgroup the test made (v2 cgroup.freeze, v1 freezer.state) and wait until the kernel says it is frozen. */
async function freeze(dir: string): Promise<void> {
  if (v2) {
    writeFileSync(join(dir, 'cgroup.freeze'), '1');
    await waitFor(`${dir} to freeze`, () => /^frozen 1$/m.test(read(join(dir, 'cgroup.events'))));
  } else {
    writeFileSync(join(dir, 'freezer.state'), 'FROZEN');
    await waitFor(`${dir} to freeze`, () => read(join(dir, 'freezer.state')) === 'FROZEN');
  }
}

function thaw(dir: string): void {
  if (!existsSync(join(dir, v2 ? 'cgroup.freeze' : 'freezer.state'))) return; // gone, or on another hierarchy
  writeFileSync(join(dir, v2 ? 'cgroup.freeze' : 'freezer.state'), v2 ? '0' : 'THAWED');
}

/** A stderr of one nsbox error line (and maybe its hint), no stack trace. */
function assertOneLineError(r: Result, pattern: RegExp): void {
  assert.is(r.code, 125, `exit 125, got ${r.code}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('nsbox: hint: '));
  assert.is(lines.length, 1, `one error line: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.not.match(r.stderr, /^\s+at /m, 'no stack trace');
}

test.after(() => {
  for (const box of JSON.parse(run(['ps', '-a', '--json']).stdout || '[]') as { id: string }[]) run(['rm', '-f', box.id]);
  const parents = [parentDir(), ...(freezer ? [freezerParent()] : [])];
  for (const dir of parents) {
    thaw(dir);
    for (const child of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()) : []) {
      thaw(join(dir, child.name));
      try {
        rmdirSync(join(dir, child.name));
      } catch {
        // still holds a process: reported by the test that made it
      }
    }
    if (existsSync(dir)) rmdirSync(dir);
  }
  rmSync(base, { recursive: true, force: true });
});

test('start of a stopped box whose cgroup path now holds a frozen cgroup nsbox did not make: 125, nothing of it touched', async () => {
  const before = snapshot(OWN);
  const started = run(['run', '-d', '--name', 'pre', '--', 'sleep', '1000']);
  assert.is(started.code, 0, started.stderr);
  const id = started.stdout.trim();
  const record = JSON.parse(readFileSync(join(state, 'boxes', id, 'state.json'), 'utf8')) as { cgroup?: { dirs: string[] } };
  const dirs = record.cgroup?.dirs ?? [];
  assert.ok(dirs.length > 0, 'the box has cgroups');
  assert.ok(dirs.every((d) => basename(d) === `nsbox-${id.slice(0, 12)}`), `the box's cgroups are named by its id: ${dirs.join(' ')}`);
  assert.is(run(['stop', '-t', '0', 'pre']).code, 0);
  // The box's own (empty) cgroups go, as after a reboot or a cleanup; then someone else makes one at the same path.
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    assert.is(read(join(dir, 'cgroup.procs')), '', `${dir} is empty after stop`);
    rmdirSync(dir);
  }
  const victim: ChildProcess = spawn('sleep', ['1000'], { stdio: 'ignore' });
  const foreign = [...dirs];
  try {
    for (const dir of dirs) {
      mkdirSync(dir);
      writeFileSync(join(dir, 'cgroup.procs'), String(victim.pid));
      if (existsSync(join(dir, 'pids.max'))) writeFileSync(join(dir, 'pids.max'), '7');
    }
    const frozenDir = v2 ? dirs[0]! : join(freezerParent(), `nsbox-${id.slice(0, 12)}`);
    if (!v2) {
      mkdirSync(frozenDir, { recursive: true });
      foreign.push(frozenDir);
      writeFileSync(join(frozenDir, 'cgroup.procs'), String(victim.pid));
    }
    await freeze(frozenDir);
    const prints = foreign.map(fingerprint);
    assert.ok(prints.every((p) => p.includes(`cgroup.procs: ${victim.pid}`)), `the victim is in every foreign cgroup:\n${prints.join('\n')}`);

    const t0 = Date.now();
    const r = run(['start', 'pre']);
    assertOneLineError(r, new RegExp(`^nsbox: cannot create the box's cgroup .*nsbox-${id.slice(0, 12)}: it exists already and nsbox did not create it for this box`));
    assert.ok(Date.now() - t0 < 10_000, `refused at once, not after a timeout (${Date.now() - t0} ms)`);
    assert.equal(foreign.map(fingerprint), prints, 'start changed nothing of the foreign cgroups');
    assert.ok(isRunning(victim.pid!), 'the victim still runs');
    const [shown] = JSON.parse(run(['ps', '-a', '--json']).stdout) as { status: string }[];
    assert.is(shown?.status, 'exited', 'the box is still stopped');

    const removed = run(['rm', '-f', 'pre']);
    assert.is(removed.code, 0, removed.stderr);
    assert.match(removed.stderr, /left cgroup .* alone: it is not the one nsbox created for this box/, 'rm -f says it left the cgroup alone');
    assert.equal(foreign.map(fingerprint), prints, 'rm -f changed nothing of the foreign cgroups');
    assert.not.ok(existsSync(join(state, 'boxes', id)), 'rm -f removed the box');
    // Thawed, a signal nsbox had sent (pending while frozen) would end it now.
    thaw(frozenDir);
    await sleep(200);
    assert.ok(isRunning(victim.pid!), 'the victim still runs once thawed: it was never signalled');
  } finally {
    victim.kill('SIGKILL'); // pending while frozen: delivered on the thaw
    for (const dir of foreign) thaw(dir);
    await exitOf(victim);
    // A failure above is the reason to print: what this clean-up cannot do is left to after() (and the leak check).
    for (const dir of foreign.reverse()) {
      try {
        await waitFor(`${dir} to empty`, () => !existsSync(dir) || read(join(dir, 'cgroup.procs')) === '', 3000);
        if (existsSync(dir)) rmdirSync(dir);
      } catch (error) {
        console.log(`clean-up: ${(error as Error).message}`);
      }
    }
  }
  await assertNoLeaks(before, 'start with a foreign cgroup');
});

test('a frozen parent: run and run -d fail at once with one line (v2); v1 boxes run and leave the freezer cgroup alone', async () => {
  const before = snapshot(OWN);
  const dir = v2 ? parentDir() : freezerParent();
  mkdirSync(dir, { recursive: true });
  try {
    await freeze(dir);
    const print = fingerprint(dir);
    // A limit gives the foreground box a cgroup (without one, and without -d, a host box has none to freeze).
    const foreground = run(['run', '--pids-limit', '50', '--', 'echo', 'ran']);
    const detached = run(['run', '-d', '--', 'sleep', '1000']);
    if (v2) {
      assert.ok(v2, 'cgroup v2: the box would join the frozen parent');
      for (const r of [foreground, detached]) assertOneLineError(r, /^nsbox: cannot place the box under .*: cgroup .* is frozen \(cgroup\.freeze is 1\), the box would never start$/m);
      assert.equal(JSON.parse(run(['ps', '-a', '--json']).stdout || '[]'), [], 'no box was recorded');
    } else {
      assert.ok(!v2 && freezer?.version === 1, 'cgroup v1: boxes never join the freezer hierarchy');
      assert.is(foreground.code, 0, foreground.stderr);
      assert.is(foreground.stdout, 'ran\n');
      assert.is(detached.code, 0, detached.stderr);
      assert.is(run(['rm', '-f', detached.stdout.trim()]).code, 0);
    }
    assert.is(fingerprint(dir), print, 'the frozen parent is as it was');
    assert.equal(readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name), [], 'nothing was made in the frozen parent');
  } finally {
    thaw(dir);
  }
  await assertNoLeaks(before, 'run under a frozen parent');
});

test.run();
