// A classic BPF interpreter for seccomp programs, written from linux/filter.h and the kernel's seccomp checker
// (not from nsbox's compiler): it decodes raw struct sock_filter bytes and runs them over a struct seccomp_data.
// Like the kernel, it refuses backward or out-of-range jumps, loads outside seccomp_data and a fall off the end.

export interface SeccompData {
  readonly arch: number;
  readonly nr: number;
  /** Up to six 64-bit arguments. */
  readonly args?: readonly bigint[];
}

const BPF_CLASS = (code: number): number => code & 0x07;
const BPF_SIZE = (code: number): number => code & 0x18;
const BPF_MODE = (code: number): number => code & 0xe0;
const BPF_OP = (code: number): number => code & 0xf0;
const BPF_SRC = (code: number): number => code & 0x08;

const LD = 0x00, LDX = 0x01, ST = 0x02, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
const W = 0x00, ABS = 0x20, IMM = 0x00, MEM = 0x60;
const X = 0x08;

/** The seccomp_data bytes the kernel hands the filter (little-endian). */
export function seccompData(d: SeccompData): Buffer {
  const buf = Buffer.alloc(64);
  buf.writeUInt32LE(d.nr >>> 0, 0);
  buf.writeUInt32LE(d.arch >>> 0, 4);
  buf.writeBigUInt64LE(0n, 8);
  (d.args ?? []).forEach((a, i) => buf.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  return buf;
}

/** Runs `program` (raw bytes) over `data`; returns the 32-bit SECCOMP_RET_* value and the instructions executed. */
export function runBpf(program: Buffer, data: SeccompData): { ret: number; steps: number } {
  if (program.length % 8 !== 0 || program.length === 0) throw new Error('program: not a whole number of instructions');
  const n = program.length / 8;
  const mem = seccompData(data);
  const scratch = new Uint32Array(16);
  let a = 0;
  let x = 0;
  let pc = 0;
  let steps = 0;
  while (pc < n) {
    steps++;
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    const jump = (off: number): void => {
      if (pc + 1 + off >= n) throw new Error(`jump out of the program at ${pc}`);
      pc += 1 + off;
    };
    switch (BPF_CLASS(code)) {
      case LD:
        if (BPF_MODE(code) === ABS && BPF_SIZE(code) === W) {
          if (k % 4 !== 0 || k + 4 > 64) throw new Error(`load outside seccomp_data at ${pc}: offset ${k}`);
          a = mem.readUInt32LE(k);
        } else if (BPF_MODE(code) === IMM) a = k;
        else if (BPF_MODE(code) === MEM) a = scratch[k]!;
        else throw new Error(`unsupported load 0x${code.toString(16)} at ${pc}`);
        pc++;
        break;
      case LDX:
        if (BPF_MODE(code) === IMM) x = k;
        else if (BPF_MODE(code) === MEM) x = scratch[k]!;
        else throw new Error(`unsupported ldx 0x${code.toString(16)} at ${pc}`);
        pc++;
        break;
      case ST:
        scratch[k] = a;
        pc++;
        break;
      case ALU: {
        const v = BPF_SRC(code) === X ? x : k;
        switch (BPF_OP(code)) {
          case 0x00: a = (a + v) >>> 0; break;
          case 0x10: a = (a - v) >>> 0; break;
          case 0x50: a = (a & v) >>> 0; break;
          case 0x40: a = (a | v) >>> 0; break;
          case 0x60: a = (a << v) >>> 0; break;
          case 0x70: a = a >>> v; break;
          case 0x80: a = (-a) >>> 0; break;
          default: throw new Error(`unsupported alu 0x${code.toString(16)} at ${pc}`);
        }
        pc++;
        break;
      }
      case JMP: {
        const op = BPF_OP(code);
        if (op === 0x00) {
          jump(k);
          break;
        }
        const v = BPF_SRC(code) === X ? x : k;
        const ua = a >>> 0;
        const uv = v >>> 0;
        let taken: boolean;
        if (op === 0x10) taken = ua === uv;
        else if (op === 0x20) taken = ua > uv;
        else if (op === 0x30) taken = ua >= uv;
        else if (op === 0x40) taken = (ua & uv) !== 0;
        else throw new Error(`unsupported jump 0x${code.toString(16)} at ${pc}`);
        jump(taken ? jt : jf);
        break;
      }
      case RET:
        return { ret: (code & 0x18) === 0x10 ? a : k, steps };
      case MISC:
        if (code === 0x07) x = a; // TAX
        else if (code === 0x87) a = x; // TXA
        else throw new Error(`unsupported misc 0x${code.toString(16)} at ${pc}`);
        pc++;
        break;
      default:
        throw new Error(`unsupported instruction 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('the program fell off its end');
}
