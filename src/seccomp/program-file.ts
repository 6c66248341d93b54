// The compiled program of a box, as the file its loader reads: STORE/seccomp/<name>.bpf, where the name hashes the
// compiler's identity, the profile and what the program depends on (architecture, capabilities, kernel). Compiling
// takes milliseconds; a cached file costs nothing at the next run. Files are written whole (temp file + rename) and
// never changed: a box bind-mounts its program read-only into the toolbox.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPILER_ID, compileProfile, type CompileContext } from './compile.js';
import { encodeProgram } from './bpf.js';
import { fnvHex } from '../host/fnv.js';
import { DEFAULT_PROFILE, DEFAULT_PROFILE_DIGEST } from './default-profile.js';
import type { SeccompProfile } from './profile.js';

export interface ProgramFile {
  /** Host path of the program (struct sock_filter[], little-endian). */
  readonly path: string;
  readonly instructions: number;
}

/**
 * What the program depends on, as text: the same text gives the same program. nsbox's default profile is named by
 * its digest (a constant kept true by a unit test): hashing its 20 kB of JSON cost every run ~3 ms.
 */
export function programKeyText(profile: SeccompProfile, context: CompileContext): string {
  const named = profile === DEFAULT_PROFILE ? `nsbox-default:${DEFAULT_PROFILE_DIGEST}` : profile;
  return JSON.stringify({ compiler: COMPILER_ID, profile: named, context }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** sha256 of the key text: the name when the quick name below is taken by another text (never by chance). */
export function programKey(profile: SeccompProfile, context: CompileContext): string {
  return createHash('sha256').update(programKeyText(profile, context)).digest('hex').slice(0, 32);
}

/**
 * The program for this box in `dir` (STORE/seccomp), compiled and written when not there yet. Its name is a quick
 * hash of the key text (FNV-1a: node:crypto alone costs a run ~5 ms of start-up), and the text itself lies beside it
 * (<name>.key): a program is used only when its text is this one, so a collision (or a crafted one) can never give a
 * box another profile's program; it then falls back to the sha256 name.
 */
export function ensureProgramFile(dir: string, profile: SeccompProfile, context: CompileContext): ProgramFile {
  const text = programKeyText(profile, context);
  const quick = join(dir, `f${quickHash(text)}`);
  const found = cached(quick, text);
  if (found) return found;
  const keyText = readOr(`${quick}.key`);
  // Free (nothing there yet) or ours: the quick name; taken by another text: the sha256 name.
  const base = keyText === undefined || keyText === text ? quick : join(dir, programKey(profile, context));
  if (base !== quick) {
    const other = cached(base, text);
    if (other) return other;
  }
  const program = encodeProgram(compileProfile(profile, context).filters);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  // The key first, then the program: a reader that finds the program finds its key.
  writeWhole(`${base}.key`, text);
  writeWhole(`${base}.bpf`, program);
  return { path: `${base}.bpf`, instructions: program.length / 8 };
}

/** The program at base.bpf if base.key holds exactly `text`. */
function cached(base: string, text: string): ProgramFile | undefined {
  try {
    const size = statSync(`${base}.bpf`).size;
    return readOr(`${base}.key`) === text ? { path: `${base}.bpf`, instructions: size / 8 } : undefined;
  } catch {
    return undefined; // not compiled yet
  }
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Written whole (temp file + rename), never changed afterwards: boxes bind the program read-only. */
function writeWhole(path: string, content: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, path);
}

/** 32 hex characters (FNV-1a with four seeds, src/host/fnv.ts). */
export function quickHash(text: string): string {
  return fnvHex(text, 4);
}
