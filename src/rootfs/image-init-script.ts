// The init of a box with its own root file system: the teaching centrepiece of `nsbox run IMAGE --explain`.
// It runs as PID 1 inside the new namespaces, builds the root from the image (overlay, /proc, /sys, /dev,
// /etc files, volumes), enters it with pivot_root, detaches the host's root, drops privileges with setpriv and
// becomes the command (final-exec.ts). Only stock tools: mount, mkdir, ln, pivot_root, umount, setpriv, env.

import { unsetLine } from '../plan/script-env.js';
import { quoteWord } from '../plan/quote.js';
import type { ContainerDir } from './container-dir.js';
import { buildFinalExecArgv, identityKept, loaderAppliesEnv, type FinalExecInput } from './final-exec.js';
import { TOOLBOX_DIR, toolboxArgv, type Toolbox } from './toolbox.js';
import type { BoxUser } from './image-user.js';
import { preloadOverMountLines } from './preload-guard.js';
import { commandCheckLines } from './command-check.js';
import { describeBlockDeviceGuard, type BlockDeviceGuard } from './block-devices.js';
import { CGROUP_VIEW_DIR, cgroupNamespaceArgv, type CgroupView } from './cgroup-view.js';
import type { BoxSeccomp } from '../seccomp/prepare.js';
import { enterRootLines, seccompComment, STEP_FUNCTION } from '../init/script-parts.js';
import { ARCHES, type ArchName } from '../seccomp/arches.js';

/** The device nodes every box gets, bind-mounted from the host (Docker's list; with -t, console is the box's pty). */
export const BOX_DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'] as const;

/** The /dev links every box gets (name -> target). */
export const DEV_LINKS: readonly (readonly [string, string])[] = [
  ['fd', '/proc/self/fd'],
  ['stdin', '/proc/self/fd/0'],
  ['stdout', '/proc/self/fd/1'],
  ['stderr', '/proc/self/fd/2'],
  ['ptmx', 'pts/ptmx'],
];

export interface ImageInitInput {
  readonly container: ContainerDir;
  /** --device targets below the box's /dev ("net/tun"): their mount points. */
  readonly devices?: readonly string[];
  /** overlay lowerdirs, top-most first: the init layer, then the image's layers (or the --rootfs directory). */
  readonly lowerDirs: readonly string[];
  readonly hostname: string;
  readonly readOnly: boolean;
  /** The upper layer goes with the box (foreground --rm): overlay's `volatile`, no sync at unmount (overlay-volatile.ts). */
  readonly volatile?: boolean;
  /** The box has a network namespace of its own: bring its lo up. */
  readonly loUp: boolean;
  /** Mount destinations (relative to the root) re-checked for symlinks in the merged root before any mount. */
  readonly confined: readonly string[];
  /** -t: /dev/console is the box's own pty (the init's fd 0). */
  readonly console: boolean;
  readonly toolbox: Toolbox;
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly user: BoxUser;
  readonly capabilities: readonly string[];
  readonly noNewPrivs: boolean;
  /** Shown as a comment next to the capability drop (how block devices are refused). */
  readonly blockDevices?: BlockDeviceGuard;
  /** The box's own cgroups at /sys/fs/cgroup (mount points made here; the command gets a cgroup namespace). */
  readonly cgroupView?: CgroupView;
  /** The seccomp filter loaded just before the command (undefined: unconfined). */
  readonly seccomp?: BoxSeccomp;
  /** --init: PID 1 is a small reaper (the toolbox's sh, as dropped as the command) and the command its child. */
  readonly init?: boolean;
  /** A writable user mount covers /etc or /etc/ld.so.preload: mask that file on top of it (preload-guard.ts). */
  readonly preloadOverMount?: boolean;
  /** The init runs as uid 0 and gid 0 (nsbox's own): a 0:0 box user needs no second setpriv (final-exec.ts). */
  readonly startsAsRoot?: boolean;
  /** This machine's architecture (syscall numbers for the perl that enters the root); undefined: the tools do it. */
  readonly arch?: ArchName;
}

/**
 * --init's PID 1, like docker run --init (tini): starts the command, forwards the signals stop and kill send, reaps
 * orphans, and exits with the command's status. Builtins only: after pivot_root it runs from the toolbox.
 */
