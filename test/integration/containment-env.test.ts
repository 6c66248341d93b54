// Integration (root), threat class "the image's environment" (SECURITY.md): an image whose Env sets LD_PRELOAD
// (to a probe in the image, and to the same probe by its host path in the layer store) and a PATH that names a
// directory of fake host tools in the layer store. The probe reports its capabilities and, wherever it runs, tries
// to read a host-only marker, create a file next to the victim and append to a sacrificial host binary: through
// "/" (in the host's mount namespace) and through open_by_handle_at(2) from a bind-mounted host file (the way out
// of a box for a process that still holds CAP_DAC_READ_SEARCH). It must run only in the box's command, after the
// capability drop and no_new_privs, in `run` and in `exec` (-e too); the fake tools must never run.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { packTar, sha256, writeDockerSave, type FixtureEntry } from './image-fixtures.js';
import { assertVictimIntact, binaryEntry, compile, cString, fingerprint, hasGcc, makeVictim, STATUS_FIELD_C, treeEntries, type Victim } from './containment-fixtures.js';
import { gatedTest } from '../helpers/suite.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : !hasGcc ? 'needs gcc (apt-get install gcc libc6-dev)' : undefined;
const test = gatedTest(skipReason);

const base = mkdtempSync(join(tmpdir(), 'nsbox-contain-env-'));
const root = join(base, 'store');
const ENV: NodeJS.ProcessEnv = { ...process.env, NSBOX_ROOT: root, NSBOX_STATE: join(base, 'state'), NSBOX_IMAGE_NETWORK: 'none' };
const cli = (args: string[]): Result => nsbox(args, { env: ENV, timeoutMs: 60_000 });
/** Docker's default bounding set without CAP_MKNOD: what a default box's command holds. */
const BOX_CAPS = '00000000a00425fb';
let victim: Victim;

/** The probe: a constructor that reports, then attacks the victim through "/" and through a file handle. */
function probeSource(v: Victim): string {
  const rel = (p: string) => cString(p.slice(1));
  return `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
${STATUS_FIELD_C}
static void attack(int root, const char *how) {
  char buf[256] = {0}, name[512];
  int fd = openat(root, ${rel(v.marker)}, O_RDONLY);
  if (fd >= 0) { read(fd, buf, sizeof buf - 1); close(fd); dprintf(2, "PROBE-LEAK %s %s", how, buf); }
  snprintf(name, sizeof name, "%s/pwned-%s", ${rel(v.dir)}, how);
  fd = openat(root, name, O_WRONLY | O_CREAT, 0644);
  if (fd >= 0) { write(fd, buf, strlen(buf)); close(fd); dprintf(2, "PROBE-WROTE %s\\n", how); }
  fd = openat(root, ${rel(v.binary)}, O_WRONLY | O_APPEND);
  if (fd >= 0) { write(fd, "x", 1); close(fd); dprintf(2, "PROBE-BINARY %s\\n", how); }
}
__attribute__((constructor)) static void probe(void) {
  char exe[256] = {0}, cap[32] = "?", nnp[8] = "?", sec[8] = "?";
  readlink("/proc/self/exe", exe, sizeof exe - 1);
  field("CapEff:", cap, sizeof cap); field("NoNewPrivs:", nnp, sizeof nnp); field("Seccomp:", sec, sizeof sec);
  dprintf(2, "PROBE exe=%s capeff=%s nnp=%s seccomp=%s\\n", exe, cap, nnp, sec);
  int slash = open("/", O_PATH | O_DIRECTORY);
  if (slash >= 0) { attack(slash, "direct"); close(slash); }
  int mfd = open("/etc/hostname", O_RDONLY);
  struct { unsigned int bytes; int type; unsigned char h[8]; } fh = { 8, 1, { 2, 0, 0, 0, 0, 0, 0, 0 } };
  int hroot = mfd < 0 ? -1 : open_by_handle_at(mfd, (void *)&fh, O_RDONLY | O_DIRECTORY);
  if (hroot >= 0) { attack(hroot, "handle"); close(hroot); }
}
`;
}

/** A fake host tool in the layer store: it would run as host root if nsbox looked tools up in the box's PATH. */
const fakeTool = (v: Victim, name: string): FixtureEntry => ({
  name: `hijack/${name}`,
  mode: 0o755,
  content: `#!/bin/sh\necho "$0" > ${v.dir}/pwned-path-${name}; cat ${v.marker} >&2\nexec /usr/bin/${name} "$@"\n`,
});

