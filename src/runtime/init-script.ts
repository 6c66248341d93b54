// The init of an OCI container: PID 1 of its new pid namespace, in its new mount namespace. It makes every mount
// of config.json below the root the caller mounted, the masked and read-only kernel paths, /dev's nodes and links
// and the toolbox; pivots into the root; reports "ready" to `create`; then waits at the gate until `start`,
// and only then drops privileges (setpriv), loads the seccomp filter and becomes the container's process (env -i, or
// the filter's perl for a root process with one setpriv: processExecArgv).
// Only stock tools (mount, mkdir, perl-base for /dev's nodes and links, prlimit, pivot_root) before pivot_root; after it,
// builtins and the toolbox. Each process costs ~2 ms: a builtin test skips what exists, batches take one process.

import { quoteWord } from '../plan/quote.js';
import { buildFinalExecArgv, identityKept, loaderAppliesEnv, type FinalExecInput } from '../rootfs/final-exec.js';
import { enterRootLines, seccompComment, STEP_FUNCTION } from '../init/script-parts.js';
import { TOOLBOX_DIR, toolboxArgv, type Toolbox } from '../rootfs/toolbox.js';
import { commandCheckLines } from '../rootfs/command-check.js';
import { consoleSocketArgv } from '../oci/console-socket.js';
import type { BoxSeccomp } from '../seccomp/prepare.js';
import { cgroupViewBinds, MKDIRS_FUNCTION, mountsStepLines, plainMountRuns, runEntries } from '../init/mount-steps.js';
import type { InitMount } from '../init/mounts.js';
import type { FstabEntry } from '../rootfs/fstab.js';
import { ociInitMounts } from './oci-mounts.js';
import { createContainerLines, startContainerLines, type InitHooks } from './init-hooks.js';
import { escapeDoubleQuoted } from './resolve-in-root.js';
import type { OciContainer, OciDevice, OciProcess } from '../oci/container.js';
import { moveFdsArgv, type PassedFds } from './preserve-fds.js';
import { mknodatNumber, nodesAndLinksLine } from './dev-nodes.js';

const DEV_LINKS: readonly (readonly [string, string])[] = [
  ['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2'], ['core', '/proc/kcore'],
];

export interface InitInput {
  readonly container: OciContainer;
  readonly stateDir: string;
  readonly fifo: string;
  /** The init makes the gate (`fifo`) itself, with the nodes' perl, before it opens it (initCanMakeGate). */
  readonly gateByInit?: boolean;
  /** Each mount's destination resolved inside the root (resolve-in-root.ts), in config order. */
  readonly targets: readonly string[];
  /** Which mounts bind a file (their mount point is an empty file). */
  readonly fileSources: readonly boolean[];
  readonly cgroupDirs: readonly string[];
  readonly cgroupVersion: 1 | 2;
  readonly cgroupRoot: string;
  /** The uts namespace is new: set the hostname. */
  readonly setHostname: boolean;
  readonly toolbox: Toolbox;
  readonly seccomp: BoxSeccomp | undefined;
  /**
   * Where the init makes /dev's nodes and links, the console and the toolbox (initPaths), resolved inside the root:
   * a link in the image (/dev -> /host-dir) must not take a mknod, rm or ln out of it. Absent: as written.
   */
  readonly placed?: Readonly<Record<string, string>>;
  /**
   * The device guard (device-guard.ts), when the device rules restrict anything: the root's flags to repeat when it
   * is remounted nodev, each mount's flags with nodev added, and the fstab binding the allowed nodes (none: absent).
   */
  readonly deviceGuard?: { readonly rootFlags: readonly string[]; readonly mountFlags: readonly (readonly string[])[] };
  readonly cwd: string;
  readonly apparmor: boolean;
  /**
   * The fstab of the last mounts before pivot_root, one `mount --all` (lateMountEntries): the allowed devices' binds,
   * the toolbox, the kernel paths, the root read-only, /etc and its preload mask. `withoutPreload`: the same without
   * the mask, for a root where /etc/ld.so.preload cannot be made (nor made by the container).
   */
  readonly lateFstabs: { readonly withPreload: string; readonly withoutPreload: string };
  /** A v1 "cgroup" mount's binds (cgroupViewBinds), one `mount --all`; absent: one bind and remount each. */
  readonly cgroupFstab?: string;
  /** One fstab per run of plain mounts (initMountRuns), each one `mount --all`; absent: a mount(8) each. */
  readonly mountRunFstabs?: readonly string[];
  /** process.terminal: the caller's --console-socket, which gets the pty's master before create exits. */
  readonly consoleSocket?: string;
  /** hooks.createContainer and hooks.startContainer, which the init runs (init-hooks.ts). */
  readonly hooks?: InitHooks;
  /** In a new user namespace, where mknod is not allowed: device nodes are bound from the host's (as runc does). */
  readonly userns?: boolean;
  /** mknodat's syscall number for the nodes' perl (dev-nodes.ts); default: this host's; none known: mknod(1) each. */
  readonly mknodat?: number;
  /** The console socket's connection, made by the launch on the host (in a user namespace): this fd, not the path. */
  readonly consoleFd?: number;
  /** --preserve-fds: the fds the init got at `at`.., moved to 3.. by the toolbox's perl just before setpriv. */
  readonly preservedFds?: PassedFds;
  /**
   * process.rlimits the init sets on itself: only in a user namespace on a host where nsbox-runtime lacks
   * CAP_SYS_RESOURCE (otherwise `create` sets them from the host while the init waits, create.ts).
   */
  readonly rlimits?: OciProcess['rlimits'];
  /**
   * The init is uid 0 and gid 0 of the host (nsbox-runtime run by root, no user namespace): a process user 0:0 with no
   * additionalGids needs no change of user, one setpriv (processExecArgv).
   */
  readonly startsAsRoot?: boolean;
  /** process.rlimits as the init's own ulimit lines (init-ulimits.ts: only where they cannot fail); else the host's prlimit. */
  readonly ulimits?: readonly string[];
}

