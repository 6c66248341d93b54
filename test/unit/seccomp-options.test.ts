// Unit: --security-opt parsing, the loader choice and its words, and the cached program file with the box's toolbox.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NsboxError } from '../../src/errors.js';
import { parseSecurityOpts } from '../../src/seccomp/security-opt.js';
import { chooseLoader, loaderWords, perlLoaderScript, setprivHasSeccompFilter } from '../../src/seccomp/loader.js';
import { prepareSeccomp } from '../../src/seccomp/prepare.js';
import { ensureProgramFile, programKey, programKeyText, quickHash } from '../../src/seccomp/program-file.js';
import { COMPILER_ID, compileProfile } from '../../src/seccomp/compile.js';
import { encodeProgram } from '../../src/seccomp/bpf.js';
import { DEFAULT_PROFILE, DEFAULT_PROFILE_DIGEST } from '../../src/seccomp/default-profile.js';
import { DEFAULT_CAPABILITIES } from '../../src/rootfs/capabilities.js';
import type { Toolbox } from '../../src/rootfs/toolbox.js';

const noFile = (): string => {
  throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
};

test('--security-opt: Docker\'s seccomp spellings; --privileged wins; the no-op options; the rest refused in one line', () => {
  assert.equal(parseSecurityOpts([], false), { kind: 'default' });
  assert.equal(parseSecurityOpts(['seccomp=unconfined'], false), { kind: 'unconfined', because: 'flag' });
  assert.equal(parseSecurityOpts(['seccomp:unconfined'], false), { kind: 'unconfined', because: 'flag' });
  assert.equal(parseSecurityOpts(['seccomp=unconfined', 'seccomp=builtin'], false), { kind: 'default' }, 'the last one wins');
  assert.equal(parseSecurityOpts([], true), { kind: 'unconfined', because: 'privileged' });
  const read = (p: string): string => (p === 'p.json' ? '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}' : noFile());
  const custom = parseSecurityOpts(['seccomp=p.json'], false, read);
  assert.is(custom.kind, 'profile');
  assert.ok(custom.kind === 'profile' && custom.file.endsWith('/p.json') && custom.profile.syscalls[0]!.names[0] === 'mkdir');
  assert.equal(parseSecurityOpts(['seccomp=p.json'], true, read), { kind: 'unconfined', because: 'privileged' }, '--privileged implies unconfined, as in Docker');
  assert.equal(parseSecurityOpts(['no-new-privileges', 'no-new-privileges=true', 'apparmor=unconfined', 'label=disable'], false), { kind: 'default' });
  const bad: [string, RegExp][] = [
    ['seccomp', /seccomp needs a value/],
    ['seccomp=', /seccomp needs a value/],
    ['no-new-privileges=false', /always runs with no_new_privs/],
    ['apparmor=docker-default', /no AppArmor profile/],
    ['label=type:svirt', /no SELinux profile/],
    ['systempaths=unconfined', /expected seccomp=unconfined/],
    ['seccomp=missing.json', /^cannot read seccomp profile missing\.json: no such file$/],
  ];
  for (const [value, re] of bad) {
    try {
      parseSecurityOpts([value], false, read);
      assert.unreachable(value);
    } catch (e) {
      assert.instance(e, NsboxError);
      assert.match((e as Error).message, re);
      assert.is((e as NsboxError).exitCode, 125);
    }
  }
});

test('loader: setpriv --seccomp-filter first, else perl, else an error naming the fix and the opt-out', () => {
  assert.is(chooseLoader({ setpriv: true, perl: true }), 'setpriv');
  assert.is(chooseLoader({ setpriv: false, perl: true }), 'perl');
  try {
    chooseLoader({ setpriv: false, perl: false });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /^cannot confine the box with seccomp: .*util-linux 2\.41.*perl/);
    assert.match((e as NsboxError).hint!, /apt-get install perl-base.*--security-opt seccomp=unconfined/);
  }
  assert.ok(setprivHasSeccompFilter(' --seccomp-filter <file>    load seccomp filter from file'));
  assert.not.ok(setprivHasSeccompFilter(' --securebits <bits>  set securebits'));
});