const probeLines = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('PROBE'));

/** Every probe report: in the box's command only, capabilities dropped, no_new_privs; no attack got through. */
function assertProbeConfined(out: string, what: string): void {
  const lines = probeLines(out);
  assert.ok(lines.length > 0, `${what}: the probe ran (LD_PRELOAD does reach the command): ${out}`);
  for (const line of lines) {
    assert.match(line, /^PROBE exe=\S+ capeff=\S+ nnp=\S+ seccomp=\S+$/, `${what}: an attack got through: ${line}`);
    assert.ok(line.includes(`capeff=${BOX_CAPS} nnp=1 seccomp=2`), `${what}: the probe ran in a privileged process: ${line}`);
    assert.ok(line.startsWith('PROBE exe=/bin/probe-cmd '), `${what}: the probe ran in a process other than the command: ${line}`);
  }
}

/**
 * The NSS probe's reports: it ran (setpriv looks the box's user up through getpwnam(3), which loads the module the
 * image's nsswitch.conf names), and never with more than the box's root holds (Docker's capabilities,
 * no_new_privs, the filter): the lookup comes before the change to a --user, as the box's root.
 */
function assertNssConfined(out: string, what: string): void {
  const caps = BOX_CAPS;
  const lines = probeLines(out);
  assert.ok(lines.length > 0, `${what}: the image's NSS module was loaded (the attack is in place): ${out}`);
  for (const line of lines) {
    assert.match(line, /^PROBE exe=\S+ capeff=\S+ nnp=\S+ seccomp=\S+$/, `${what}: an attack got through: ${line}`);
    assert.ok(line.includes(`capeff=${caps} nnp=1 seccomp=2`), `${what}: the image's NSS module ran in a privileged process: ${line}`);
  }
}

/** The probe library and command, and the host's libc and loader they need, as image entries. */
function probeEntries(): FixtureEntry[] {
  return [
    binaryEntry('probe.so', join(base, 'probe.so')),
    binaryEntry('bin/probe-cmd', join(base, 'probe-cmd')),
    { name: 'lib/x86_64-linux-gnu/', type: 'directory' },
    binaryEntry('lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6'),
    { name: 'lib64/', type: 'directory' },
    binaryEntry('lib64/ld-linux-x86-64.so.2', '/lib64/ld-linux-x86-64.so.2'),
  ];
}