/** config.json's mounts as the init makes them (with the device guard's nodev added). */
function initMounts(input: Omit<InitInput, 'cgroupFstab'>): InitMount[] {
  const c = input.container;
  const guard = input.deviceGuard;
  const mounts = guard ? c.mounts.map((given, i) => ({ ...given, flags: guard.mountFlags[i]! })) : c.mounts;
  return ociInitMounts(c.root.path, mounts, input);
}

/** The binds of a v1 "cgroup" mount outside a run, for the fstab the init mounts them from (none: no such mount). */
export function initCgroupBinds(input: Omit<InitInput, 'cgroupFstab'>): FstabEntry[] {
  const mounts = initMounts(input);
  const runs = plainMountRuns(mounts);
  return mounts.filter((_, i) => !runs.some((r) => i >= r.start && i < r.end)).flatMap(cgroupViewBinds);
}

/**
 * The runs of mounts in a row with fstab lines (plainMountRuns), as the fstab entries each is mounted from. A run
 * at the very start also takes step 1's mounts of the root (rootJoinsFirstRun).
 */
export function initMountRuns(input: Omit<InitInput, 'cgroupFstab'>): FstabEntry[][] {
  const mounts = initMounts(input);
  return plainMountRuns(mounts).map((r, i) => [...(i === 0 && rootJoinsFirstRun(input) ? rootEntries(input) : []), ...runEntries(mounts.slice(r.start, r.end))]);
}

/**
 * Step 1's root mounts are the first lines of the first run's fstab when that run starts with the first mount and
 * nothing else comes between (no propagation change). Not in a user namespace: there the root's mounts are locked,
 * and a self-bind that `mount --all` skips (a root the caller mounted shows as "already mounted") is not the same.
 */
function rootJoinsFirstRun(input: Omit<InitInput, 'cgroupFstab'>): boolean {
  const p = input.container.rootfsPropagation;
  return !input.userns && (!p || p === 'private' || p === 'rprivate') && plainMountRuns(initMounts(input))[0]?.start === 0;
}

/** The root a mount point of its own (pivot_root needs one) and, with the device guard, nodev. */
function rootEntries(input: Omit<InitInput, 'cgroupFstab'>): FstabEntry[] {
  const root = input.container.root.path;
  const guard = input.deviceGuard;
  return [
    { source: root, target: root, type: 'none', options: 'rbind', why: 'The root a mount point of its own (pivot_root needs one), in this private mount namespace.' },
    ...(guard ? [{ source: 'none', target: root, type: 'none', options: ['remount', 'bind', 'nodev', ...guard.rootFlags].join(','), why: 'The device rules restrict devices: the root is nodev (only the allowed nodes in /dev open).' }] : []),
  ];
}

