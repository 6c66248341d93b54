// Install paths a sysadmin uses: `npm pack` + `npm install -g` into a temp prefix, and the Debian package built by
// packaging/build-deb.sh installed with dpkg into a scratch root. Both must give a working nsbox.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, copyFileSync, rmSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot } from '../helpers/nsbox.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'nsbox-pkg-'));
const state = mkdtempSync(join(tmpdir(), 'nsbox-pkg-state-'));
const env = { ...process.env, NSBOX_STATE: state, NSBOX_ROOT: join(scratch, 'store') };

function sh(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: options.cwd ?? REPO, env: options.env ?? env, timeout: 300_000 });
  if (r.error) throw r.error;
  return r;
}
function ok(r: ReturnType<typeof sh>, what: string) {
  assert.is(r.status, 0, `${what} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

test.after(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
});

// `npm test` has just built the bundle: pack it as it is (prepack would build it again).
let tarball = '';
function packOnce(): string {
  if (!tarball) tarball = join(scratch, ok(sh('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', scratch]), 'npm pack').trim().split('\n').pop()!);
  return tarball;
}

test('npm pack + npm install -g into a prefix gives a working nsbox run (no dev dependencies)', () => {
  if (!isRoot) return assert.unreachable('needs root (nsbox run makes namespaces)');
  const prefix = join(scratch, 'prefix');
  ok(sh('npm', ['install', '-g', '--prefix', prefix, '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', packOnce()]), 'npm install -g');
  const installed = join(prefix, 'lib', 'node_modules', 'nsbox');
  assert.ok(!existsSync(join(installed, 'node_modules', 'typescript')), 'a dev dependency was installed');
  assert.ok(!existsSync(join(installed, 'src')), 'the tarball ships the sources instead of the bundle');
  const r = sh(join(prefix, 'bin', 'nsbox'), ['run', '--uts', '--hostname', 'packed', '--', 'hostname'], { cwd: scratch });
  assert.is(r.stdout.trim(), 'packed', r.stderr);
  assert.ok(ok(sh(join(prefix, 'bin', 'nsbox'), ['--help'], { cwd: scratch }), '--help').includes('nsbox run'));
});

test('the .deb installs with dpkg into a scratch root; doctor, man page and completion work from it', () => {
  if (!isRoot) return assert.unreachable('needs root');
  const out = join(scratch, 'deb');
  const deb = ok(sh(join(REPO, 'packaging', 'build-deb.sh'), [out, packOnce()]), 'build-deb.sh').trim().split('\n').pop()!;
  assert.match(ok(sh('dpkg-deb', ['-f', deb, 'Depends']), 'dpkg-deb -f'), /nodejs \(>= 20\)/);
  // A scratch root whose dpkg database is the host's, so dpkg checks the dependencies against what is installed.
  const root = join(scratch, 'root');
  mkdirSync(join(root, 'var/lib/dpkg/info'), { recursive: true });
  mkdirSync(join(root, 'var/lib/dpkg/updates'), { recursive: true });
  copyFileSync('/var/lib/dpkg/status', join(root, 'var/lib/dpkg/status'));
  writeFileSync(join(root, 'var/lib/dpkg/available'), '');
  ok(sh('dpkg', ['--root', root, '--force-script-chrootless', '--log=/dev/null', '-i', deb]), 'dpkg -i');
  const nsbox = join(root, 'usr/bin/nsbox');
  const doctor = sh(nsbox, ['doctor', '--json'], { cwd: scratch });
  assert.ok([0, 1].includes(doctor.status ?? -1), doctor.stderr);
  assert.ok(Array.isArray(JSON.parse(doctor.stdout).checks), 'doctor --json has no checks');
  const man = sh('man', ['-l', join(root, 'usr/share/man/man1/nsbox.1.gz')], { env: { ...env, MANWIDTH: '100' } });
  assert.is(man.status, 0, man.stderr);
  assert.ok(man.stdout.replace(/.\x08/g, '').includes('nsbox run'), 'man page lacks nsbox run');
  assert.ok(readdirSync(join(root, 'usr/share/bash-completion/completions')).includes('nsbox'));
  // The installed completion completes the name of a real box.
  ok(sh(nsbox, ['run', '-d', '--name', 'pkgcompletebox', '--', 'sleep', '60'], { cwd: scratch }), 'run -d');
  try {
    const r = sh('bash', ['-c', `PATH=${join(root, 'usr/bin')}:$PATH; source ${join(root, 'usr/share/bash-completion/completions/nsbox')}; COMP_WORDS=(nsbox stop pkgcom); COMP_CWORD=2; _nsbox; echo "\${COMPREPLY[@]}"`]);
    assert.is(r.stdout.trim(), 'pkgcompletebox', r.stderr);
  } finally {
    ok(sh(nsbox, ['rm', '-f', 'pkgcompletebox'], { cwd: scratch }), 'rm -f');
  }
});

test.run();
