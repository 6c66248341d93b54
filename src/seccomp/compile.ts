// Compiles a seccomp profile (Docker's JSON format, or an OCI linux.seccomp) to a classic BPF program. Pure.
//
// The program: check seccomp_data.arch against each architecture compiled (any other is killed: its syscall
// numbers mean other calls); per architecture, refuse x32 numbers with ENOSYS, then find the call's number in a
// binary search over runs of numbers that share a verdict, and at a call with argument rules test them in order.
//
// Semantics (libseccomp's where it defines them): the comparisons of one rule must all hold; of several rules for
// one call, the conditional ones are tried in profile order before the unconditional one (so `ioctl` allowed plus
// `ioctl(_, TIOCSTI)` refused refuses TIOCSTI); a call no rule names gets the default action, except that a number
// beyond nsbox's syscall table (a call newer than this nsbox) gets ENOSYS, as runc does, so libc falls back.

import { NsboxError } from '../errors.js';
import { ARCHES, X32_SYSCALL_BIT, type ArchInfo, type ArchName } from './arches.js';
import { argHigh, argLow, assemble, MAX_INSNS, OFFSET_ARCH, OFFSET_NR, RET, type Insn, type Label, type SockFilter } from './bpf.js';
import type { SeccompAction, SeccompArg, SeccompFilter, SeccompProfile, SeccompRule } from './profile.js';

/**
 * Names this compiler's output: part of every cached program's key (src/seccomp/program-file.ts). Change it with
 * any change to what a profile compiles to; a unit test pins the default program's hash to it.
 */
export const COMPILER_ID = 'nsbox-seccomp-1';

export const EPERM = 1;
export const ENOSYS = 38;

export interface CompileContext {
  /** The machine's architecture: always compiled, and what includes/excludes.arches match. */
  readonly native: ArchName;
  /** The box's capabilities (bounding set), in any spelling: "sys_admin", "CAP_SYS_ADMIN". */
  readonly capabilities: readonly string[];
  /** The running kernel's [major, minor], for includes/excludes.minKernel. */
  readonly kernel: readonly [number, number];
}

export interface CompiledFilter {
  readonly filters: readonly SockFilter[];
  /** The architectures the program has sections for, native first. */
  readonly arches: readonly ArchName[];
}

/** A call's verdict in one architecture: its rules with arguments (in order), then the fallback return value. */
interface CallVerdict {
  readonly conditional: { readonly args: readonly SeccompArg[]; readonly ret: number }[];
  unconditional: number | undefined;
}