export const INIT_REAPER = [
  'unset NSBOX_INIT_REAPER  # this text, passed in the environment (see initReaperArgv): the command does not inherit it',
  '# A shell starts a background job with SIGINT and SIGQUIT ignored, and exec keeps that (no shell can even trap them',
  '# then): the toolbox\'s env --default-signal=INT,QUIT, its words in NSBOX_INIT_SIGNALS, gives the command both back.',
  'signals=${NSBOX_INIT_SIGNALS:-}; unset NSBOX_INIT_SIGNALS',
  'exec 4<&0  # a background job would get /dev/null as stdin: hand it the real one',
  '$signals "$@" <&4 4<&- &',
  'child=$!',
  'exec 4<&-',
  'for sig in HUP INT QUIT TERM USR1 USR2 WINCH; do trap "kill -$sig $child 2>/dev/null" "$sig"; done',
  'while :; do wait "$child"; status=$?; kill -0 "$child" 2>/dev/null || break; done',
  'exit "$status"',
].join('\n');

/**
 * The words after env's variables that make the toolbox's sh the --init reaper: its text as one more variable, so
 * ps shows `sh -c eval "$NSBOX_INIT_REAPER" nsbox-init CMD...`, not the script; and the toolbox's env words that
 * restore the command's SIGINT and SIGQUIT (paths without spaces: the reaper splits them at spaces).
 */
function initReaperArgv(shell: readonly string[], env: readonly string[]): string[] {
  return [`NSBOX_INIT_REAPER=${INIT_REAPER}`, `NSBOX_INIT_SIGNALS=${[...env, '--default-signal=INT,QUIT', '--'].join(' ')}`, ...shell, '-c', 'eval "$NSBOX_INIT_REAPER"', 'nsbox-init'];
}