/** The gate opened read-write (it never blocks), read after set-up: `start` writes the line that opens it. */
function gateOpenLines(fifo: string): string[] {
  return ['# The gate: opened read-write now (it never blocks), read after set-up: `start` writes the line that opens it.', `exec 5<>${quoteWord(fifo)}`];
}

/** Whether the init can make the gate itself (with the nodes' perl; create.ts then runs no mkfifo). */
export function initCanMakeGate(input: Pick<InitInput, 'userns' | 'mknodat'>): boolean {
  return !input.userns && (input.mknodat ?? mknodatNumber()) !== undefined;
}

/** The init script's text; the container's argv arrives as "$@". */
export function buildInitScript(input: InitInput): string {
  const c = input.container;
  const lines: string[] = [
    '# PID 1 of the container, in its new namespaces (the caller already mounted its root).',
    '# A failed step reports on fd 3 (nsbox-runtime prints it) and exits 125.',
    STEP_FUNCTION,
    // The directory test is a builtin: mkdir -p only where it is missing (the toolbox's files share one directory).
    'mkfile() { for f; do [ -e "$f" ] || { { [ -d "${f%/*}" ] || mkdir -p "${f%/*}"; } && : > "$f"; } || return 1; done; }',
    MKDIRS_FUNCTION,
    'put() { printf \'%s\\n\' "$2" > "$1"; }',
    `S=${quoteWord(input.stateDir)}  # the container's state directory (on the host)`,
    `R=${quoteWord(c.root.path)}  # the container's root`,
    `T="$R${escapeDoubleQuoted(input.placed?.[TOOLBOX_DIR] ?? TOOLBOX_DIR)}"`,
    '',
    ...(input.gateByInit ? [] : gateOpenLines(input.fifo)),
    ...(input.hooks?.startContainer.length ? ['# The startContainer hooks\' verdict, for `start` (it blocks until this end is closed).', `exec 6<>${quoteWord(input.hooks.verdict)}`] : []),
  ];
  if (input.setHostname && c.hostname !== undefined) {
    // In a user namespace /proc/sys/kernel/hostname stays the host root's file; sethostname(2) asks only for the
    // capability in the namespace that owns the uts namespace.
    lines.push('# The uts namespace is new: name it.', input.userns ? `step hostname ${quoteWord(c.hostname)}` : `step put /proc/sys/kernel/hostname ${quoteWord(c.hostname)}`);
  }
  const sysctls = c.sysctl;
  if (sysctls.length > 0) {
    lines.push('# linux.sysctl: through /proc/sys, which shows this process\'s own (new) namespaces.');
    for (const [key, value] of sysctls) lines.push(`step put ${quoteWord(`/proc/sys/${key.replace(/\./g, '/')}`)} ${quoteWord(value)}`);
  }
  const guard = input.deviceGuard;
  if (input.mountRunFstabs !== undefined && rootJoinsFirstRun(input)) {
    lines.push('', `# 1. The root becomes a mount point of its own (pivot_root needs one)${guard ? ' and nodev (the device rules)' : ''}: the first lines of step 2's first fstab.`);
  } else {
    lines.push('', '# 1. The root becomes a mount point of its own (pivot_root needs one), in this private mount namespace.', 'step mount -n --rbind "$R" "$R"');
    if (guard) {
      lines.push(
        '# The device rules restrict devices, which cgroup v2 cannot enforce without eBPF: the root and every mount that',
        '# could hold a node are nodev; only the allowed nodes in /dev open (each bound onto itself, step 6).',
        `step mount -n -o ${['remount', 'bind', 'nodev', ...guard.rootFlags].join(',')} "$R"`,
      );
    }
  }
  if (c.rootfsPropagation && c.rootfsPropagation !== 'private' && c.rootfsPropagation !== 'rprivate') {
    lines.push(`step mount -n --make-${c.rootfsPropagation} "$R"`);
  }
  lines.push(...devMountPointLines(input.targets, guard?.rootFlags));
  lines.push('', '# 2. config.json\'s mounts, in order (destinations resolved inside the root: no symlink leads out of it).');
  lines.push(...mountsStepLines(initMounts(input), c.root.path, input.cgroupFstab, input.mountRunFstabs));
  const devTmpfs = c.mounts.some((m) => m.destination === '/dev' && m.type === 'tmpfs');
  lines.push('', '# 3. /dev: linux.devices and the nodes every container gets (in a /dev of its own), the standard links.');
  const at = (path: string): string => `"$R${escapeDoubleQuoted(input.placed?.[path] ?? path)}"`;
  // With the guard the root's own /dev nodes are nodev: the default ones are made even without a /dev tmpfs (as runc).
  const devices = c.devices.filter((device) => device.origin === 'config' || devTmpfs || guard);
  const links = [...DEV_LINKS.map(([name, target]) => [target, at(`/dev/${name}`)] as const), ...(c.mounts.some((m) => m.destination === '/dev/pts') ? [['pts/ptmx', at('/dev/ptmx')] as const] : [])];
  const mknodat = input.userns ? undefined : (input.mknodat ?? mknodatNumber());
  if (input.gateByInit && mknodat === undefined) throw new Error('gateByInit needs the nodes\' perl (no user namespace, a known mknodat)');
  // In a /dev tmpfs of its own the toolbox directory is new: the same perl makes it.
  const toolboxByPerl = mknodat !== undefined && devTmpfs;
  if (mknodat !== undefined) {
    // One perl makes every node (mknodat(2)) and link; the devices' binds (the guard) come in step 6.
    // With gateByInit it makes the gate too (a FIFO node, in the state directory on the host).
    const gate = input.gateByInit ? [{ device: { path: input.fifo, type: 'p' as const, major: 0, minor: 0, fileMode: 0o600, uid: 0, gid: 0, origin: 'config' as const }, word: quoteWord(input.fifo) }] : [];
    lines.push(...devices.flatMap((d) => parentDirLines(at(d.path))), nodesAndLinksLine(mknodat, [...gate, ...devices.map((device) => ({ device, word: at(device.path) }))], links, toolboxByPerl ? ['"$T"'] : []));
    if (input.gateByInit) lines.push(...gateOpenLines(input.fifo));
  } else {
    for (const device of devices) lines.push(...deviceLines(device, at(device.path), input.userns === true));
    lines.push(...linkLines(links));
  }
  lines.push(
    '',
    '# 4. The toolbox: the host\'s setpriv, env and umount (with their loader and libraries), read-only, for after',
    `#    pivot_root: ${toolboxByPerl ? 'its directory (made by the perl above) and ' : ''}its files' mount points now, their binds in step 6.`,
    // Not in a fresh tmpfs: a link there (the image's) is removed, never mounted through (the container could repoint it).
    ...(toolboxByPerl ? [] : devTmpfs ? ['step mkdir -m 755 "$T"'] : ['if [ -L "$T" ] || { [ -e "$T" ] && ! [ -d "$T" ]; }; then step rm -f "$T"; fi', 'step mkdir -p "$T" && step mount -n -t tmpfs -o nosuid,nodev,mode=755,size=64k tmpfs "$T"']),
    `step mkfile ${input.toolbox.files.map((f) => `"$T/${f.name}"`).join(' ')}`,
  );
  lines.push(...preloadCheckLines(etcDirOf(input.placed), input.lateFstabs));
  if (input.consoleSocket !== undefined) lines.push(...consoleLines(c, input.consoleSocket, at, input.consoleFd));
  lines.push(
    '',
    '# 6. One mount(8) for the rest, in this order (each line explained in the file): the allowed devices bound onto',
    '#    themselves, the toolbox (sealed read-only), linux.maskedPaths (/dev/null over a file, an empty read-only tmpfs',
    '#    over a directory) and linux.readonlyPaths (bound read-only onto themselves)' + (c.root.readonly ? ', the root read-only (root.readonly)' : '') + ',',
    '#    /etc a mount point of its own and /etc/ld.so.preload empty and read-only.',
    'step mount -n --all --fstab "$late"',
  );
  if (input.rlimits && input.rlimits.length > 0) {
    lines.push('', '# process.rlimits, on this shell (the process inherits them): the host may not set them on the mapped root without', '# CAP_SYS_RESOURCE, which nsbox-runtime lacks here; lowering is all either side could do.', `step prlimit --pid $$ ${input.rlimits.map((r) => `--${r.name}=${r.soft}:${r.hard}`).join(' ')}`);
  }
  if (input.hooks) lines.push(...createContainerLines(input.hooks));
  lines.push(
    '',
    '# 7. Enter the root: pivot_root puts the old root on top of it; detach that lazily. Only the container\'s files',
    '#    exist from here on: umount, setpriv and env run from the toolbox.',
    `[ -d "$R${escapeDoubleQuoted(input.cwd)}" ] || step mkdir -p "$R${escapeDoubleQuoted(input.cwd)}"`,
    ...enterRootLines(input.toolbox),
    `step cd ${quoteWord(c.process.cwd)}`,
    ...commandCheckLines(pathOf(c.process.env)),
  );
  if (c.process.umask !== undefined) lines.push(`umask ${c.process.umask.toString(8).padStart(4, '0')}`);
  if (input.ulimits) {
    lines.push('# process.rlimits, on this shell with its ulimit (the process inherits them), where the host would set them with', '# prlimit: all are within what nsbox-runtime itself may set.', ...input.ulimits);
  }
  lines.push(
    '',
    '# 8. Set-up is done: tell `create`, then wait at the gate for `start`. fd 3 and the gate never reach the process.',
    'echo ready >&3',
    'exec 3>&-',
    ...(input.hooks?.startContainer.length ? ['read -r state <&5 || exit 125  # the state JSON, for the startContainer hooks'] : ['read -r _ <&5 || exit 125']),
    'exec 5<&-',
    ...(input.hooks ? startContainerLines(input.hooks, (env) => processExecArgv({ ...c.process, env }, input.toolbox, input.seccomp, input.apparmor, { startsAsRoot: input.startsAsRoot === true }), toolboxArgv(input.toolbox, 'perl')) : []),
    ...(input.consoleSocket !== undefined ? ['# process.terminal: the pty (its stdio since set-up) becomes its controlling terminal (setsid --ctty).'] : []),
    '',
    ...finalExecComment(c.process, input),
    ...(input.seccomp ? seccompComment(input.seccomp) : ['#    No seccomp filter (linux.seccomp is absent).']),
    ...(input.preservedFds ? [`#    --preserve-fds: after the drop, perl moves fds ${input.preservedFds.at}.. to 3..${2 + input.preservedFds.count} (sh names only fds 0-9).`] : []),
    `exec ${[...(input.consoleSocket !== undefined ? [...toolboxArgv(input.toolbox, 'setsid'), '--ctty'] : []), ...processExecArgv(c.process, input.toolbox, input.seccomp, input.apparmor, { ...(input.preservedFds ? { afterDrop: moveFdsArgv(input.toolbox, input.preservedFds) } : {}), startsAsRoot: input.startsAsRoot === true, commandFollows: true })].map(quoteWord).join(' ')} "$@"`,
  );
  return lines.join('\n');
}

