// The part of `nsbox cp` that runs inside the box: the toolbox's sh and tar, entered the way `nsbox exec` enters
// (src/lifecycle/exec-argv.ts: read-only nsenter, every namespace of PID 1, the box's root and cwd from setns), as the
// box's root with the box's bounding set, no_new_privs and seccomp filter. Every box path is resolved here, by the
// kernel, in the box's root: a symlink to `/` or `/etc/shadow` leads to the box's own, never the host's.
// Pure: argv only.

import { buildFinalExecArgv, type FinalExecInput } from '../rootfs/final-exec.js';
import { toolboxArgv, type Toolbox } from '../rootfs/toolbox.js';
import { decodeCapabilities } from '../ns/cap-names.js';
import { enterImageBox, type ImageExecRequest, type InitFacts } from '../lifecycle/exec-argv.js';
import type { CopyPath } from './cp-spec.js';

/** Exit codes of the scripts below, and what they mean (cp.ts words the message). */
export const BOX_EXIT = { noDir: 3, noPath: 4, notDir: 5, cannotEnter: 6 } as const;

/**
 * Box -> host: `cd DIR`, check NAME, then tar it (or `.`, the contents of NAME/. and of a symlink -L follows to a
 * directory) to stdout. Arguments: DIR NAME FOLLOW CONTENTS, then tar's words. Builtins only (dash).
 */
export const ARCHIVE_SCRIPT = [
  'd=$1 n=$2 follow=$3 contents=$4; shift 4',
  `cd -- "$d" 2>/dev/null || exit ${BOX_EXIT.noDir}`,
  // The box's root: not the kernel's files at /proc and /sys (docker cp archives the root without them either).
  'if [ -z "$n" ]; then exec "$@" --anchored \'--exclude=./proc/*\' \'--exclude=./sys/*\' .; fi',
  `[ -e "$n" ] || [ -L "$n" ] || exit ${BOX_EXIT.noPath}`,
  `if [ "$follow" = 1 ] && ! [ -e "$n" ]; then exit ${BOX_EXIT.noPath}; fi`,
  'if [ "$contents" = 1 ] || { [ "$follow" = 1 ] && [ -L "$n" ] && [ -d "$n" ]; }; then',
  `  cd -P -- "$n" 2>/dev/null || exit ${BOX_EXIT.notDir}`,
  '  if [ "$PWD" = / ]; then exec "$@" --anchored \'--exclude=./proc/*\' \'--exclude=./sys/*\' .; fi',
  '  exec "$@" .',
  'fi',
  'if [ "$follow" = 1 ]; then exec "$@" --dereference "./$n"; fi',
  'exec "$@" "./$n"',
].join('\n');

/**
 * Host -> box: says what DEST is (dir, file, missing) on stdout, changes to where the archive goes (DEST, or its
 * parent), and extracts only after the host answers `go` (the host picks the archive's names from the answer; any
 * other line or EOF: nothing is written). Arguments: DEST PARENT, then tar's words.
 */
export const EXTRACT_SCRIPT = [
  't=$1 p=$2; shift 2',
  'if [ -d "$t" ]; then',
  `  cd -- "$t" 2>/dev/null || exit ${BOX_EXIT.cannotEnter}`,
  '  echo dir',
  'elif [ -e "$t" ] || [ -L "$t" ]; then',
  `  cd -- "$p" 2>/dev/null || exit ${BOX_EXIT.noDir}`,
  '  echo file',
  'else',
  `  [ -d "$p" ] || exit ${BOX_EXIT.noDir}`,
  `  cd -- "$p" 2>/dev/null || exit ${BOX_EXIT.noDir}`,
  '  echo missing',
  'fi',
  'read -r go || exit 0',
  '[ "$go" = go ] || exit 0',
  'exec "$@"',
].join('\n');

/** What DEST in the box is, as EXTRACT_SCRIPT answers. */
export type BoxDestKind = 'dir' | 'file' | 'missing';

export interface BoxSideInput {
  readonly facts: InitFacts;
  readonly toolbox: Toolbox;
  /** The files of the box's cgroups a self-move writes 0 into (selfJoinFile), as exec's. */
  readonly cgroupJoinFiles: readonly string[];
  readonly tools: ImageExecRequest['tools'];
}

/** tar's words for both sides: numeric ids (no NSS lookup in the box, and the box's ids as they are). */
const TAR_COMMON = ['--numeric-owner'];

/** The box's tar creating the archive of `src` on stdout. */
export function buildArchiveArgv(input: BoxSideInput, src: CopyPath, followLink: boolean): string[] {
  const tar = [...toolboxArgv(input.toolbox, 'tar'), '--create', '--file=-', ...TAR_COMMON];
  return boxCommand(input, [ARCHIVE_SCRIPT, 'nsbox-cp', src.dir, src.name, followLink ? '1' : '0', src.contents ? '1' : '0', ...tar]);
}

/**
 * The box's tar extracting stdin at `dest` (after the go line): as root, owners from the archive only with -a (docker
 * cp makes the files root's otherwise), existing directories keep their owner and mode.
 */
export function buildExtractArgv(input: BoxSideInput, dest: CopyPath, archive: boolean): string[] {
  const tar = [...toolboxArgv(input.toolbox, 'tar'), '--extract', '--file=-', ...TAR_COMMON, '--no-overwrite-dir', archive ? '--same-owner' : '--no-same-owner'];
  return boxCommand(input, [EXTRACT_SCRIPT, 'nsbox-cp', dest.path, dest.dir, ...tar]);
}

/**
 * enter (exec's way) -> setpriv (the box's bounding set, no_new_privs) -> filter -> env -i (a fixed environment:
 * nothing of the box's, e.g. TAR_OPTIONS) -> the toolbox's sh -c SCRIPT. As uid 0 in the box, as docker cp.
 */
function boxCommand(input: BoxSideInput, script: readonly string[]): string[] {
  const final: FinalExecInput = {
    toolbox: input.toolbox,
    uid: 0,
    gid: 0,
    groups: [],
    capabilities: decodeCapabilities(input.facts.capBnd).map((c) => c.replace(/^cap_/, '')),
    noNewPrivs: input.facts.noNewPrivs,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
    workdir: '/',
    ...(input.toolbox.seccomp ? { seccomp: input.toolbox.seccomp } : {}),
    pdeathsig: true,
  };
  return [...enterImageBox(input.facts, input.cgroupJoinFiles, input.tools, { ownSessionKeyring: input.toolbox.ownSessionKeyring }), ...buildFinalExecArgv(final), ...toolboxArgv(input.toolbox, input.toolbox.shell ?? 'sh'), '-c', ...script];
}
