// Integration (root), threat class "the store seen by other host users" (SECURITY.md): a box is root inside and
// keeps CAP_CHOWN and CAP_FSETID, so it can leave a setuid-root program in what it writes, its upper layer
// (ROOT/containers/<id>/upper) and named volumes (ROOT/volumes/NAME/_data). Any host user who can reach one runs it
// as root on the host (Docker's CVE-2021-41091). The victim is a host-only marker (0600, root's) that the probe
// prints when it runs as root; it is run from the host as uid 65534 with no capabilities.
// The same for the files a box on a network gets as /etc/hosts, /etc/hostname, /etc/resolv.conf (its container's
// directory in the store; they were the state dir's once).
// Also what host-side nsbox reads from a running box: a fifo at /etc/passwd must not hang `exec -u`.

import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, ok, type Result } from '../helpers/nsbox.js';
import { assertNoLeaks, snapshot } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';
import { assertVictimIntact, compile, cString, fingerprint, hasGcc, makeVictim, type Victim } from './containment-fixtures.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : !hasGcc ? 'needs gcc (for the probe)' : undefined;
const test = gatedTest(skipReason);

const base = mkdtempSync(join(tmpdir(), 'nsbox-contain-store-'));
const root = join(base, 'store');
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: root, NSBOX_STATE: join(base, 'state'), NSBOX_IMAGE_NETWORK: 'none' };
const cli = (args: string[]): Result => nsbox(args, { env: ENV, timeoutMs: 60_000 });
const NOBODY = 65534;
let victim: Victim;
let probeDir = '';

