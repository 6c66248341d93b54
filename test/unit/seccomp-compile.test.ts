// Unit: the seccomp compiler. Every program is encoded to bytes and run in an independent cBPF interpreter
// (test/helpers/bpf-interpreter.ts) over (arch, syscall, args) -> verdict tables.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileProfile, ENOSYS, EPERM, type CompileContext } from '../../src/seccomp/compile.js';
import { encodeProgram, decodeProgram, RET, OP } from '../../src/seccomp/bpf.js';
import { DEFAULT_PROFILE, TIOCLINUX, TIOCSTI } from '../../src/seccomp/default-profile.js';
import { ARCHES, type ArchName } from '../../src/seccomp/arches.js';
import { parseProfileText, validateProfile, type SeccompProfile } from '../../src/seccomp/profile.js';
import { DEFAULT_CAPABILITIES } from '../../src/rootfs/capabilities.js';
import { runBpf } from '../helpers/bpf-interpreter.js';

const ALLOW = RET.ALLOW;
const DENY = RET.ERRNO | EPERM;
const NOSYS = RET.ERRNO | ENOSYS;
const KILL = RET.KILL_PROCESS;
const AUDIT = { x86_64: ARCHES.SCMP_ARCH_X86_64.audit, x86: ARCHES.SCMP_ARCH_X86.audit, aarch64: ARCHES.SCMP_ARCH_AARCH64.audit, arm: 0x40000028, ppc64le: 0xc0000015 };
const NEWUSER = 0x10000000n;
const NEWNS = 0x00020000n;
const SIGCHLD = 17n;

function program(profile: SeccompProfile, ctx: Partial<CompileContext> = {}): Buffer {
  const compiled = compileProfile(profile, { native: 'SCMP_ARCH_X86_64', capabilities: DEFAULT_CAPABILITIES, kernel: [6, 1], ...ctx });
  return encodeProgram(compiled.filters);
}

function nr(arch: ArchName, name: string): number {
  const n = ARCHES[arch].syscalls[name];
  if (n === undefined) throw new Error(`no ${name} on ${arch}`);
  return n;
}

type Row = readonly [arch: keyof typeof AUDIT, call: string | number, args: readonly bigint[], verdict: number, why: string];

function check(prog: Buffer, rows: readonly Row[]): void {
  for (const [arch, call, args, verdict, why] of rows) {
    const archName = arch === 'x86_64' ? 'SCMP_ARCH_X86_64' : arch === 'x86' ? 'SCMP_ARCH_X86' : 'SCMP_ARCH_AARCH64';
    const number = typeof call === 'number' ? call : nr(archName, call);
    const { ret } = runBpf(prog, { arch: AUDIT[arch], nr: number, args: [...args] });
    assert.is(ret >>> 0, verdict >>> 0, `${arch} ${call}(${args.map((a) => `0x${a.toString(16)}`).join(', ')}): ${why}: got 0x${(ret >>> 0).toString(16)}`);
  }
}

const defaultBox = program(DEFAULT_PROFILE);