/** The init script's text; the command's argv arrives as "$@". */
export function buildImageInitScript(input: ImageInitInput): string {
  const c = input.container;
  const lines: string[] = [
    '# PID 1 of the box, in its new namespaces: builds the root from the image, enters it, becomes the command.',
    unsetLine(['init']),
    '# Every mount below happens in this new mount namespace (private propagation): the host never sees one.',
    '# A failed step reports on fd 3 (nsbox prints it) and exits 125.',
    STEP_FUNCTION,
    'mkfiles() { for f; do : > "$f" || return 1; done; }',
    `C=${quoteWord(c.dir)}  # the container's directory on the host`,
    'R=$C/rootfs  # the box\'s root, mounted here only',
    `T=$R${TOOLBOX_DIR}  # the toolbox: host setpriv and umount, for after pivot_root`,
    '',
    '# The uts namespace is new: name it (/proc/sys/kernel/hostname is per uts namespace).',
    `step eval ${quoteWord(`echo ${quoteWord(input.hostname)} > /proc/sys/kernel/hostname`)}`,
  ];
  // With perl, section 4's one perl brings lo up too (one process less).
  if (input.loUp && !hasPerl(input.toolbox)) lines.push('# The network namespace is new: it has only lo, and lo is down.', 'step ip link set lo up');
  lines.push(
    '',
    '# 1. The root: the image\'s layers, read-only, under the container\'s own copy-on-write upper layer.',
    `#    lowerdir is top-most first: the init layer (mount points the image lacks), then the image.${input.readOnly ? ' --read-only: ro.' : ''}`,
    ...(input.volatile ? ['#    --rm: volatile (the upper layer is deleted when the box ends: no sync of it at unmount).'] : []),
    `step mount -n -t overlay -o ${quoteWord(overlayOptions(input))} overlay "$R"`,
    '',
    '# 2. A hostile image could make a mount destination a symlink to a host path: refuse any symlink on the way.',
    '#    (nsbox checked the layers before; this checks the merged root itself, just before mounting.)',
    'confined() {',
    '  for p; do',
    '    t=$R; rest=$p',
    '    while [ -n "$rest" ]; do',
    '      c=${rest%%/*}; if [ "$c" = "$rest" ]; then rest=; else rest=${rest#*/}; fi',
    '      t=$t/$c',
    '      if [ -L "$t" ]; then echo "refusing to mount on /$p: /${t#"$R"/} is a symlink in the image" >&3; exit 125; fi',
    '    done',
    '  done',
    '}',
    `confined ${input.confined.map(quoteWord).join(' ')}`,
    '',
    '# 3. /proc of the new pid namespace, /sys, and an empty tmpfs for /dev (see the file for each line\'s why).',
    `step mount -n --all --fstab "$C/${basename(c.fstabEarly)}"`,
    '',
    '# 4. Fill /dev: mount points for the host\'s device nodes and the toolbox, then the standard links.',
    `step mkfiles ${[...BOX_DEVICES, ...(input.console ? ['console'] : [])].map((d) => `"$R/dev/${d}"`).join(' ')}`,
    ...initDirsAndLinks(input),
    ...deviceMountPoints(input.devices ?? []),
    '',
    '# 5. Device nodes, devpts, shm, mqueue, /etc files, volumes, tmpfs, masked and read-only kernel paths, toolbox.',
    ...(input.toolbox.dir !== undefined
      ? ['#    Its last line binds the toolbox, one directory, read-only (nsbox exec runs its tools with every capability:',
        '#    a box process must not be able to rename it away, change a file or put one in it).']
      : ['#    Its last line makes the toolbox directory itself a read-only mount (nsbox exec runs its tools with every',
        '#    capability: a box process must not be able to rename it away or put files in it).']),
    `step mount -n --all --fstab "$C/${basename(c.fstabLate)}"`,
    ...(input.preloadOverMount ? preloadOverMountLines() : []),
    '',
    ...enterLines(input),
    '',
    '# 7. Become the command: its working directory, then setpriv drops every capability outside the bounding set,',
    loaderAppliesEnv(finalExecInput(input))
      ? '#    sets no_new_privs and clears the groups (the user is root already); only then does the toolbox\'s perl, after its filter, set the box\'s environment and'
      : identityKept(finalExecInput(input))
      ? '#    sets no_new_privs and clears the groups (the user is root already); only then does env (from the toolbox) set the box\'s environment and'
      : '#    sets no_new_privs and changes user; only then does env (from the toolbox) set the box\'s environment and',
    '#    exec the command. This shell\'s own environment stays empty: an image Env LD_PRELOAD reaches no privileged',
    '#    process. fd 3 is closed: only 0, 1 and 2 reach the command.',
    ...(input.blockDevices ? [`#    ${describeBlockDeviceGuard(input.blockDevices)}`] : []),
    `step cd ${quoteWord(input.workdir)}`,
    ...commandCheckLines(input.env.PATH ?? '/bin:/usr/bin'),
    ...(input.cgroupView ? ['#    unshare --cgroup first: the command\'s cgroup namespace is rooted at its own cgroup (/proc/self/cgroup: "/").'] : []),
    ...(input.seccomp ? seccompComment(input.seccomp) : ['#    No seccomp filter (--security-opt seccomp=unconfined or --privileged).']),
    ...(input.init ? ['#    --init: PID 1 is a reaper (the toolbox\'s sh, dropped and confined like the command) that forwards signals to it.'] : []),
    `exec ${[...cgroupNamespaceArgv(input.cgroupView, toolboxArgv(input.toolbox, 'unshare')), ...buildFinalExecArgv(finalExecInput(input)), ...(input.init ? initReaperArgv(toolboxArgv(input.toolbox, input.toolbox.shell ?? 'sh'), toolboxArgv(input.toolbox, 'env')) : [])].map(quoteWord).join(' ')} "$@" 3>&-`,
  );
  return lines.join('\n');
}

/**
 * Section 4's directories and links: where the toolbox has the host's perl, one perl makes them all (mkdir and ln -s
 * are a process each call, and ln -s makes one link per call); else one mkdir, then one ln -s per link. The toolbox's
 * mount points come after, from the shell (builtins: no process).
 */
/** --device: the mount points (and their directories) in the box's fresh /dev, where nothing of the box is yet. */
function deviceMountPoints(devices: readonly string[]): string[] {
  if (devices.length === 0) return [];
  const dirs = [...new Set(devices.flatMap((d) => d.split('/').slice(0, -1).map((_p, i, parts) => parts.slice(0, i + 1).join('/'))))];
  return [
    '#    --device: mount points for the host\'s nodes.',
    ...(dirs.length > 0 ? [`step mkdir -p -m 755 ${dirs.map((d) => `"$R"${quoteWord(`/dev/${d}`)}`).join(' ')}`] : []),
    `step mkfiles ${devices.map((d) => `"$R"${quoteWord(`/dev/${d}`)}`).join(' ')}`,
  ];
}

