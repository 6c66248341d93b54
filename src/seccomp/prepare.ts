// What an image box's seccomp needs from the host before planning: the machine's architecture and kernel, the
// compiled program (cached in the store, src/seccomp/program-file.ts) and the loader the toolbox offers.
// Writes only the program cache; everything else is read.

import { release } from 'node:os';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { TOOLBOX_DIR, withFile, withoutPerl, type Toolbox } from '../rootfs/toolbox.js';
import { nativeArch, type ArchName } from './arches.js';
import { parseKernelRelease } from './compile.js';
import { DEFAULT_PROFILE } from './default-profile.js';
import { chooseLoader, type SeccompLoader } from './loader.js';
import { ensureProgramFile } from './program-file.js';
import type { SeccompChoice } from './security-opt.js';

/** The program's name in the toolbox. */
export const PROGRAM_NAME = 'seccomp.bpf';

/** A box's filter, as the plan shows and loads it. */
export interface BoxSeccomp {
  readonly loader: SeccompLoader;
  /** The program as the box sees it (in the toolbox). */
  readonly file: string;
  readonly arch: ArchName;
  /** For --explain: which profile. */
  readonly profile: string;
  readonly instructions: number;
}

export interface PreparedSeccomp {
  /** undefined: unconfined. */
  readonly seccomp: BoxSeccomp | undefined;
  /** The box's toolbox: with the program, and with perl only when perl loads it. */
  readonly toolbox: Toolbox;
}

/** Compiles (or finds) the box's program and picks the loader; an unusable host is a one-line error with the fix. */
export function prepareSeccomp(choice: SeccompChoice, capabilities: readonly string[], storeRoot: string, toolbox: Toolbox, nodeArch: string = process.arch): PreparedSeccomp {
  if (choice.kind === 'unconfined') return { seccomp: undefined, toolbox: { ...withoutPerl(toolbox), ownSessionKeyring: true } };
  const arch = nativeArch(nodeArch);
  if (arch === undefined) {
    throw new NsboxError(`cannot confine the box with seccomp: nsbox has no syscall table for ${nodeArch}`, { hint: 'run it with --security-opt seccomp=unconfined' });
  }
  const loader = chooseLoader({ setpriv: toolbox.setprivSeccompFilter === true, perl: (toolbox.perlOnly ?? []).includes('perl') || toolbox.files.some((f) => f.name === 'perl') });
  const profile = choice.kind === 'profile' ? choice.profile : DEFAULT_PROFILE;
  const program = ensureProgramFile(join(storeRoot, 'seccomp'), profile, { native: arch, capabilities, kernel: parseKernelRelease(release()) });
  const file = `${TOOLBOX_DIR}/${PROGRAM_NAME}`;
  const boxToolbox = { ...withFile(loader === 'perl' ? toolbox : withoutPerl(toolbox), { name: PROGRAM_NAME, source: program.path }), seccomp: { loader, file, arch }, ...(choice.kind === 'profile' ? { ownSessionKeyring: true } : {}) };
  return {
    seccomp: {
      loader,
      file,
      arch,
      profile: choice.kind === 'profile' ? choice.file : "nsbox's default (Docker's coverage)",
      instructions: program.instructions,
    },
    toolbox: boxToolbox,
  };
}