test.before(async () => {
  if (skipReason) return;
  victim = makeVictim(base);
  const r = cli(['image', 'import', '--from-host-busybox', 'busybox']);
  assert.is(r.code, 0, r.stderr);
  const busyboxFs = (JSON.parse(cli(['image', 'inspect', 'busybox']).stdout) as { lowerDirs: string[] }).lowerDirs[0]!;
  compile(probeSource(victim), join(base, 'probe.so'), ['-shared', '-fPIC']);
  compile('#include <stdio.h>\nint main(void) { puts("COMMAND ran"); return 0; }\n', join(base, 'probe-cmd'), []);
  const entries: FixtureEntry[] = [
    ...treeEntries(busyboxFs),
    ...probeEntries(),
    { name: 'hijack/', type: 'directory' },
    ...['nsenter', 'setpriv', 'unshare', 'chroot', 'env', 'mount', 'sh'].map((n) => fakeTool(victim, n)),
  ];
  // The layer's directory in the store is named by its digest: the image's Env can name host paths inside it.
  const layerFs = join(root, 'layers', sha256(await packTar(entries)).slice(7), 'fs');
  const Env = [`LD_PRELOAD=/probe.so:${layerFs}/probe.so`, `PATH=${layerFs}/hijack:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`];
  const file = join(base, 'hostile.tar');
  await writeDockerSave(file, { layers: [entries], config: { Env, Cmd: ['/bin/probe-cmd'] } });
  const imported = cli(['image', 'import', file, 'hostile-env']);
  assert.is(imported.code, 0, imported.stderr);
  // An image whose nsswitch.conf names its own NSS module (glibc dlopens libnss_probe.so.2 from the box's /lib).
  const nss: FixtureEntry[] = [
    ...treeEntries(busyboxFs).filter((e) => e.name !== 'etc/nsswitch.conf'),
    binaryEntry('bin/probe-cmd', join(base, 'probe-cmd')),
    { name: 'etc/nsswitch.conf', content: 'passwd: probe files\ngroup: probe files\n', mode: 0o644 },
    { name: 'lib/x86_64-linux-gnu/', type: 'directory' },
    binaryEntry('lib/x86_64-linux-gnu/libnss_probe.so.2', join(base, 'probe.so')),
    binaryEntry('lib/libnss_probe.so.2', join(base, 'probe.so')),
    binaryEntry('lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6'),
    { name: 'lib64/', type: 'directory' },
    binaryEntry('lib64/ld-linux-x86-64.so.2', '/lib64/ld-linux-x86-64.so.2'),
  ];
  const nssFile = join(base, 'hostile-nss.tar');
  await writeDockerSave(nssFile, { layers: [nss], config: { Cmd: ['/bin/probe-cmd'] } });
  const nssImported = cli(['image', 'import', nssFile, 'hostile-nss']);
  assert.is(nssImported.code, 0, nssImported.stderr);
  assert.ok(existsSync(join(layerFs, 'probe.so')) && existsSync(join(layerFs, 'hijack', 'nsenter')), 'the Env names real host files in the layer store');
  // An image with a umount.<type> helper for every type a host's root may have (the init's umount of the old root
  // would run it, with every capability): it runs the probe.
  const hostType = spawnSync('findmnt', ['-n', '-o', 'FSTYPE', '/'], { encoding: 'utf8' }).stdout.trim();
  const types = [...new Set(['ext4', 'ext3', 'ext2', 'xfs', 'btrfs', 'overlay', 'tmpfs', 'zfs', 'f2fs', hostType].filter(Boolean))];
  const busyboxTree = treeEntries(busyboxFs);
  const helpers: FixtureEntry[] = [
    ...busyboxTree,
    ...probeEntries(),
    ...(busyboxTree.some((e) => e.name === 'sbin/') ? [] : [{ name: 'sbin/', type: 'directory' as const }]),
    ...types.map((t) => ({ name: `sbin/umount.${t}`, mode: 0o755, content: '#!/bin/sh\necho UMOUNT-HELPER ran >&2\nLD_PRELOAD=/probe.so /bin/probe-cmd >&2\n' })),
  ];
  const helpersFile = join(base, 'hostile-umount.tar');
  await writeDockerSave(helpersFile, { layers: [helpers], config: { Cmd: ['/bin/busybox', 'echo', 'COMMAND ran'] } });
  const helpersImported = cli(['image', 'import', helpersFile, 'hostile-umount']);
  assert.is(helpersImported.code, 0, helpersImported.stderr);
});

test.after(() => {
  if (!skipReason) cli(['rm', '-f', 'envbox', 'nssbox']);
  rmSync(base, { recursive: true, force: true });
});

test('run: an image Env LD_PRELOAD reaches only the command, after the capability drop and no_new_privs', async () => {
  const before = fingerprint(victim);
  const r = cli(['run', '--rm', 'hostile-env']);
  const out = `${r.stdout}${r.stderr}`;
  assert.is(r.code, 0, out);
  assert.match(r.stdout, /COMMAND ran/);
  assertProbeConfined(r.stderr, 'run');
  await assertVictimIntact(victim, before, out, [join(root, 'containers')], 'run');
});