/** Runs path as uid/gid 65534 (setuid(2) by node before the exec drops every capability). */
function runAsNobody(path: string): { status: number | null; out: string } {
  const r = spawnSync(path, [], { uid: NOBODY, gid: NOBODY, encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

test.before(() => {
  if (skipReason) return;
  victim = makeVictim(base);
  // The probe: with a setuid-root bit it becomes root and prints the host-only marker.
  probeDir = join(base, 'probe');
  mkdirSync(probeDir);
  chmodSync(base, 0o755); // the control copy below must be reachable by uid 65534
  compile(`#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
  char buf[256]; int fd; ssize_t n;
  if (setuid(0) != 0) { printf("setuid refused\\n"); return 2; }
  fd = open(${cString(victim.marker)}, O_RDONLY);
  if (fd < 0) { printf("marker unreadable\\n"); return 3; }
  n = read(fd, buf, sizeof buf - 1);
  if (n < 0) return 4;
  buf[n] = 0; printf("read: %s", buf); return 0;
}
`, join(probeDir, 'suid'), ['-static']);
  ok(cli(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox');
});

test.after(() => {
  if (!skipReason) {
    cli(['rm', '-f', 'planter', 'fifobox', 'netplanter']);
    cli(['network', 'rm', 'bridge']);
    cli(['volume', 'rm', 'loot']);
  }
  rmSync(base, { recursive: true, force: true });
});

test('the probe works when reachable: a setuid-root copy outside the store, run as uid 65534, reads the marker (the control)', () => {
  const control = join(base, 'control-suid');
  copyFileSync(join(probeDir, 'suid'), control);
  chmodSync(control, 0o4755);
  const r = runAsNobody(control);
  assert.is(r.status, 0, r.out);
  assert.ok(r.out.includes(victim.secret.toString().trim()), `the control probe read the marker: ${r.out}`);
  rmSync(control);
});

test('a setuid-root program a box leaves in its upper layer and in a named volume cannot be run by another host user', async () => {
  const before = fingerprint(victim);
  const leaks = snapshot({ stateDirs: [join(base, 'state')] });
  const plant = 'for d in /loot /planted; do mkdir -p $d && cp /probe/suid $d/suid && chown 0:0 $d/suid && chmod 4755 $d/suid; done; ls -ln /loot/suid /planted/suid';
  const r = cli(['run', '--name', 'planter', '-v', `${probeDir}:/probe:ro`, '-v', 'loot:/loot', 'busybox', 'sh', '-c', plant]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /-rwsr-xr-x\s+1 0\s+0 .*\/loot\/suid/, 'the box planted a setuid-root file in the volume');
  const id = cli(['inspect', '-f', '{{.Id}}', 'planter']).stdout.trim();
  const planted = [join(root, 'volumes', 'loot', '_data', 'suid'), join(root, 'containers', id, 'upper', 'planted', 'suid')];
  for (const path of planted) {
    const s = statSync(path);
    assert.ok(s.uid === 0 && (s.mode & 0o4000) !== 0, `${path} is setuid root on the host (the attack is in place)`);
    const ran = runAsNobody(path);
    assert.not.ok(ran.out.includes(victim.secret.toString().trim()), `uid 65534 ran the box's setuid program ${path} as root: ${ran.out}`);
    assert.ok(ran.status !== 0, `uid 65534 could not run ${path}: ${ran.out}`);
  }
  assert.is(statSync(root).mode & 0o077, 0, `the store root is root's alone: ${(statSync(root).mode & 0o777).toString(8)}`);
  ok(cli(['rm', 'planter']), 'rm');
  ok(cli(['volume', 'rm', 'loot']), 'volume rm');
  await assertVictimIntact(victim, before, r.stdout + r.stderr, [join(root, 'containers')], 'setuid plant');
  await assertNoLeaks(leaks, 'setuid plant');
});

test('a setuid-root program a box on a bridge network writes into its /etc/hosts, /etc/hostname and /etc/resolv.conf (its container directory\'s files) cannot be run by another host user', async () => {
  const before = fingerprint(victim);
  const plant = 'for f in hosts hostname resolv.conf; do cat /probe/suid > /etc/$f && chmod 4755 /etc/$f; done; ls -ln /etc/hosts; exec sleep 600';
  const r = cli(['run', '-d', '--name', 'netplanter', '--net', 'bridge', '-v', `${probeDir}:/probe:ro`, 'busybox', 'sh', '-c', plant]);
  assert.is(r.code, 0, r.stderr);
  let seen = r.stdout + r.stderr;
  try {
    const pid = Number(cli(['inspect', '-f', '{{.State.Pid}}', 'netplanter']).stdout.trim());
    // The host side of each bind mount: mountinfo's root field (the source's path on its file system, here /).
    let sources: string[] = [];
    for (let i = 0; i < 100; i++) {
      const info = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => /^\/etc\/(hosts|hostname|resolv\.conf)$/.test(f[4] ?? ''));
      sources = info.map((f) => f[3]!);
      if (sources.length === 3 && sources.every((p) => existsSync(p) && (statSync(p).mode & 0o4000) !== 0)) break;
      spawnSync('sleep', ['0.05']);
    }
    assert.is(sources.length, 3, `the box's /etc files are bind mounts: ${sources.join(' ')}`);
    for (const path of sources) {
      // The box writes these files: in the store (disk, as Docker keeps them), never the state dir (a tmpfs: row 18).
      assert.ok(path.startsWith(join(root, 'containers')), `${path} is one of the container's files, in the store`);
      const s = statSync(path);
      assert.ok(s.uid === 0 && (s.mode & 0o4000) !== 0, `${path} is setuid root on the host (the attack is in place)`);
      const ran = runAsNobody(path);
      seen += ran.out;
      assert.not.ok(ran.out.includes(victim.secret.toString().trim()), `uid 65534 ran the box's ${path} as root: ${ran.out}`);
      assert.ok(ran.status !== 0, `uid 65534 could not run ${path}: ${ran.out}`);
    }
  } finally {
    cli(['rm', '-f', 'netplanter']);
    cli(['network', 'rm', 'bridge']);
  }
  await assertVictimIntact(victim, before, seen, [join(root, 'containers')], 'setuid plant in /etc/hosts');
});

test('a store root an older nsbox made 0711 is made root\'s alone at the next run; a sticky shared root is refused, unchanged', () => {
  chmodSync(root, 0o711);
  ok(cli(['run', '--rm', 'busybox', 'true']), 'run');
  assert.is(statSync(root).mode & 0o777, 0o700);
  chmodSync(root, 0o711);
  ok(cli(['volume', 'create', 'again']), 'volume create');
  assert.is(statSync(root).mode & 0o777, 0o700, 'volume create tightens it too');
  ok(cli(['volume', 'rm', 'again']), 'volume rm');
  const shared = join(base, 'shared');
  mkdirSync(shared, { mode: 0o1777 });
  chmodSync(shared, 0o1777);
  const r = nsbox(['volume', 'create', 'x'], { env: { ...ENV, NSBOX_ROOT: shared } });
  assert.is(r.code, 125, r.stderr);
  assert.match(r.stderr, /shared sticky directory/);
  assert.is(statSync(shared).mode & 0o7777, 0o1777, 'the shared directory was not changed');
});

test('exec -u: a fifo the box put at /etc/passwd does not hang nsbox on the host (read without blocking, an empty table)', () => {
  const started = cli(['run', '-d', '--name', 'fifobox', 'busybox', 'sh', '-c', 'rm /etc/passwd && mkfifo /etc/passwd && exec sleep 600']);
  assert.is(started.code, 0, started.stderr);
  try {
    // Seen from the host through the box's PID 1 (an exec would block in the box itself: its setpriv reads passwd).
    const pid = Number(cli(['inspect', '-f', '{{.State.Pid}}', 'fifobox']).stdout.trim());
    const isFifo = (): boolean => { try { return lstatSync(`/proc/${pid}/root/etc/passwd`).isFIFO(); } catch { return false; } };
    for (let i = 0; i < 100 && !isFifo(); i++) spawnSync('sleep', ['0.05']);
    assert.ok(pid > 0 && isFifo(), `/etc/passwd is a fifo in the box (the trap is set), pid ${pid}`);
    const r = nsbox(['exec', '-u', 'nobody', 'fifobox', 'true'], { env: ENV, timeoutMs: 20_000 });
    assert.is(r.signal, null, `nsbox exec -u hung on the box's fifo and was killed after 20 s: ${r.stderr}`);
    assert.is(r.code, 125, r.stderr);
    assert.match(r.stderr, /no such user in the box's \/etc\/passwd/);
  } finally {
    cli(['rm', '-f', 'fifobox']);
  }
});

test.run();