test('default profile, default capabilities: the everyday calls pass, the guarded ones get EPERM', () => {
  check(defaultBox, [
    ['x86_64', 'read', [], ALLOW, 'plain I/O'],
    ['x86_64', 'execve', [], ALLOW, 'the command must be exec-able'],
    ['x86_64', 'openat', [], ALLOW, 'files'],
    ['x86_64', 'getrandom', [], ALLOW, 'libc needs it'],
    ['x86_64', 'arch_prctl', [], ALLOW, 'amd64-only rule (includes.arches)'],
    ['x86_64', 'ptrace', [], ALLOW, 'kernel >= 4.8 (includes.minKernel)'],
    ['x86_64', 'chroot', [], ALLOW, 'CAP_SYS_CHROOT is in Docker\'s default set'],
    ['x86_64', 'keyctl', [], DENY, 'keys are not namespaced'],
    ['x86_64', 'add_key', [], DENY, 'keys are not namespaced'],
    ['x86_64', 'request_key', [], DENY, 'keys are not namespaced'],
    ['x86_64', 'bpf', [], DENY, 'needs CAP_SYS_ADMIN or CAP_BPF'],
    ['x86_64', 'open_by_handle_at', [], DENY, 'needs CAP_DAC_READ_SEARCH (the shocker escape)'],
    ['x86_64', 'perf_event_open', [], DENY, 'needs CAP_PERFMON'],
    ['x86_64', 'kexec_load', [], DENY, 'never'],
    ['x86_64', 'kexec_file_load', [], DENY, 'never'],
    ['x86_64', 'init_module', [], DENY, 'needs CAP_SYS_MODULE'],
    ['x86_64', 'finit_module', [], DENY, 'needs CAP_SYS_MODULE'],
    ['x86_64', 'delete_module', [], DENY, 'needs CAP_SYS_MODULE'],
    ['x86_64', 'mount', [], DENY, 'needs CAP_SYS_ADMIN'],
    ['x86_64', 'umount2', [], DENY, 'needs CAP_SYS_ADMIN'],
    ['x86_64', 'pivot_root', [], DENY, 'needs CAP_SYS_ADMIN'],
    ['x86_64', 'swapon', [], DENY, 'never'],
    ['x86_64', 'swapoff', [], DENY, 'never'],
    ['x86_64', 'reboot', [], DENY, 'needs CAP_SYS_BOOT'],
    ['x86_64', 'settimeofday', [], DENY, 'needs CAP_SYS_TIME'],
    ['x86_64', 'clock_settime', [], DENY, 'needs CAP_SYS_TIME'],
    ['x86_64', 'setns', [], DENY, 'needs CAP_SYS_ADMIN'],
    ['x86_64', 'unshare', [NEWUSER], DENY, 'nested user namespace'],
    ['x86_64', 'unshare', [0n], DENY, 'unshare needs CAP_SYS_ADMIN whatever the flags'],
    ['x86_64', 'userfaultfd', [], DENY, 'not in Docker\'s list'],
    ['x86_64', 'io_uring_setup', [], DENY, 'Docker dropped io_uring'],
    ['x86_64', 'iopl', [], DENY, 'needs CAP_SYS_RAWIO'],
  ]);
});

test('default profile: clone may not create namespaces; clone3 is ENOSYS so libc falls back to clone', () => {
  check(defaultBox, [
    ['x86_64', 'clone', [SIGCHLD], ALLOW, 'fork'],
    ['x86_64', 'clone', [0x3d0f00n], ALLOW, 'pthread_create\'s flags'],
    ['x86_64', 'clone', [NEWUSER | SIGCHLD], DENY, 'nested user namespace'],
    ['x86_64', 'clone', [NEWNS | SIGCHLD], DENY, 'new mount namespace'],
    ['x86_64', 'clone', [0x02000000n], DENY, 'CLONE_NEWCGROUP'],
    ['x86_64', 'clone', [0xffffffff00000011n], ALLOW, 'high bits are no namespace flag (masked compare)'],
    ['x86_64', 'clone', [0xffffffff10000011n], DENY, 'high bits do not hide CLONE_NEWUSER'],
    ['x86_64', 'clone3', [], NOSYS, 'flags in memory: refuse as unimplemented'],
  ]);
});

test('default profile: ioctl TIOCSTI and TIOCLINUX refused (also with high bits set), the rest of ioctl allowed', () => {
  check(defaultBox, [
    ['x86_64', 'ioctl', [0n, 0x5401n], ALLOW, 'TCGETS'],
    ['x86_64', 'ioctl', [1n, BigInt(TIOCSTI)], DENY, 'TIOCSTI types into the terminal'],
    ['x86_64', 'ioctl', [1n, 0xdead000000005412n], DENY, 'the kernel reads the request as 32 bits'],
    ['x86_64', 'ioctl', [1n, BigInt(TIOCLINUX)], DENY, 'TIOCLINUX pastes the console selection'],
    ['x86_64', 'ioctl', [1n, 0x5413n], ALLOW, 'TIOCGWINSZ'],
  ]);
});