test('exec: host tools never see the box\'s environment (PATH, LD_PRELOAD); -e too is applied only to the command', async () => {
  const before = fingerprint(victim);
  const started = cli(['run', '-d', '--name', 'envbox', 'hostile-env', '/bin/busybox', 'sleep', '600']);
  assert.is(started.code, 0, started.stderr);
  let seen = '';
  try {
    const plain = cli(['exec', 'envbox', '/bin/probe-cmd']);
    seen += plain.stdout + plain.stderr;
    assert.is(plain.code, 0, seen);
    assert.match(plain.stdout, /COMMAND ran/);
    assertProbeConfined(plain.stderr, 'exec');
    const flagged = cli(['exec', '-e', 'LD_PRELOAD=/probe.so', '-e', 'PATH=/bin', '-w', '/tmp', 'envbox', 'probe-cmd']);
    seen += flagged.stdout + flagged.stderr;
    assert.is(flagged.code, 0, seen);
    assertProbeConfined(flagged.stderr, 'exec -e');
    // stop, kill and rm read the same record: none of them may run anything from it either
    for (const args of [['kill', '--signal', 'CONT', 'envbox'], ['stop', '-t', '1', 'envbox'], ['rm', 'envbox']]) {
      const r = cli(args);
      seen += r.stdout + r.stderr;
      assert.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
  } finally {
    cli(['rm', '-f', 'envbox']);
  }
  await assertVictimIntact(victim, before, seen, [join(root, 'containers')], 'exec');
});

test('an image WorkingDir with .. above the root (and --workdir so) makes no directory on the host: it is the box\'s own path', async () => {
  const before = fingerprint(victim);
  const busyboxFs = (JSON.parse(cli(['image', 'inspect', 'busybox']).stdout) as { lowerDirs: string[] }).lowerDirs[0]!;
  const up = '../'.repeat(24);
  const file = join(base, 'hostile-workdir.tar');
  await writeDockerSave(file, { layers: [treeEntries(busyboxFs)], config: { WorkingDir: `/${up}${victim.dir.slice(1)}/pwned-workdir/sub`, Cmd: ['/bin/busybox', 'pwd'] } });
  const imported = cli(['image', 'import', file, 'hostile-workdir']);
  assert.is(imported.code, 0, imported.stderr);
  let seen = '';
  const r = cli(['run', '--rm', 'hostile-workdir']);
  seen += r.stdout + r.stderr;
  assert.is(r.code, 0, seen);
  assert.is(r.stdout.trim(), `${victim.dir}/pwned-workdir/sub`, 'the working directory is that path inside the box');
  const flag = cli(['run', '--rm', '--workdir', `/${up}${victim.dir.slice(1)}/pwned-flag`, 'busybox', '/bin/busybox', 'pwd']);
  seen += flag.stdout + flag.stderr;
  assert.is(flag.code, 0, seen);
  assert.is(flag.stdout.trim(), `${victim.dir}/pwned-flag`);
  await assertVictimIntact(victim, before, seen, [], 'workdir');
});

test('an image\'s /sbin/umount.<type> never runs in the init (its umount of the old root, with every capability): the victim is untouched', async () => {
  const before = fingerprint(victim);
  const r = cli(['run', '--rm', 'hostile-umount']);
  const seen = r.stdout + r.stderr;
  assert.is(r.code, 0, seen);
  assert.match(r.stdout, /COMMAND ran/);
  assert.not.match(seen, /UMOUNT-HELPER|PROBE/, `the image's umount helper ran: ${seen}`);
  await assertVictimIntact(victim, before, seen, [join(root, 'containers')], 'umount helper');
});

test('an image\'s NSS module (its nsswitch.conf) runs only with the box\'s root\'s privileges: run, run --user, exec, exec -u', async () => {
  const before = fingerprint(victim);
  let seen = '';
  const asRoot = cli(['run', '--rm', 'hostile-nss']);
  seen += asRoot.stdout + asRoot.stderr;
  assert.is(asRoot.code, 0, seen);
  assert.match(asRoot.stdout, /COMMAND ran/);
  // A root box started by root changes no user: its one setpriv names none, so nothing is looked up and the module
  // never loads (identityKept, final-exec.ts); the attack is in place for --user and exec below.
  assert.equal(probeLines(asRoot.stderr), [], `run: no NSS lookup as root: ${asRoot.stderr}`);
  const asUser = cli(['run', '--rm', '--user', '1000:1000', 'hostile-nss']);
  seen += asUser.stdout + asUser.stderr;
  assert.is(asUser.code, 0, seen);
  assertNssConfined(asUser.stderr, 'run --user');
  const started = cli(['run', '-d', '--name', 'nssbox', 'hostile-nss', '/bin/busybox', 'sleep', '600']);
  assert.is(started.code, 0, started.stderr);
  try {
    const plain = cli(['exec', 'nssbox', '/bin/probe-cmd']);
    seen += plain.stdout + plain.stderr;
    assert.is(plain.code, 0, seen);
    assertNssConfined(plain.stderr, 'exec');
    const user = cli(['exec', '-u', '1000', 'nssbox', '/bin/probe-cmd']);
    seen += user.stdout + user.stderr;
    assert.is(user.code, 0, seen);
    assertNssConfined(user.stderr, 'exec -u');
  } finally {
    cli(['rm', '-f', 'nssbox']);
  }
  await assertVictimIntact(victim, before, seen, [join(root, 'containers')], 'nss');
});

test.run();
