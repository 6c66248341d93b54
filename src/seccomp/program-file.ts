// The compiled program of a box, as the file its loader reads: STORE/seccomp/<key>.bpf, where the key hashes the
// compiler's identity, the profile and what the program depends on (architecture, capabilities, kernel). Compiling
// takes milliseconds; a cached file costs nothing at the next run. Files are written whole (temp file + rename) and
// never changed: a box bind-mounts its program read-only into the toolbox.

import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPILER_ID, compileProfile, type CompileContext } from './compile.js';
import { encodeProgram } from './bpf.js';
import type { SeccompProfile } from './profile.js';

export interface ProgramFile {
  /** Host path of the program (struct sock_filter[], little-endian). */
  readonly path: string;
  readonly instructions: number;
}

/** The key of a program: the same inputs give the same file. */
export function programKey(profile: SeccompProfile, context: CompileContext): string {
  const text = JSON.stringify({ compiler: COMPILER_ID, profile, context }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** The program for this box in `dir` (STORE/seccomp), compiled and written when not there yet. */
export function ensureProgramFile(dir: string, profile: SeccompProfile, context: CompileContext): ProgramFile {
  const key = programKey(profile, context);
  const path = join(dir, `${key}.bpf`);
  try {
    return { path, instructions: statSync(path).size / 8 };
  } catch {
    // not compiled yet
  }
  const program = encodeProgram(compileProfile(profile, context).filters);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, program, { mode: 0o644 });
  renameSync(tmp, path);
  return { path, instructions: program.length / 8 };
}