/** Section 9's heading: which processes the final exec runs (processExecArgv). */
function finalExecComment(p: OciProcess, input: InitInput): string[] {
  const final = processFinalExecInput(p, input.toolbox, input.seccomp, input.apparmor, { ...(input.preservedFds ? { afterDrop: ['mover'] } : {}), startsAsRoot: input.startsAsRoot === true, commandFollows: true });
  if (loaderAppliesEnv(final)) {
    return [
      '# 9. Become the process: one setpriv drops capabilities outside the bounding set, sets no_new_privs and clears the',
      '#    groups (the init is root:root, as the process\'s user); the toolbox\'s perl then loads the seccomp filter, gives',
      '#    it exactly process.env and execs process.args (no env(1)).',
    ];
  }
  if (identityKept(final)) {
    return [
      '# 9. Become the process: one setpriv drops capabilities outside the bounding set, sets no_new_privs and clears the',
      '#    groups (the init is root:root, as the process\'s user); the seccomp filter is loaded last; env -i gives it',
      '#    exactly process.env and execs process.args.',
    ];
  }
  return [
    '# 9. Become the process: setpriv drops capabilities outside the bounding set, changes user, sets no_new_privs;',
    '#    the seccomp filter is loaded last; env -i gives it exactly process.env and execs process.args.',
  ];
}