/** Profile + box -> the BPF program the kernel will run for every syscall of the box. */
export function compileProfile(profile: SeccompProfile, context: CompileContext): CompiledFilter {
  const arches = chooseArches(profile, context.native);
  const caps = new Set(context.capabilities.map(capName));
  const rules = profile.syscalls.filter((r) => applies(r, caps, context));
  const defaultRet = actionValue(profile.defaultAction, profile.defaultErrnoRet ?? EPERM);
  // A call newer than nsbox's table: ENOSYS unless the profile allows (or only logs or traces) what it does not name.
  const denyByDefault = !['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(profile.defaultAction);
  const program: Insn[] = [{ op: 'ld', offset: OFFSET_ARCH }];
  const sections = arches.map((name) => ({ arch: ARCHES[name], start: { label: `arch_${name}` } }));
  for (const s of sections) {
    const next = { label: `not_${s.arch.name}` };
    program.push({ op: 'jeq', k: s.arch.audit, jt: s.start, jf: next }, { op: 'label', label: next.label });
  }
  program.push({ op: 'ret', k: RET.KILL_PROCESS });
  for (const s of sections) {
    program.push({ op: 'label', label: s.start.label });
    program.push(...compileArch(s.arch, rules, defaultRet, denyByDefault));
  }
  const filters = assemble(program);
  if (filters.length > MAX_INSNS) throw new NsboxError(`cannot load the seccomp profile: its program has ${filters.length} instructions, the kernel takes at most ${MAX_INSNS}`);
  return { filters, arches };
}

/** The native architecture, then the archMap's sub-architectures for it and `architectures`, where nsbox has a table. */
export function chooseArches(profile: SeccompProfile, native: ArchName): ArchName[] {
  const listed = [
    ...(profile.archMap?.find((m) => m.architecture === native)?.subArchitectures ?? []),
    ...(profile.architectures ?? []),
  ];
  const out: ArchName[] = [native];
  for (const a of listed) if (a in ARCHES && !out.includes(a as ArchName)) out.push(a as ArchName);
  return out;
}

function compileArch(arch: ArchInfo, rules: readonly SeccompRule[], defaultRet: number, denyByDefault: boolean): Insn[] {
  const verdicts = new Map<number, CallVerdict>();
  for (const rule of rules) {
    const ret = actionValue(rule.action, rule.errnoRet ?? EPERM);
    for (const name of rule.names) {
      const nr = arch.syscalls[name];
      if (nr === undefined) continue; // not a call of this architecture (Docker's profiles name every arch's)
      const v = verdicts.get(nr) ?? { conditional: [], unconditional: undefined };
      verdicts.set(nr, v);
      if (rule.args.length > 0) v.conditional.push({ args: rule.args, ret });
      else if (v.unconditional === undefined) v.unconditional = ret; // the first unconditional rule wins
    }
  }
  const tableMax = Math.max(...Object.values(arch.syscalls));
  const beyond = denyByDefault ? RET.ERRNO | ENOSYS : defaultRet;
  const out: Insn[] = [{ op: 'ld', offset: OFFSET_NR }];
  if (arch.name === 'SCMP_ARCH_X86_64') {
    const x32 = { label: `${arch.name}_x32` };
    const native = { label: `${arch.name}_native` };
    out.push({ op: 'jset', k: X32_SYSCALL_BIT, jt: x32, jf: native }, { op: 'label', label: x32.label }, { op: 'ret', k: RET.ERRNO | ENOSYS }, { op: 'label', label: native.label });
  }
  const runs = buildRuns(verdicts, defaultRet, tableMax, beyond);
  let labels = 0;
  const fresh = (): Label => ({ label: `${arch.name}_${labels++}` });
  const emitTree = (lo: number, hi: number): void => {
    if (lo === hi) {
      const run = runs[lo]!;
      if (typeof run.verdict === 'number') out.push({ op: 'ret', k: run.verdict });
      else out.push(...emitRules(arch, run.verdict, defaultRet, fresh));
      return;
    }
    const mid = (lo + hi + 1) >> 1;
    const right = fresh();
    const left = fresh();
    out.push({ op: 'jge', k: runs[mid]!.start, jt: right, jf: left }, { op: 'label', label: left.label });
    emitTree(lo, mid - 1);
    out.push({ op: 'label', label: right.label });
    emitTree(mid, hi);
  };
  emitTree(0, runs.length - 1);
  return out;
}

interface Run {
  readonly start: number;
  /** A return value, or the rules of the one call this run is. */
  readonly verdict: number | CallVerdict;
}

/** The whole u32 range of syscall numbers as runs; neighbours with the same plain verdict merge. */
function buildRuns(verdicts: ReadonlyMap<number, CallVerdict>, defaultRet: number, tableMax: number, beyond: number): Run[] {
  const runs: Run[] = [];
  const push = (start: number, verdict: number | CallVerdict): void => {
    const last = runs[runs.length - 1];
    if (last && typeof last.verdict === 'number' && last.verdict === verdict) return;
    runs.push({ start, verdict });
  };
  let next = 0;
  for (const nr of [...verdicts.keys()].sort((a, b) => a - b)) {
    if (nr > next) push(next, defaultRet);
    const v = verdicts.get(nr)!;
    push(nr, v.conditional.length === 0 ? v.unconditional! : v);
    next = nr + 1;
  }
  if (next <= tableMax) push(next, defaultRet);
  push(Math.max(next, tableMax + 1), beyond);
  return runs;
}

/** A call with argument rules: each rule's comparisons (a failed one skips to the next rule), then the fallback. */
function emitRules(arch: ArchInfo, v: CallVerdict, defaultRet: number, fresh: () => Label): Insn[] {
  const out: Insn[] = [];
  for (const rule of v.conditional) {
    const nextRule = fresh();
    for (const cmp of rule.args) {
      const pass = fresh();
      out.push(...emitCompare(arch, cmp, pass, nextRule, fresh), { op: 'label', label: pass.label });
    }
    out.push({ op: 'ret', k: rule.ret }, { op: 'label', label: nextRule.label });
  }
  out.push({ op: 'ret', k: v.unconditional ?? defaultRet });
  return out;
}

/**
 * One 64-bit unsigned comparison from two 32-bit words: decide on the high word, and only when it is equal look at
 * the low one. A 32-bit architecture has only the low word. Ends jumping to `pass` or `fail`.
 */
export function emitCompare(arch: ArchInfo, cmp: SeccompArg, pass: Label, fail: Label, fresh: () => Label): Insn[] {
  const value = cmp.op === 'SCMP_CMP_MASKED_EQ' ? cmp.valueTwo : cmp.value;
  const mask = cmp.op === 'SCMP_CMP_MASKED_EQ' ? cmp.value : 0xffffffffffffffffn;
  const hi = Number((value >> 32n) & 0xffffffffn);
  const lo = Number(value & 0xffffffffn);
  const maskHi = Number((mask >> 32n) & 0xffffffffn);
  const maskLo = Number(mask & 0xffffffffn);
  const wide = arch.bits === 64;
  const out: Insn[] = [];
  const low = fresh();
  const ldLow: Insn[] = [{ op: 'label', label: low.label }, { op: 'ld', offset: argLow(cmp.index) }];
  const ldHigh: Insn = { op: 'ld', offset: argHigh(cmp.index) };
  switch (cmp.op) {
    case 'SCMP_CMP_EQ':
      if (wide) out.push(ldHigh, { op: 'jeq', k: hi, jt: low, jf: fail });
      out.push(...ldLow, { op: 'jeq', k: lo, jt: pass, jf: fail });
      break;
    case 'SCMP_CMP_NE':
      if (wide) out.push(ldHigh, { op: 'jeq', k: hi, jt: low, jf: pass });
      out.push(...ldLow, { op: 'jeq', k: lo, jt: fail, jf: pass });
      break;
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE': {
      if (wide) {
        const eq = fresh();
        out.push(ldHigh, { op: 'jgt', k: hi, jt: pass, jf: eq }, { op: 'label', label: eq.label }, { op: 'jeq', k: hi, jt: low, jf: fail });
      }
      out.push(...ldLow, { op: cmp.op === 'SCMP_CMP_GT' ? 'jgt' : 'jge', k: lo, jt: pass, jf: fail });
      break;
    }
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      if (wide) {
        const eq = fresh();
        out.push(ldHigh, { op: 'jgt', k: hi, jt: fail, jf: eq }, { op: 'label', label: eq.label }, { op: 'jeq', k: hi, jt: low, jf: pass });
      }
      // a < lo  is  !(a >= lo);  a <= lo  is  !(a > lo)
      out.push(...ldLow, { op: cmp.op === 'SCMP_CMP_LT' ? 'jge' : 'jgt', k: lo, jt: fail, jf: pass });
      break;
    }
    case 'SCMP_CMP_MASKED_EQ':
      // (arg & mask) == datum, word by word; a word whose mask and datum are both 0 always matches, and a datum
      // with bits outside the mask never does.
      if ((wide && (hi & ~maskHi) !== 0) || (lo & ~maskLo) !== 0) {
        out.push({ op: 'ja', to: fail });
        break;
      }
      if (wide && maskHi !== 0) out.push(ldHigh, { op: 'and', k: maskHi }, { op: 'jeq', k: hi, jt: low, jf: fail });
      out.push(...ldLow, { op: 'and', k: maskLo }, { op: 'jeq', k: lo, jt: pass, jf: fail });
      break;
  }
  return out;
}