test('default profile: socket families and personality values as Docker', () => {
  check(defaultBox, [
    ['x86_64', 'socket', [2n], ALLOW, 'AF_INET'],
    ['x86_64', 'socket', [1n], ALLOW, 'AF_UNIX'],
    ['x86_64', 'socket', [38n], DENY, 'AF_ALG'],
    ['x86_64', 'socket', [39n], ALLOW, 'between the two'],
    ['x86_64', 'socket', [40n], DENY, 'AF_VSOCK'],
    ['x86_64', 'socket', [41n], ALLOW, 'above AF_VSOCK'],
    ['x86_64', 'personality', [0n], ALLOW, 'PER_LINUX'],
    ['x86_64', 'personality', [0xffffffffn], ALLOW, 'query'],
    ['x86_64', 'personality', [0x400000n], DENY, 'READ_IMPLIES_EXEC'],
  ]);
});

test('default profile: architecture check, x32 numbers, numbers beyond the table', () => {
  check(defaultBox, [
    ['x86_64', 0x40000000, [], NOSYS, 'x32 read'],
    ['x86_64', 0x40000000 + 59, [], NOSYS, 'x32 execve'],
    ['x86_64', 0xffffffff, [], NOSYS, 'nr -1'],
    ['x86_64', 1000, [], NOSYS, 'a call newer than the table'],
    ['x86', 'execve', [], ALLOW, 'i386 (int 0x80) has its own table'],
    ['x86', 'keyctl', [], DENY, 'i386 keyctl'],
    ['x86', 'clone', [NEWUSER | SIGCHLD], DENY, 'i386 clone with CLONE_NEWUSER'],
    ['x86', 'clone', [SIGCHLD], ALLOW, 'i386 fork'],
    ['x86', 'socketcall', [], ALLOW, 'i386 socket calls go through socketcall'],
  ]);
  for (const arch of [AUDIT.aarch64, AUDIT.arm, AUDIT.ppc64le, 0]) {
    assert.is(runBpf(defaultBox, { arch, nr: 0 }).ret >>> 0, KILL, `foreign arch 0x${arch.toString(16)} is killed`);
  }
});

test('default profile on aarch64: its own table; x86_64 numbers there are a foreign arch', () => {
  const prog = program(DEFAULT_PROFILE, { native: 'SCMP_ARCH_AARCH64' });
  check(prog, [
    ['aarch64', 'execve', [], ALLOW, 'execve is 221 there'],
    ['aarch64', 'keyctl', [], DENY, 'keyctl is 219 there'],
    ['aarch64', 'clone', [NEWUSER | SIGCHLD], DENY, 'nested user namespace'],
    ['aarch64', 'clone', [SIGCHLD], ALLOW, 'fork'],
    ['aarch64', 'bpf', [], DENY, 'needs CAP_SYS_ADMIN or CAP_BPF'],
    ['aarch64', 'mount', [], DENY, 'needs CAP_SYS_ADMIN'],
  ]);
  assert.is(runBpf(prog, { arch: AUDIT.x86_64, nr: 59 }).ret >>> 0, KILL);
});