/**
 * process.terminal: a pty from the container's own devpts instance (its ptmx, so the slave is /dev/pts/N inside),
 * the master sent to the caller's console socket now (conmon fails "Runtime did not set up terminal" otherwise), the
 * slave bound onto /dev/console as runc does. perl-base does the sendmsg (src/oci/console-socket.ts).
 */
function consoleLines(c: OciContainer, socket: string, at: (path: string) => string, fd?: number): string[] {
  const size = c.process.consoleSize;
  const argv = consoleSocketArgv('$R/dev/pts/ptmx', fd === undefined ? socket : `fd:${fd}`, size);
  const words = argv.map((w, i) => (i === 3 ? at('/dev/pts/ptmx') : quoteWord(w)));
  const pts = at('/dev/pts/ptmx').slice(0, -'/ptmx"'.length);
  const console = at('/dev/console');
  return [
    '',
    '# process.terminal: a pty of the container\'s own devpts; its master goes to the caller\'s console socket now.',
    `pty=$(${words.join(' ')} 2>&3) || { echo "failed: send the terminal to ${socket.replace(/["$`\\]/g, '')}" >&3; exit 125; }`,
    ...(fd === undefined ? [] : [`exec ${fd}>&-  # the console socket's connection (made on the host): the master is sent`]),
    '# /dev/console: a link there (the image\'s, or one made since) is removed, never mounted through (CVE-2025-52565).',
    `rm -f ${console} && step mkfile ${console}`,
    `step mount -n --bind ${pts}/$pty" ${console}`,
    '# The pty is the stdio from here on: the caller\'s pipes must not stay open in the container (the containerd',
    '# shim waits for them to close before it takes the master).',
    `exec 0<>${pts}/$pty" 1>&0 2>&0`,
  ];
}

