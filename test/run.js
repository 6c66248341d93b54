#!/usr/bin/env node
// Test driver: runs each compiled uvu test file in its own node process (unit first, then integration),
// then prints the one summary line CI reads: "N passed, N failed, N skipped".
//   node test/run.js [unit|integration|v2] [filter]
// A skip is never a pass: skipped tests (uvu's Skipped count) and skipped parts of tests (lines starting with
// "SKIP (part):", see test/helpers/suite.ts) are counted and printed with their reason. With
// NSBOX_TEST_NO_SKIP=1 (CI: root, every tool installed) any skip fails the run.
import { readdirSync, existsSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const [suiteArg, filter] = process.argv.slice(2);
const suites = suiteArg && suiteArg !== 'all' ? [suiteArg] : ['unit', 'integration'];
let passed = 0, failed = 0, skipped = 0;
// Boxes made by tests get their cgroups below this runner's own cgroup (never at the hierarchy root, which the
// environment owns); the parent is removed at the end. A test file may still pick its own.
const cgroupParent = `t-${process.pid}`;
process.env.NSBOX_CGROUP_PARENT ??= `./${cgroupParent}`;
// Image boxes default to the host-wide nsbox0 bridge; tests that want a network ask for their own.
process.env.NSBOX_IMAGE_NETWORK ??= 'none';
// nsbox's state and store default to the host's own (/run/nsbox, /var/lib/nsbox), where another nsbox may be in use:
// a file that does not pick its own gets this run's (even a host-root run keeps its tool cache in the state dir).
const runDir = mkdtempSync(join(tmpdir(), 'nsbox-test-run-'));
process.env.NSBOX_STATE ??= join(runDir, 'state');
process.env.NSBOX_ROOT ??= join(runDir, 'root');
const failures = [];
const noSkip = process.env.NSBOX_TEST_NO_SKIP === '1';

for (const suite of suites) {
  const dir = join('dist', 'test', suite);
  if (!existsSync(dir)) continue;
  const files = readdirSync(dir).filter((f) => f.endsWith('.test.js') && (!filter || f.includes(filter))).sort();
  for (const file of files) {
    const started = Date.now();
    const cgroupsBefore = ownCgroupChildren();
    const hostStateBefore = hostDefaultState();
    const result = spawnSync(process.execPath, [join(dir, file)], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 900_000 });
    const out = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    // uvu's summary is the last block of its stdout: a "Total:" a test printed earlier must not be read as it.
    const summary = [...(result.stdout ?? '').matchAll(/^\s*Total:\s+(\d+)\n\s*Passed:\s+(\d+)\n\s*Skipped:\s+(\d+)$/gm)].pop();
    const total = Number(summary?.[1] ?? 0);
    const pass = Number(summary?.[2] ?? 0);
    const skipLines = out.split('\n').filter((l) => /^\s*SKIP( \(part\))?:/.test(l));
    // uvu's Total counts the tests that ran (test.skip is outside it); a skipped part is one more skip.
    const skip = Number(summary?.[3] ?? 0) + skipLines.filter((l) => /^\s*SKIP \(part\):/.test(l)).length;
    let fail = total - pass;
    if (result.status !== 0 && fail === 0) fail = 1; // crashed before uvu could count, or a hook failed
    if (noSkip && skip) fail += skip; // CI: a skip is a failure (the helpers already fail them; raw test.skip too)
    if (!summary && fail === 0) fail = 1; // no uvu summary: the file never ran its tests
    const ranNothing = summary && total === 0 && skip === 0; // a file that registered no test proves nothing
    if (ranNothing && fail === 0) fail = 1;
    // A file must leave the runner's cgroups as it found them: a cgroup parent of its own (./name-PID) it never
    // removed is invisible to its own leak audit (which counts only what lies below its parents). Only names a test
    // file makes count (NAME-PID with the file's own PID, or nsbox's default parent "nsbox"): other work on a shared
    // host makes cgroups there too (the environment's, other runs').
    const mine = (dir) => { const name = dir.slice(dir.lastIndexOf('/') + 1); return name === 'nsbox' || name.endsWith(`-${result.pid}`); };
    // Boxes made with the shared parent (./t-PID, the default) must be gone too: a box cgroup a file left below it,
    // in any hierarchy, is its leak (files run one at a time, so whatever is below it now is this file's).
    const leftCgroups = ownCgroupChildren().filter((dir) => !cgroupsBefore.includes(dir) && mine(dir)).concat(sharedParentChildren());
    if (leftCgroups.length) fail += 1;
    // Hermetic: a test never writes the host's own nsbox state (another nsbox may be in use there).
    const touchedHostState = changedHostState(hostStateBefore, hostDefaultState());
    if (touchedHostState.length) fail += 1;
    passed += pass; failed += fail; skipped += skip;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`${fail ? 'FAIL' : 'ok  '} ${suite}/${file}: ${pass} passed, ${fail} failed, ${skip} skipped (${secs}s)`);
    if (fail) { failures.push(file); console.log(out.split('\n').map((l) => `    ${l}`).join('\n')); }
    if (ranNothing) console.log('    the file ran no test (uvu counted 0): counted as a failure');
    if (leftCgroups.length) console.log(`    the file left cgroups behind (counted as a failure): ${leftCgroups.join(' ')}`);
    if (touchedHostState.length) console.log(`    the file wrote nsbox's default state on the host (counted as a failure; give nsbox NSBOX_STATE/NSBOX_ROOT, nsbox-runtime --root): ${touchedHostState.join(' ')}`);
    if (!leftCgroups.length && !touchedHostState.length && skipLines.length) console.log(skipLines.map((l) => `    ${l.trim()}`).join('\n'));
    if (result.error) console.log(`    (${result.error.message}${result.error.code === 'ETIMEDOUT' ? ': the file ran longer than 900 s and was killed; the last "[test]" line above is the one that hung' : ''})`);
  }
}
removeCgroupParent(cgroupParent);
removeRunDir();
if (failures.length) console.log(`failed files: ${failures.join(', ')}`);
if (noSkip && skipped) console.log(`${skipped} skipped with NSBOX_TEST_NO_SKIP=1: every test must run here (counted as failed)`);
else if (skipped) console.log(`note: ${skipped} skipped (listed above): what they check was not checked`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);