test('loader words: setpriv gets an option; perl runs from the toolbox with the arch\'s prctl/seccomp numbers', () => {
  assert.equal(loaderWords('setpriv', '/dev/.nsbox/seccomp.bpf', 'SCMP_ARCH_X86_64', ['perl']), { setprivArgs: ['--seccomp-filter=/dev/.nsbox/seccomp.bpf'], prefix: [] });
  const perl = loaderWords('perl', '/dev/.nsbox/seccomp.bpf', 'SCMP_ARCH_X86_64', ['/dev/.nsbox/ld.so', '--library-path', '/dev/.nsbox', '/dev/.nsbox/perl']);
  assert.equal(perl.setprivArgs, []);
  assert.equal(perl.prefix.slice(0, 5), ['/dev/.nsbox/ld.so', '--library-path', '/dev/.nsbox', '/dev/.nsbox/perl', '-e']);
  assert.equal(perl.prefix.slice(6), ['/dev/.nsbox/seccomp.bpf', '--']);
  const x86 = perlLoaderScript('SCMP_ARCH_X86_64');
  assert.match(x86, /syscall\(157, 38, 1, 0, 0, 0\)/, 'prctl(PR_SET_NO_NEW_PRIVS) is 157 on x86_64');
  assert.match(x86, /syscall\(317, 1, 0, pack\("S x!\[P\] P"/, 'seccomp(SECCOMP_SET_MODE_FILTER) is 317 on x86_64');
  const arm = perlLoaderScript('SCMP_ARCH_AARCH64');
  assert.match(arm, /syscall\(167, 38,/);
  assert.match(arm, /syscall\(277, 1, 0,/);
  assert.not.match(x86, /\buse\b|\brequire\b/, 'no module: only perl\'s built-ins exist in the toolbox');
});

const TOOLBOX: Toolbox = {
  loader: 'ld-linux-x86-64.so.2',
  files: [
    { name: 'setpriv', source: '/usr/bin/setpriv' },
    { name: 'ld-linux-x86-64.so.2', source: '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
    { name: 'libc.so.6', source: '/usr/lib/x86_64-linux-gnu/libc.so.6' },
    { name: 'perl', source: '/usr/bin/perl' },
    { name: 'libcrypt.so.1', source: '/usr/lib/x86_64-linux-gnu/libcrypt.so.1' },
  ],
  perlOnly: ['perl', 'libcrypt.so.1'],
  setprivSeccompFilter: false,
};

test('prepare: the program is compiled once into the store and mounted from the toolbox; perl only when it loads it', () => {
  const store = mkdtempSync(join(tmpdir(), 'nsbox-seccomp-unit-'));
  try {
    const a = prepareSeccomp({ kind: 'default' }, DEFAULT_CAPABILITIES, store, TOOLBOX, 'x64');
    assert.is(a.seccomp!.loader, 'perl');
    assert.is(a.seccomp!.file, '/dev/.nsbox/seccomp.bpf');
    assert.is(a.seccomp!.arch, 'SCMP_ARCH_X86_64');
    const program = a.toolbox.files.find((f) => f.name === 'seccomp.bpf')!;
    assert.ok(program.source.startsWith(join(store, 'seccomp') + '/'));
    const bytes = readFileSync(program.source);
    assert.is(bytes.length % 8, 0);
    assert.is(bytes.length / 8, a.seccomp!.instructions);
    assert.ok(a.toolbox.files.some((f) => f.name === 'perl'), 'perl is mounted: it loads the filter');
    const again = prepareSeccomp({ kind: 'default' }, DEFAULT_CAPABILITIES, store, TOOLBOX, 'x64');
    assert.is(again.toolbox.files.find((f) => f.name === 'seccomp.bpf')!.source, program.source, 'cached');
    const admin = prepareSeccomp({ kind: 'default' }, [...DEFAULT_CAPABILITIES, 'sys_admin'], store, TOOLBOX, 'x64');
    assert.is.not(admin.toolbox.files.find((f) => f.name === 'seccomp.bpf')!.source, program.source, 'other capabilities, other program');
    const files = readdirSync(join(store, 'seccomp')).sort();
    assert.equal(files.filter((f) => f.endsWith('.bpf')).length, 2, 'two programs');
    assert.equal(files.length, 4, 'each with its key beside it, no temp file');
    const viaSetpriv = prepareSeccomp({ kind: 'default' }, DEFAULT_CAPABILITIES, store, { ...TOOLBOX, setprivSeccompFilter: true }, 'x64');
    assert.is(viaSetpriv.seccomp!.loader, 'setpriv');
    assert.not.ok(viaSetpriv.toolbox.files.some((f) => f.name === 'perl' || f.name === 'libcrypt.so.1'), 'no perl in the box');
    const free = prepareSeccomp({ kind: 'unconfined', because: 'flag' }, DEFAULT_CAPABILITIES, store, TOOLBOX, 'x64');
    assert.is(free.seccomp, undefined);
    assert.equal(free.toolbox.files.map((f) => f.name), ['setpriv', 'ld-linux-x86-64.so.2', 'libc.so.6']);
    assert.throws(() => prepareSeccomp({ kind: 'default' }, [], store, { ...TOOLBOX, files: TOOLBOX.files.slice(0, 3), perlOnly: [] }, 'x64'), /neither setpriv --seccomp-filter/);
    assert.throws(() => prepareSeccomp({ kind: 'default' }, [], store, TOOLBOX, 'riscv64'), /no syscall table for riscv64/);
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
});

test('program file: the default profile is keyed by its digest, and the digest is the profile\'s', () => {
  const json = JSON.stringify(DEFAULT_PROFILE, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  const digest = createHash('sha256').update(json).digest('hex');
  assert.is(DEFAULT_PROFILE_DIGEST, digest, `DEFAULT_PROFILE changed: set DEFAULT_PROFILE_DIGEST in src/seccomp/default-profile.ts to '${digest}'`);
  const context = { native: 'SCMP_ARCH_X86_64' as const, capabilities: DEFAULT_CAPABILITIES, kernel: [6, 1] as const };
  assert.match(programKeyText(DEFAULT_PROFILE, context), `nsbox-default:${digest}`);
  // A copy of the profile is not the constant: keyed by its own text, so it can never be mistaken for it.
  assert.not.match(programKeyText({ ...DEFAULT_PROFILE }, context), 'nsbox-default:');
});

test('program file: a name taken by another key text is never used; the sha256 name is', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsbox-seccomp-key-'));
  try {
    const context = { native: 'SCMP_ARCH_X86_64' as const, capabilities: DEFAULT_CAPABILITIES, kernel: [6, 1] as const };
    const text = programKeyText(DEFAULT_PROFILE, context);
    const quick = join(dir, `f${quickHash(text)}`);
    // A crafted (or corrupted) entry under the quick name: another text, a program that allows everything.
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${quick}.key`, text.replace('SCMP_ARCH_X86_64', 'SCMP_ARCH_X86_65'));
    writeFileSync(`${quick}.bpf`, Buffer.from([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]));
    const file = ensureProgramFile(dir, DEFAULT_PROFILE, context);
    assert.is(file.path, join(dir, `${programKey(DEFAULT_PROFILE, context)}.bpf`), 'the sha256 name');
    const expected = encodeProgram(compileProfile(DEFAULT_PROFILE, context).filters);
    assert.ok(readFileSync(file.path).equals(expected), 'the real program');
    assert.is(readFileSync(`${quick}.bpf`).length, 8, 'the other entry is left as it was');
    // Cached: the same text finds the same file, without compiling again (its mtime stays).
    const before = statSync(file.path).mtimeMs;
    assert.is(ensureProgramFile(dir, DEFAULT_PROFILE, context).path, file.path);
    assert.is(statSync(file.path).mtimeMs, before);
    // Another kernel is another text: another program file.
    assert.is.not(ensureProgramFile(dir, DEFAULT_PROFILE, { ...context, kernel: [4, 19] as const }).path, file.path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** sha256 of the default program (x86_64, Docker's default capabilities, kernel 6.1). */
const PINNED = 'c0e1c21a6ceec8bf48d9b84d3d2a4541a5a0b54932ac9a02cca3a58c120cff33';

test('the default program is pinned: a change to it must come with a new COMPILER_ID (cached programs are keyed by it)', () => {
  const bytes = encodeProgram(compileProfile(DEFAULT_PROFILE, { native: 'SCMP_ARCH_X86_64', capabilities: DEFAULT_CAPABILITIES, kernel: [6, 1] }).filters);
  const hash = createHash('sha256').update(bytes).digest('hex');
  assert.is(`${COMPILER_ID} ${hash}`, `nsbox-seccomp-1 ${PINNED}`, 'the compiled default changed: update PINNED here and bump COMPILER_ID in src/seccomp/compile.ts');
});

test.run();