/**
 * How the final exec's words are run. `startsAsRoot`: the shell that runs them is uid 0 and gid 0 already (nsbox-runtime
 * run by root, no user namespace): a process user 0:0 with no additionalGids then gets one setpriv, not two
 * (final-exec.ts, identityKept). `commandFollows`: the process's own words come right after them (not a hook's perl):
 * the toolbox's perl that loads the filter may then set process.env itself, and env(1) does not run (loaderAppliesEnv).
 */
export interface ProcessExecOptions {
  readonly afterDrop?: readonly string[];
  readonly startsAsRoot?: boolean;
  readonly commandFollows?: boolean;
}

/** The words of the final exec for a process (also used by `exec`). */
export function processExecArgv(p: OciProcess, toolbox: Toolbox, seccomp: BoxSeccomp | undefined, apparmor: boolean, options: ProcessExecOptions = {}): string[] {
  return buildFinalExecArgv(processFinalExecInput(p, toolbox, seccomp, apparmor, options));
}

function processFinalExecInput(p: OciProcess, toolbox: Toolbox, seccomp: BoxSeccomp | undefined, apparmor: boolean, options: ProcessExecOptions): FinalExecInput {
  const env: Record<string, string> = {};
  for (const entry of p.env) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return {
    toolbox,
    uid: p.uid,
    gid: p.gid,
    groups: p.additionalGids,
    capabilities: p.capabilities.bounding,
    inheritable: p.capabilities.inheritable,
    ambient: p.capabilities.ambient,
    noNewPrivs: p.noNewPrivileges,
    env,
    seccomp: seccomp ? { loader: seccomp.loader, file: seccomp.file, arch: seccomp.arch } : undefined,
    ...(apparmor && p.apparmorProfile ? { apparmorProfile: p.apparmorProfile } : {}),
    ...(options.afterDrop && options.afterDrop.length > 0 ? { afterDrop: options.afterDrop } : {}),
    startsAsRoot: options.startsAsRoot === true,
    loaderMayApplyEnv: options.commandFollows === true,
  };
}

/** A node's directory below /dev (e.g. /dev/net), made when missing. */
function parentDirLines(t: string): string[] {
  const dir = t.slice(0, t.lastIndexOf('/'));
  return dir !== '"$R/dev' && dir !== '"$R' ? [`[ -d ${dir}" ] || step mkdir -p ${dir}"`] : [];
}