test('capabilities re-enable what they guard (Docker\'s includes.caps); excludes drop the namespace checks', () => {
  const admin = program(DEFAULT_PROFILE, { capabilities: [...DEFAULT_CAPABILITIES, 'sys_admin'] });
  check(admin, [
    ['x86_64', 'mount', [], ALLOW, 'CAP_SYS_ADMIN'],
    ['x86_64', 'umount2', [], ALLOW, 'CAP_SYS_ADMIN'],
    ['x86_64', 'pivot_root', [], ALLOW, 'CAP_SYS_ADMIN'],
    ['x86_64', 'unshare', [NEWUSER], ALLOW, 'CAP_SYS_ADMIN'],
    ['x86_64', 'clone', [NEWUSER | SIGCHLD], ALLOW, 'CAP_SYS_ADMIN: clone unconditional'],
    ['x86_64', 'clone3', [], ALLOW, 'CAP_SYS_ADMIN: clone3 allowed'],
    ['x86_64', 'bpf', [], ALLOW, 'CAP_SYS_ADMIN'],
    ['x86_64', 'keyctl', [], DENY, 'no capability gives keyctl'],
    ['x86_64', 'ioctl', [1n, BigInt(TIOCSTI)], DENY, 'TIOCSTI refused whatever the capabilities'],
    ['x86_64', 'reboot', [], DENY, 'CAP_SYS_BOOT is another capability'],
  ]);
  const more = program(DEFAULT_PROFILE, { capabilities: ['CAP_SYS_BOOT', 'sys_time', 'sys_module', 'dac_read_search', 'perfmon', 'bpf'] });
  check(more, [
    ['x86_64', 'reboot', [], ALLOW, 'CAP_SYS_BOOT'],
    ['x86_64', 'settimeofday', [], ALLOW, 'CAP_SYS_TIME'],
    ['x86_64', 'init_module', [], ALLOW, 'CAP_SYS_MODULE'],
    ['x86_64', 'open_by_handle_at', [], ALLOW, 'CAP_DAC_READ_SEARCH'],
    ['x86_64', 'perf_event_open', [], ALLOW, 'CAP_PERFMON'],
    ['x86_64', 'bpf', [], ALLOW, 'CAP_BPF'],
    ['x86_64', 'chroot', [], DENY, 'CAP_SYS_CHROOT dropped'],
    ['x86_64', 'mount', [], DENY, 'no CAP_SYS_ADMIN'],
  ]);
  const old = program(DEFAULT_PROFILE, { kernel: [4, 4] });
  check(old, [['x86_64', 'ptrace', [], DENY, 'before 4.8 ptrace could bypass seccomp']]);
});

// A reference for 64-bit unsigned comparisons, to check the two-word code against.
const OPS = {
  SCMP_CMP_EQ: (a: bigint, v: bigint) => a === v,
  SCMP_CMP_NE: (a: bigint, v: bigint) => a !== v,
  SCMP_CMP_LT: (a: bigint, v: bigint) => a < v,
  SCMP_CMP_LE: (a: bigint, v: bigint) => a <= v,
  SCMP_CMP_GT: (a: bigint, v: bigint) => a > v,
  SCMP_CMP_GE: (a: bigint, v: bigint) => a >= v,
} as const;

test('64-bit comparisons on 32-bit words: every op against a BigInt reference, at word boundaries', () => {
  const points = [0n, 1n, 0xffffffffn, 0x100000000n, 0x100000001n, 0x1ffffffffn, 0xfffffffe00000000n, 0xffffffffffffffffn, 0x8000000000000000n, 0x7fffffffffffffffn];
  for (const [op, ref] of Object.entries(OPS)) {
    for (const value of points) {
      const profile = validateProfile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 5, args: [{ index: 3, value: value.toString(), op }] }] }, 't');
      const prog = program(profile);
      for (const a of [...points, value - 1n, value + 1n].filter((x) => x >= 0n && x < 1n << 64n)) {
        const { ret } = runBpf(prog, { arch: AUDIT.x86_64, nr: nr('SCMP_ARCH_X86_64', 'mkdir'), args: [0n, 0n, 0n, a] });
        assert.is(ret >>> 0, ref(a, value) ? (RET.ERRNO | 5) >>> 0 : ALLOW, `${op} arg=0x${a.toString(16)} value=0x${value.toString(16)}`);
      }
    }
  }
});