/** SECCOMP_RET_* for an action; `data` is the errno (ERRNO) or the tracer's message (TRACE). */
export function actionValue(action: SeccompAction, data: number): number {
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return RET.TRAP;
    case 'SCMP_ACT_ERRNO': return (RET.ERRNO | (data & 0xffff)) >>> 0;
    case 'SCMP_ACT_TRACE': return (RET.TRACE | (data & 0xffff)) >>> 0;
    case 'SCMP_ACT_LOG': return RET.LOG;
    case 'SCMP_ACT_ALLOW': return RET.ALLOW;
  }
}

/** Docker's rule filters: includes needs every cap held, the host's arch listed, the kernel new enough; excludes any. */
function applies(rule: SeccompRule, caps: ReadonlySet<string>, context: CompileContext): boolean {
  const archNames = ARCHES[context.native].aliases;
  const inc = rule.includes;
  if (inc) {
    if (inc.caps && !inc.caps.every((c) => caps.has(capName(c)))) return false;
    if (inc.arches && !inc.arches.some((a) => archNames.includes(a))) return false;
    if (inc.minKernel && !kernelAtLeast(context.kernel, inc.minKernel)) return false;
  }
  const exc: SeccompFilter | undefined = rule.excludes;
  if (exc) {
    if (exc.caps?.some((c) => caps.has(capName(c)))) return false;
    if (exc.arches?.some((a) => archNames.includes(a))) return false;
    if (exc.minKernel && kernelAtLeast(context.kernel, exc.minKernel)) return false;
  }
  return true;
}

function kernelAtLeast(kernel: readonly [number, number], min: readonly [number, number]): boolean {
  return kernel[0] > min[0] || (kernel[0] === min[0] && kernel[1] >= min[1]);
}

/** "sys_admin", "CAP_SYS_ADMIN", "cap_sys_admin" -> "CAP_SYS_ADMIN". */
function capName(name: string): string {
  const upper = name.toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** "6.1.0-18-amd64" -> [6, 1]. */
export function parseKernelRelease(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}