function deviceLines(d: OciDevice, t: string, bindFromHost: boolean): string[] {
  const mode = d.fileMode.toString(8);
  const node = d.type === 'p' ? `step mknod -m ${mode} ${t} p` : `step mknod -m ${mode} ${t} ${d.type} ${d.major} ${d.minor}`;
  return [
    ...parentDirLines(t),
    // Only what is there is removed (a fresh /dev tmpfs has nothing): the test is a builtin, rm a process.
    `if [ -e ${t} ] || [ -L ${t} ]; then rm -f ${t}; fi`,
    // A bind keeps the host node's owner and mode: the host's own node is what the container opens.
    ...(bindFromHost ? [`step mkfile ${t}`, `step mount -n --bind ${quoteWord(d.path)} ${t}`] : [node, ...(d.uid !== 0 || d.gid !== 0 ? [`step chown ${d.uid}:${d.gid} ${t}`] : [])]),
  ];
}

/**
 * /dev's standard links (TARGET, LINK pairs), each only where nothing is there yet: one host perl for them all (ln -s
 * is one process per link; perl-base is Essential and already the runtime's console-socket tool).
 */
export function linkLines(links: readonly (readonly [string, string])[]): string[] {
  if (links.length === 0) return [];
  return [`step perl -e ${quoteWord(SYMLINKS_PERL)} ${links.map(([target, link]) => `${quoteWord(target)} ${link}`).join(' ')}`];
}

/** `ln -s` for each TARGET LINK pair of @ARGV whose LINK does not exist (not even as a dangling link). */
const SYMLINKS_PERL = 'while (my ($target, $link) = splice @ARGV, 0, 2) { -e $link or -l $link or symlink $target, $link or die "ln -s $target $link: $!\\n" }';

/** The paths the init makes nodes, links and mount points at itself: `placed` says where each is in the root. */
export function initPaths(c: OciContainer): string[] {
  return [...new Set([TOOLBOX_DIR, ...c.devices.map((d) => d.path), ...DEV_LINKS.map(([name]) => `/dev/${name}`), '/dev/ptmx', '/dev/console', '/dev/pts/ptmx', PRELOAD_PATH])];
}

/** No mount of config.json is at /dev itself: the init binds the root's /dev onto itself (devMountPointLines). */
function devSelfBound(targets: readonly string[]): boolean {
  return !targets.includes('/dev');
}

/**
 * exec runs the toolbox by its path in the container, /dev/.nsbox, with the host root's capabilities: a container
 * process must never be able to put a /dev of its own there. A link at /dev (the image's; create resolved every path
 * as if /dev were an empty directory, gatherFacts) is replaced by a directory, and /dev is a mount point (a config
 * mount there, or the root's own directory bound onto itself), which cannot be renamed away.
 */
function devMountPointLines(targets: readonly string[], guardRootFlags?: readonly string[]): string[] {
  return [
    '',
    '# /dev a real directory and a mount point: exec runs the toolbox from /dev/.nsbox, which the container must not be',
    '# able to replace (a link at /dev is removed, never followed; a mount point cannot be renamed).',
    'if [ -L "$R/dev" ] || { [ -e "$R/dev" ] && ! [ -d "$R/dev" ]; }; then step rm -f "$R/dev"; fi',
    '[ -d "$R/dev" ] || step mkdir -m 755 "$R/dev"',
    ...(devSelfBound(targets) ? ['step mount -n --rbind "$R/dev" "$R/dev"'] : []),
    // The root's nodev (the device guard) may come later, in step 2's first run: it would not reach this mount.
    ...(devSelfBound(targets) && guardRootFlags ? [`step mount -n -o ${['remount', 'bind', 'nodev', ...guardRootFlags].join(',')} "$R/dev"`] : []),
  ];
}

/** The container's /etc/ld.so.preload, as the host's loader that runs the toolbox reads it. */
const PRELOAD_PATH = '/etc/ld.so.preload';

/**
 * The toolbox's tools (umount, setpriv, env, perl; exec's shell) run through the host's loader with the container's
 * root as theirs, and ld.so loads whatever /etc/ld.so.preload names, before any capability is dropped: an image
 * (or a container process, for a later exec) would run its code with the host root's capabilities. So, as for
 * image boxes (src/rootfs/preload-guard.ts): /etc becomes a mount point (recursively bound onto itself, keeping the
 * caller's binds in it: it cannot be renamed away), and the file an empty read-only one (/dev/null). A link there
 * is removed (never written through); on a root where the file cannot be made, the container cannot make it either.
 */