/** /dev's standard links and the v1 cgroup view's (TARGET, LINK as a shell word). */
function devLinks(input: ImageInitInput): (readonly [string, string])[] {
  const view = input.cgroupView?.version === 1 ? input.cgroupView : undefined;
  return [
    ...DEV_LINKS.map(([name, target]) => [target, `"$R/dev/${name}"`] as const),
    ...(view?.links ?? []).map(([name, hierarchy]) => [hierarchy, `"$R${CGROUP_VIEW_DIR}/${name}"`] as const),
  ];
}

/**
 * A toolbox bound as one directory, with perl and this machine's syscall numbers: mount makes the mount points of
 * section 5 itself (X-mount.mkdir, src/rootfs/box-mounts.ts), and the perl that enters the root makes the links and
 * brings lo up first: section 4's perl is not needed (one process less).
 */
function linksAtPivot(input: ImageInitInput): boolean {
  const nr = input.arch ? ARCHES[input.arch].syscalls : undefined;
  return input.toolbox.dir !== undefined && hasPerl(input.toolbox) && nr?.pivot_root !== undefined && nr.umount2 !== undefined;
}

function initDirsAndLinks(input: ImageInitInput): string[] {
  const loUp = input.loUp && hasPerl(input.toolbox);
  const view = input.cgroupView?.version === 1 ? input.cgroupView : undefined;
  const dirs = ['"$R/dev/pts"', '"$R/dev/shm"', '"$R/dev/mqueue"', '"$T"', ...(view?.dirs ?? []).map((d) => `"$R${d}"`)];
  const links = devLinks(input);
  // A toolbox bound as one directory needs no mount point per file.
  const toolboxPoints = input.toolbox.dir !== undefined ? [] : [`step mkfiles ${input.toolbox.files.map((f) => `"$T/${f.name}"`).join(' ')}`];
  if (linksAtPivot(input)) return ['#    Its directories are made by mount in section 5 (X-mount.mkdir), its links in section 6.', ...toolboxPoints];
  if (!hasPerl(input.toolbox)) {
    return [`step mkdir -m 755 ${dirs.join(' ')}`, ...links.map(([target, link]) => `step ln -s ${target} ${link}`), ...toolboxPoints];
  }
  return [
    `#    The directories (mode 755), then the links (TARGET LINK pairs)${loUp ? ', then lo up (the network namespace is new: it has only lo, and lo is down; `ip link set lo up`)' : ''}, all in one process.`,
    `step perl -e ${quoteWord(loUp ? `${DIRS_AND_LINKS_PERL} ${LO_UP_PERL}` : DIRS_AND_LINKS_PERL)} ${dirs.join(' ')} -- ${links.map(([target, link]) => `${target} ${link}`).join(' ')}`,
    ...toolboxPoints,
  ];
}

function hasPerl(toolbox: Toolbox): boolean {
  return toolbox.files.some((f) => f.name === 'perl');
}

/** `ln -s` for each TARGET LINK pair of @ARGV. */
const LINKS_PERL = 'while (my ($target, $link) = splice @ARGV, 0, 2) { symlink $target, $link or die "ln -s $target $link: $!\\n" }';

/** `mkdir -m 755` for each DIR of @ARGV up to "--", then `ln -s` for each TARGET LINK pair after it. */
const DIRS_AND_LINKS_PERL = 'umask 022; while (@ARGV && $ARGV[0] ne "--") { my $dir = shift; mkdir $dir, 0755 or die "mkdir $dir: $!\\n" } shift; while (my ($target, $link) = splice @ARGV, 0, 2) { symlink $target, $link or die "ln -s $target $link: $!\\n" }';

/**
 * `ip link set lo up` without ip: SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP added, on a datagram socket of the new
 * network namespace (struct ifreq: the name in 16 bytes, the flags a short after it; 40 bytes on 64-bit). The ioctl
 * numbers are the same on every Linux architecture (uapi/linux/sockios.h).
 */