test('MASKED_EQ: value is the mask, valueTwo the datum, on both words; 32-bit arches look at the low word only', () => {
  const profile = validateProfile({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86'],
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_KILL_PROCESS', args: [{ index: 1, value: '18446744069414584335', valueTwo: '4294967297', op: 'SCMP_CMP_MASKED_EQ' }] }],
  }, 't');
  // mask 0xffffffff0000000f, datum 0x0000000100000001
  const prog = program(profile);
  const mk = nr('SCMP_ARCH_X86_64', 'mkdir');
  const verdict = (a: bigint, arch = AUDIT.x86_64, n = mk): number => runBpf(prog, { arch, nr: n, args: [0n, a] }).ret >>> 0;
  assert.is(verdict(0x0000000100000001n), KILL);
  assert.is(verdict(0x00000001fffffff1n), KILL, 'bits outside the mask do not matter');
  assert.is(verdict(0x0000000200000001n), ALLOW, 'high word differs under the mask');
  assert.is(verdict(0x0000000100000002n), ALLOW, 'low word differs under the mask');
  const mk32 = nr('SCMP_ARCH_X86', 'mkdir');
  assert.is(verdict(0x00000001n, AUDIT.x86, mk32), KILL, 'i386: only the low word');
  assert.is(verdict(0x00000003n, AUDIT.x86, mk32), ALLOW);
});

test('far jumps: a program of thousands of instructions still reaches every verdict (long JA jumps)', () => {
  const rules = Array.from({ length: 300 }, (_, i) => ({ names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: i + 1, args: [{ index: 0, value: 1000 + i, op: 'SCMP_CMP_EQ' }] }));
  const profile = validateProfile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'close', 'getpid', 'exit_group'], action: 'SCMP_ACT_ALLOW' }, ...rules] }, 't');
  const prog = program(profile);
  const insns = decodeProgram(prog);
  assert.ok(insns.length > 1000, `a long program (${insns.length})`);
  assert.ok(insns.some((i) => i.code === OP.JA && i.k > 255), 'at least one jump farther than 8 bits reach');
  const w = nr('SCMP_ARCH_X86_64', 'write');
  for (const i of [0, 1, 150, 299]) assert.is(runBpf(prog, { arch: AUDIT.x86_64, nr: w, args: [BigInt(1000 + i)] }).ret >>> 0, (RET.ERRNO | (i + 1)) >>> 0, `rule ${i}`);
  assert.is(runBpf(prog, { arch: AUDIT.x86_64, nr: w, args: [5n] }).ret >>> 0, DENY, 'no rule matched: default');
  for (const call of ['read', 'close', 'getpid', 'exit_group']) assert.is(runBpf(prog, { arch: AUDIT.x86_64, nr: nr('SCMP_ARCH_X86_64', call) }).ret >>> 0, ALLOW, call);
  assert.is(runBpf(prog, { arch: AUDIT.x86, nr: 3 }).ret >>> 0, KILL, 'no i386 section: killed');
});

test('a custom profile: default ALLOW with mkdir denied; conditional rules before the unconditional one', () => {
  const profile = parseProfileText(JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' },
      { names: ['kill'], action: 'SCMP_ACT_ALLOW' },
      { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 3, args: [{ index: 1, value: 9, op: 'SCMP_CMP_EQ' }] },
      { name: 'rmdir', action: 'SCMP_ACT_LOG' },
    ],
  }), 'custom.json');
  const prog = program(profile);
  check(prog, [
    ['x86_64', 'mkdir', [], DENY, 'EPERM by default'],
    ['x86_64', 'mkdirat', [], DENY, 'EPERM by default'],
    ['x86_64', 'kill', [1n, 15n], ALLOW, 'SIGTERM'],
    ['x86_64', 'kill', [1n, 9n], RET.ERRNO | 3, 'the conditional rule is tried first'],
    ['x86_64', 'rmdir', [], RET.LOG, 'Docker\'s old single-name format'],
    ['x86_64', 'keyctl', [], ALLOW, 'default ALLOW'],
    ['x86_64', 1000, [], ALLOW, 'default ALLOW also beyond the table'],
  ]);
});