function preloadCheckLines(etc: string, fstabs: InitInput['lateFstabs']): string[] {
  // The file where it is before step 6 binds /etc: in /etc itself, or in the directory an /etc link led to.
  const file = `"$R${escapeDoubleQuoted(etc === '/' ? '' : etc)}/ld.so.preload"`;
  // An image's /etc that is a link (to `etc`, resolved inside the root) is replaced by a directory that its target is
  // bound onto in step 6: a container process could otherwise repoint the link at an /etc of its own for the next exec.
  const linked = etc !== '/etc';
  return [
    '',
    '# 5. /etc/ld.so.preload: made an empty file now, masked in step 6 (the host\'s loader, which runs the toolbox before',
    '#    the capability drop, would load what it names). Where it cannot be made, the container cannot make it either.',
    ...(linked
      ? [
          `#    The image's /etc is a link (to ${etc.replace(/[\n\r]/g, '?')}): a directory takes its place, that directory bound onto it in step 6.`,
          `{ [ -d "$R${escapeDoubleQuoted(etc)}" ] && ! [ -L "$R${escapeDoubleQuoted(etc)}" ]; } || step mkdir -p "$R${escapeDoubleQuoted(etc)}"`,
          'if [ -L "$R/etc" ]; then step rm -f "$R/etc"; fi',
          '[ -d "$R/etc" ] || step mkdir "$R/etc"',
        ]
      : ['{ [ -d "$R/etc" ] && ! [ -L "$R/etc" ]; } || step mkdir "$R/etc"']),
    `if [ -L ${file} ] || { [ -e ${file} ] && ! [ -f ${file} ]; }; then step rm -rf ${file}; fi`,
    `if [ -f ${file} ] || { : > ${file}; } 2>/dev/null; then late=${quoteWord(fstabs.withPreload)}; else late=${quoteWord(fstabs.withoutPreload)}; fi`,
  ];
}

/** Where the image's /etc is, resolved inside the root (itself, unless it is a link). */
function etcDirOf(placed: InitInput['placed']): string {
  return (placed?.[PRELOAD_PATH] ?? PRELOAD_PATH).slice(0, -'/ld.so.preload'.length) || '/';
}

/**
 * The end of the late fstab (after the devices, toolbox and kernel paths): with root.readonly the root's remount
 * (before /etc is bound: the bind takes the root's read-only flag along), /etc recursively bound onto itself (a
 * mount point cannot be renamed away; the caller's binds in it stay), and the preload mask last.
 */
export function lateTailEntries(c: OciContainer, placed: Readonly<Record<string, string>> | undefined, guard: InitInput['deviceGuard'], targets: readonly string[]): { readonly always: FstabEntry[]; readonly preload: FstabEntry } {
  const etc = etcDirOf(placed);
  const always: FstabEntry[] = [];
  if (c.root.readonly) {
    const flags = ['remount', 'bind', 'ro', ...(guard ? ['nodev', ...guard.rootFlags.filter((f) => f !== 'ro')] : [])].join(',');
    always.push({ source: 'none', target: c.root.path, type: 'none', options: flags, why: 'root.readonly: the root itself read-only (its submounts keep their own flags).' });
    // The root's own /dev, bound onto itself when no mount is there (devMountPointLines): read-only with the root.
    if (devSelfBound(targets)) always.push({ source: 'none', target: `${c.root.path}/dev`, type: 'none', options: flags, why: 'root.readonly: the root\'s own /dev (bound onto itself in step 1) read-only with it.' });
  }
  // /etc is this mount even where the image's /etc was a link (preloadCheckLines put a directory in its place).
  always.push({ source: `${c.root.path}${etc === '/' ? '' : etc}`, target: `${c.root.path}/etc`, type: 'none', options: 'rbind', why: `/etc a mount point of its own${etc === '/etc' ? '' : ` (the image's /etc led to ${etc})`}: it cannot be renamed away from its preload mask.` });
  return { always, preload: { source: '/dev/null', target: `${c.root.path}/etc/ld.so.preload`, type: 'none', options: 'bind,ro', why: '/etc/ld.so.preload empty and read-only: the host\'s loader, which runs the toolbox with every capability, would load what it names.' } };
}

function pathOf(env: readonly string[]): string {
  const entry = [...env].reverse().find((e) => e.startsWith('PATH='));
  return entry ? entry.slice(5) : '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
}