/** The run's default state and store: a box left in it is a leak (each file must remove its own). */
function removeRunDir() {
  let left = [];
  try {
    left = readdirSync(join(runDir, 'state', 'boxes'));
  } catch {
    // no box was ever recorded there
  }
  if (left.length) {
    console.log(`FAIL boxes left in the run's default state ${runDir}/state (kept for a look): ${left.join(' ')}`);
    failed += 1;
    return;
  }
  // Never a recursive remove through a mount a file left there (a bind of a host directory would lose its files).
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m && (m === runDir || m.startsWith(`${runDir}/`)));
  if (mounted.length) {
    console.log(`FAIL mounts left in the run's default store/state (kept): ${mounted.join(' ')}`);
    failed += 1;
    return;
  }
  rmSync(runDir, { recursive: true, force: true });
}

/**
 * What lies in nsbox's default state and store dirs (paths to two levels), to tell whether a test file made
 * something there. Only new paths count: entries that vanish, or files rewritten, may be another nsbox's on this
 * host (a box ending, its tool cache updated); on a clean host the cache's very creation is caught.
 */
function hostDefaultState() {
  const seen = new Set();
  const look = (path, depth) => {
    let st;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    seen.add(path);
    if (depth === 0 || !st.isDirectory()) return;
    let names = [];
    try {
      names = readdirSync(path);
    } catch {
      return;
    }
    for (const name of names) look(`${path}/${name}`, depth - 1);
  };
  for (const dir of ['/run/nsbox', '/var/lib/nsbox', '/run/nsbox-runtime']) look(dir, 2);
  return seen;
}

/** The paths made between two hostDefaultState() looks. */
function changedHostState(before, after) {
  return [...after].filter((path) => !before.has(path));
}

/** The runner's own cgroup directory in every hierarchy (where tests make their cgroup parents). */
function ownCgroupDirs() {
  let lines = [];
  try {
    lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
  return lines.map((line) => {
    const [, controllers, path] = line.split(':');
    const mount = controllers === '' ? (existsSync('/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup') : `/sys/fs/cgroup/${controllers.replace(/^name=/, '')}`;
    return `${mount}${path === '/' ? '' : path}`;
  });
}

/** Every cgroup directly below the runner's own ones, except this run's shared parent (removed at the end). */
function ownCgroupChildren() {
  const out = [];
  for (const dir of new Set(ownCgroupDirs())) {
    let entries = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) if (e.isDirectory() && e.name !== cgroupParent) out.push(`${dir}/${e.name}`);
  }
  return out.sort();
}

/** Every cgroup below this run's shared parent (./t-PID), in every hierarchy: each file must leave it empty. */
function sharedParentChildren() {
  const out = [];
  for (const dir of new Set(ownCgroupDirs())) {
    const parent = `${dir}/${cgroupParent}`;
    let entries = [];
    try {
      entries = readdirSync(parent, { withFileTypes: true });
    } catch {
      continue; // not made (yet), or not in this hierarchy
    }
    for (const e of entries) if (e.isDirectory()) out.push(`${parent}/${e.name}`);
  }
  return out.sort();
}

/** Remove the (by now empty) parent cgroups this run's boxes used, in every hierarchy, below our own cgroup. */
function removeCgroupParent(name) {
  let lines = [];
  try {
    lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean);
  } catch {
    return;
  }
  for (const line of lines) {
    const [, controllers, path] = line.split(':');
    const mount = controllers === '' ? (existsSync('/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup') : `/sys/fs/cgroup/${controllers.replace(/^name=/, '')}`;
    const dir = `${mount}${path === '/' ? '' : path}/${name}`;
    try {
      if (existsSync(dir)) rmdirSync(dir);
    } catch (error) {
      // Something is still in it (a box or a cgroup a file left): a leak, never a note.
      console.log(`FAIL cannot remove test cgroup parent ${dir}: ${error.message}`);
      failed += 1;
    }
  }
}