test('profile text: big integers stay exact; every problem is one line naming the field', () => {
  const p = parseProfileText('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}', 'x.json');
  assert.is(p.syscalls[0]!.args[0]!.value, 0xffffffffffffffffn);
  const bad: [string, RegExp][] = [
    ['{', /not JSON/],
    ['[]', /not a JSON object/],
    ['{"defaultAction":"SCMP_ACT_NOPE"}', /defaultAction: must be one of/],
    ['{"defaultAction":"SCMP_ACT_NOTIFY"}', /SCMP_ACT_NOTIFY/],
    ['{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_Z80"]}', /unknown architecture "SCMP_ARCH_Z80"/],
    ['{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"action":"SCMP_ACT_ALLOW"}]}', /syscalls\[0\]: needs names/],
    ['{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}', /args\[0\]\.index: must be 0 to 5/],
    ['{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":-1,"op":"SCMP_CMP_EQ"}]}]}', /value: must be an integer/],
    ['{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_XX"}]}]}', /op: must be one of/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":70000}', /defaultErrnoRet: must be an integer/],
    ['{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"four"}}]}', /minKernel/],
    ['{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/x.sock"}', /listenerPath/],
    ['{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_NOPE"]}', /flags: unknown flag/],
  ];
  for (const [text, re] of bad) {
    try {
      parseProfileText(text, 'p.json');
      assert.unreachable(`accepted ${text}`);
    } catch (e) {
      const m = (e as Error).message;
      assert.match(m, /^invalid seccomp profile p\.json: /, m);
      assert.match(m, re, m);
      assert.not.match(m, /\n/, 'one line');
    }
  }
});

test('an OCI config.json linux.seccomp is the same shape (lower camel case, architectures, flags)', () => {
  const oci = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], flags: ['SECCOMP_FILTER_FLAG_LOG'], syscalls: [{ names: ['read', 'write', 'execve'], action: 'SCMP_ACT_ALLOW' }, { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }] }] };
  const profile = validateProfile(oci, 'config.json linux.seccomp');
  assert.equal(profile.flags, ['SECCOMP_FILTER_FLAG_LOG']);
  check(program(profile), [
    ['x86_64', 'read', [], ALLOW, 'listed'],
    ['x86_64', 'open', [], RET.ERRNO | 38, 'defaultErrnoRet'],
    ['x86_64', 'personality', [8n], ALLOW, 'arg rule'],
    ['x86_64', 'personality', [9n], RET.ERRNO | 38, 'arg rule fails: default'],
    ['x86', 'write', [], ALLOW, 'i386 from architectures'],
  ]);
});

test('Docker\'s own default.json shape (archMap, includes, excludes, comments) is accepted', () => {
  const docker = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }, { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: null }],
    syscalls: [
      { names: ['read', 'execve'], action: 'SCMP_ACT_ALLOW', args: null, comment: '', includes: {}, excludes: {} },
      { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] } },
    ],
  };
  const prog = program(parseProfileText(JSON.stringify(docker), 'default.json'));
  check(prog, [
    ['x86_64', 'read', [], ALLOW, 'listed'],
    ['x86_64', 'ptrace', [], ALLOW, 'minKernel'],
    ['x86_64', 'clone', [NEWUSER], DENY, 'masked'],
    ['x86', 'execve', [], ALLOW, 'sub-architecture from archMap'],
  ]);
});

test('the default program is small and fast: a few hundred instructions, a short path for common calls', () => {
  const insns = decodeProgram(defaultBox);
  assert.ok(insns.length < 1500, `${insns.length} instructions`);
  const { steps } = runBpf(defaultBox, { arch: AUDIT.x86_64, nr: nr('SCMP_ARCH_X86_64', 'read') });
  assert.ok(steps <= 16, `read takes ${steps} instructions`);
});

test.run();
