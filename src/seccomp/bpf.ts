// Classic BPF as seccomp runs it: the few instructions a filter needs, an assembler that resolves symbolic labels
// (conditional jumps carry 8-bit offsets, so a far target goes through an unconditional JA, whose offset is 32-bit),
// and the encoding the kernel reads: struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }, 8 bytes, host order.

/** struct seccomp_data: nr (u32) at 0, arch (u32) at 4, instruction_pointer (u64) at 8, args[6] (u64) from 16. */
export const OFFSET_NR = 0;
export const OFFSET_ARCH = 4;
/** The low and high 32-bit words of argument i on a little-endian host. */
export const argLow = (i: number): number => 16 + 8 * i;
export const argHigh = (i: number): number => 20 + 8 * i;

/** SECCOMP_RET_* (the action is in the top 16 bits, its data in the low 16). */
export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

/** Opcodes (linux/filter.h): class | size | mode, or class | op | source. */
export const OP = {
  LD_W_ABS: 0x20,
  ALU_AND_K: 0x54,
  JA: 0x05,
  JEQ_K: 0x15,
  JGT_K: 0x25,
  JGE_K: 0x35,
  JSET_K: 0x45,
  RET_K: 0x06,
} as const;

/** The kernel's limit on one filter's length (BPF_MAXINSNS). */
export const MAX_INSNS = 4096;

export type Label = { readonly label: string };
export type Jump = 'jeq' | 'jgt' | 'jge' | 'jset';

/** One instruction before assembly: jumps name labels, never offsets. */
export type Insn =
  | { readonly op: 'ld'; readonly offset: number }
  | { readonly op: 'and'; readonly k: number }
  | { readonly op: Jump; readonly k: number; readonly jt: Label; readonly jf: Label }
  | { readonly op: 'ja'; readonly to: Label }
  | { readonly op: 'ret'; readonly k: number }
  | { readonly op: 'label'; readonly label: string };

/** One encoded instruction. */
export interface SockFilter {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

const JUMP_CODES: Readonly<Record<Jump, number>> = { jeq: OP.JEQ_K, jgt: OP.JGT_K, jge: OP.JGE_K, jset: OP.JSET_K };

/** Labels -> offsets; a conditional jump too far for its 8-bit offset jumps to a JA placed right after it. */
export function assemble(program: readonly Insn[]): SockFilter[] {
  let insns = [...program];
  let fresh = 0;
  for (;;) {
    const at = positions(insns);
    const out: Insn[] = [];
    let widened = false;
    for (const [i, insn] of insns.entries()) {
      if (insn.op !== 'jeq' && insn.op !== 'jgt' && insn.op !== 'jge' && insn.op !== 'jset') {
        out.push(insn);
        continue;
      }
      const here = at.index[i]!;
      const far = (l: Label): boolean => target(at, l) - here - 1 > 255;
      if (!far(insn.jt) && !far(insn.jf)) {
        out.push(insn);
        continue;
      }
      widened = true;
      const jt = far(insn.jt) ? { label: `far${fresh++}` } : insn.jt;
      const jf = far(insn.jf) ? { label: `far${fresh++}` } : insn.jf;
      out.push({ ...insn, jt, jf });
      if (jt !== insn.jt) out.push({ op: 'label', label: jt.label }, { op: 'ja', to: insn.jt });
      if (jf !== insn.jf) out.push({ op: 'label', label: jf.label }, { op: 'ja', to: insn.jf });
    }
    insns = out;
    if (!widened) break;
  }
  const at = positions(insns);
  const encoded: SockFilter[] = [];
  for (const [i, insn] of insns.entries()) {
    if (insn.op === 'label') continue;
    const here = at.index[i]!;
    const rel = (l: Label): number => {
      const d = target(at, l) - here - 1;
      if (d < 0) throw new Error(`BPF jumps only forward: label ${l.label}`);
      return d;
    };
    switch (insn.op) {
      case 'ld': encoded.push({ code: OP.LD_W_ABS, jt: 0, jf: 0, k: insn.offset }); break;
      case 'and': encoded.push({ code: OP.ALU_AND_K, jt: 0, jf: 0, k: insn.k >>> 0 }); break;
      case 'ret': encoded.push({ code: OP.RET_K, jt: 0, jf: 0, k: insn.k >>> 0 }); break;
      case 'ja': encoded.push({ code: OP.JA, jt: 0, jf: 0, k: rel(insn.to) }); break;
      default: encoded.push({ code: JUMP_CODES[insn.op], jt: rel(insn.jt), jf: rel(insn.jf), k: insn.k >>> 0 });
    }
  }
  return encoded;
}

interface Positions {
  /** For each entry of the list: its instruction number (labels: the next instruction's). */
  readonly index: readonly number[];
  readonly labels: Map<string, number>;
}

function positions(insns: readonly Insn[]): Positions {
  const index: number[] = [];
  const labels = new Map<string, number>();
  let n = 0;
  for (const insn of insns) {
    index.push(n);
    if (insn.op === 'label') {
      if (labels.has(insn.label)) throw new Error(`BPF label ${insn.label} defined twice`);
      labels.set(insn.label, n);
    } else n++;
  }
  return { index, labels };
}

function target(at: Positions, l: Label): number {
  const t = at.labels.get(l.label);
  if (t === undefined) throw new Error(`BPF label ${l.label} is never defined`);
  return t;
}

/** The program as the kernel reads it (struct sock_filter[], little-endian: x86_64 and aarch64). */
export function encodeProgram(filters: readonly SockFilter[]): Buffer {
  const buf = Buffer.alloc(filters.length * 8);
  filters.forEach((f, i) => {
    buf.writeUInt16LE(f.code, i * 8);
    buf.writeUInt8(f.jt, i * 8 + 2);
    buf.writeUInt8(f.jf, i * 8 + 3);
    buf.writeUInt32LE(f.k >>> 0, i * 8 + 4);
  });
  return buf;
}

/** The inverse of encodeProgram (for tests and `nsbox` diagnostics). */
export function decodeProgram(buf: Buffer): SockFilter[] {
  if (buf.length % 8 !== 0) throw new Error('a BPF program is a whole number of 8-byte instructions');
  const out: SockFilter[] = [];
  for (let i = 0; i < buf.length; i += 8) out.push({ code: buf.readUInt16LE(i), jt: buf.readUInt8(i + 2), jf: buf.readUInt8(i + 3), k: buf.readUInt32LE(i + 4) });
  return out;
}