const LO_UP_PERL = 'socket(my $s, 2, 2, 0) or die "ip link set lo up: socket: $!\\n"; my $r = pack("a16 x24", "lo"); ioctl($s, 0x8913, $r) or die "ip link set lo up: SIOCGIFFLAGS: $!\\n"; ioctl($s, 0x8914, pack("a16 S x22", "lo", unpack("x16 S", $r) | 1)) or die "ip link set lo up: SIOCSIFFLAGS: $!\\n";';

/**
 * Section 6: with the host's perl and this machine's syscall numbers, one perl does what pivot_root(8) and the
 * toolbox's umount(8) do (pivot_root(2), then umount2(2) with MNT_DETACH: no umount helper can run either), one
 * process less; else the two tools (enterRootLines).
 */
function enterLines(input: ImageInitInput): string[] {
  const nr = input.arch ? ARCHES[input.arch].syscalls : undefined;
  const heading = '# 6. Enter the new root: pivot_root puts the old root on top of it; detach it (lazily: nothing can reach it';
  if (!hasPerl(input.toolbox) || nr?.pivot_root === undefined || nr.umount2 === undefined) {
    return [heading, '#    again). From here only the box\'s files exist, so umount and setpriv run from the toolbox.', ...enterRootLines(input.toolbox)];
  }
  const perl = `my $d = "."; syscall(${nr.pivot_root}, $d, $d) == 0 or die "pivot_root . .: $!\\n"; syscall(${nr.umount2}, $d, 2) == 0 or die "umount -l .: $!\\n";`;
  if (linksAtPivot(input)) {
    const links = devLinks(input);
    const loUp = input.loUp === true;
    return [
      heading,
      `#    again), all in one perl: first /dev's links (TARGET LINK pairs)${loUp ? ' and lo up (the network namespace is new: it has only lo, and lo is down)' : ''}, then pivot_root(2),`,
      '#    then umount2(2) with MNT_DETACH (as `pivot_root . .; umount -i -n -l .`; no umount helper runs). From here only the',
      '#    box\'s files exist, so setpriv and env run from the toolbox.',
      'cd "$R"',
      `step perl -e ${quoteWord(`${LINKS_PERL} ${loUp ? `${LO_UP_PERL} ` : ''}${perl}`)} ${links.map(([target, link]) => `${target} ${link}`).join(' ')}`,
    ];
  }
  return [
    heading,
    '#    again), both in one perl: pivot_root(2), then umount2(2) with MNT_DETACH (as `pivot_root . .; umount -i -n -l .`;',
    '#    no umount helper runs). From here only the box\'s files exist, so setpriv and env run from the toolbox.',
    'cd "$R"',
    `step perl -e ${quoteWord(perl)}`,
  ];
}

/** overlay's mount options; nodev: a device node made in the box's files cannot be opened (only /dev's can). */
export function overlayOptions(input: Pick<ImageInitInput, 'container' | 'lowerDirs' | 'readOnly' | 'volatile'>): string {
  const c = input.container;
  const e = escapeOverlayPath;
  const opts = [`lowerdir=${input.lowerDirs.map(e).join(':')}`, `upperdir=${e(c.upper)}`, `workdir=${e(c.work)}`, 'nodev'];
  if (input.readOnly) opts.push('ro');
  if (input.volatile) opts.push('volatile');
  return opts.join(',');
}

/**
 * A path as one overlay option value: "," ends an option, ":" separates lowerdirs, so a store at /srv/a,upperdir=/etc
 * would otherwise redirect the mount. overlayfs unescapes a backslash before any character (fs/overlayfs/params.c).
 */
export function escapeOverlayPath(path: string): string {
  return path.replace(/[\\,:=]/g, '\\$&');
}

function finalExecInput(input: ImageInitInput): FinalExecInput {
  const u = input.user;
  return { toolbox: input.toolbox, uid: u.uid, gid: u.gid, groups: u.groups, capabilities: input.capabilities, noNewPrivs: input.noNewPrivs, env: input.env, pdeathsig: true, seccomp: input.seccomp, startsAsRoot: input.startsAsRoot, loaderMayApplyEnv: !input.init };
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
