// `create`: config.json -> a plan (state dir, gate, cgroups, the init script) -> executed with rollback. The
// container's init is left waiting at its gate, reparented to the caller; its real host pid is in the pid file.

import { existsSync, lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { NsboxError, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND } from '../errors.js';
import { hostRunner, type Runner } from '../exec/runner.js';
import { HOST_PATH } from '../host/host-env.js';
import type { NamespaceName } from '../host/namespaces.js';
import { resolveToolbox, withoutPerl, TOOLBOX_DIR, type Toolbox } from '../rootfs/toolbox.js';
import { prepareSeccomp } from '../seccomp/prepare.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { identify, readBootId } from '../state/proc-identity.js';
import type { LaunchStep, Plan, Step } from '../plan/types.js';
import { exitCodeOf } from '../exec/executor.js';
import { runCreated } from '../start-box/run-plan.js';
import type { RuntimeGlobals } from './argv.js';
import { selfJoinFile } from '../cgroup/self-join.js';
import { cgroupPathOf, planCgroupSteps, resolveContainerCgroup, type ContainerCgroup } from './cgroups.js';
import { buildInitScript, initCanMakeGate, initMountRuns, initCgroupBinds, lateTailEntries } from './init-script.js';
import { CONSOLE_FD, launchArgv } from './launch-scripts.js';
import { parseBundle } from '../oci/parse-bundle.js';
import type { OciContainer } from '../oci/container.js';
import { procMountRefusal } from './proc-mounts.js';
import { renderRuntimePlan, type RuntimePlan } from './render-plan.js';
import { resolveInRoot, resolveParentInRoot, type CoveredPath } from './resolve-in-root.js';
import { initPaths } from './init-script.js';
import type { InitHooks } from './init-hooks.js';
import { ensureRoot, statePaths, writeState, type RuntimeState } from './state.js';
import { renderLightEnv } from './light-env.js';
import { runHooks } from './hooks.js';
import { killEverything } from './remove.js';
import { kernelPathEntries } from './batch-mounts.js';
import { toolboxMounts } from '../init/mounts.js';
import { renderFstab } from '../rootfs/fstab.js';
import { mapToHost, renderIdMap } from '../spec/id-map.js';
import type { IdMapRange } from '../spec/box-description.js';
import { deviceBindEntries, devicesRestricted, guardedFlags, rootMountFlags, sourceKind } from './device-guard.js';
import { checkPreservedFds, passedFds, toolboxHasPerl, type PassedFds } from './preserve-fds.js';
import { processLimitSteps } from './process-limits.js';
import { startTerminalRelay, type TerminalRelay } from './run-foreground.js';
import { initUlimitLines, parseProcLimits, type UlimitFacts } from './init-ulimits.js';
import { runsAsRoot } from '../host/runs-as-root.js';

export { processLimitSteps };

export interface CreateOptions {
  readonly bundle: string;
  readonly pidFile: string | undefined;
  readonly consoleSocket: string | undefined;
  /** `run`: the launch stays the init's parent; resolves once the container exited. */
  readonly foreground: boolean;
  /** --preserve-fds: the runtime's fds 3 .. 3+N-1 become the process's (preserve-fds.ts). */
  readonly preserveFds?: number;
  /** LISTEN_FDS of the runtime's own socket activation (listenFdsOf): passed first, announced to the process. */
  readonly listenFds?: number;
  /** bin/nsbox-runtime's list of the caller's open fds 3-9 (checkPreservedFds). */
  readonly callerFds?: string;
}

export interface Created {
  /** `run` of a process.terminal without --console-socket: nsbox-runtime's own relay holds the pty (run-foreground.ts). */
  readonly terminal?: TerminalRelay;
  readonly state: RuntimeState;
  /** `run` only: the container's exit status. */
  readonly exited?: Promise<number>;
}

/** Build and run the create plan; on any failure everything made so far is undone and the error rethrown. */
export async function createContainer(g: RuntimeGlobals, id: string, options: CreateOptions, runner: Runner = hostRunner): Promise<Created> {
  const paths = statePaths(g.root, id);
  if (existsSync(paths.dir)) throw new NsboxError(`container "${id}" already exists`);
  const container = inUserns(parseBundle(options.bundle, undefined, { systemdCgroup: g.systemdCgroup }));
  // runc's rule and words: only `run` in the foreground relays a terminal itself; a detached one needs the caller's socket.
  if (container.process.terminal && options.consoleSocket === undefined && !options.foreground) throw new NsboxError('cannot allocate tty if runc will detach without setting console socket');
  if (!container.process.terminal && options.consoleSocket !== undefined) throw new NsboxError('cannot use --console-socket: process.terminal is false');
  if (container.process.terminal && !container.mounts.some((m) => m.destination === '/dev/pts' && m.type === 'devpts')) throw new NsboxError('cannot honour process.terminal: the container has no devpts mount at /dev/pts');
  if (container.process.args.length === 0) throw new NsboxError('cannot create the container: process.args is empty');
  if (!existsSync(container.root.path)) throw new NsboxError(`cannot create the container: root.path ${container.root.path}: no such file or directory`);
  if (container.process.selinuxLabel !== undefined) throw new NsboxError('cannot honour process.selinuxLabel: SELinux labels are not supported by nsbox-runtime yet');
  const listen = options.listenFds ?? 0;
  const preserved = passedFds(listen + (options.preserveFds ?? 0));
  if (preserved) checkPreservedFds(preserved.count, options.callerFds);
  ensureRoot(g.root);
  const facts = gatherFacts(g, id, container, preserved !== undefined);
  // As runc, the init's process only: an exec's process (state.process) is config.json's.
  const planned = listen > 0 ? { ...container, process: { ...container.process, env: [...container.process.env, `LISTEN_FDS=${listen}`, 'LISTEN_PID=1'] } } : container;
  const relay = container.process.terminal && options.consoleSocket === undefined ? await startTerminalRelay(id) : undefined;
  try {
    const created = await createWith(g, id, container, planned, facts, options, preserved, runner, relay);
    relay?.removeSocket();
    return created;
  } catch (error) {
    await relay?.stop();
    throw error;
  }
}

async function createWith(g: RuntimeGlobals, id: string, container: OciContainer, planned: OciContainer, facts: CreateFacts, options: CreateOptions, preserved: PassedFds | undefined, runner: Runner, relay: TerminalRelay | undefined): Promise<Created> {
  const plan = buildCreatePlan(g, id, planned, facts, options.foreground, options.consoleSocket ?? relay?.socket, preserved);
  let created: Created | undefined;
  // nsbox's executor, in its OCI-created mode: every step's undo kept, all rolled back on any failure.
  await runCreated(executablePlan(plan, options.foreground, preserved), {
    runner,
    failure: setupError,
    beforeRollback: (execution) => killEverything(facts.cgroup, execution.pids.box),
    onCreated: async (execution) => {
      const pid = execution.pids.box!;
      const init = identify(pid);
      if (!init) throw new NsboxError('cannot create the container: its init exited during set-up');
      const state: RuntimeState = {
        ociVersion: container.ociVersion,
        id,
        bundle: container.bundle,
        rootfs: container.root.path,
        init,
        created: new Date().toISOString(),
        annotations: container.annotations,
        cgroup: facts.cgroup,
        namespaces: [...new Set([...facts.unshare, ...facts.join.map((j) => j.type)])],
        hooks: container.hooks,
        toolbox: facts.toolbox,
        seccomp: facts.seccomp,
        apparmor: facts.apparmor,
        owner: safeUser(),
        process: container.process,
      };
      writeState(g.root, state);
      const light = renderLightEnv(g.root, state);
      if (light !== undefined) writeFileAtomic(statePaths(g.root, id).light, light);
      // createContainer ran in the init, before pivot_root (init-hooks.ts).
      await runHooks(g.root, state, ['prestart', 'createRuntime']);
      if (options.pidFile) writeFileAtomic(options.pidFile, String(pid));
      const box = execution.box!;
      created = { state, ...(options.foreground ? { exited: box.exited.then(exitCodeOf, () => 125) } : {}), ...(relay ? { terminal: relay } : {}) };
    },
  });
  return created!;
}

/** The create plan as the executor runs it: the host steps, the launch in OCI-created mode, then what acts on the waiting init. */
export function executablePlan(plan: RuntimePlan, foreground: boolean, passFds?: PassedFds): Plan {
  const launch: LaunchStep = { kind: 'launch', as: 'box', argv: plan.launch, why: plan.launchWhy, gated: true, tty: true, mode: 'oci-created', keepParent: foreground, ...(passFds ? { passFds } : {}) };
  return { title: plan.title, scripts: [], steps: [...plan.steps, launch, ...(plan.afterReady ?? [])], literal: true };
}

export interface CreateFacts {
  readonly cgroup: ContainerCgroup;
  readonly toolbox: Toolbox;
  readonly seccomp: import('../seccomp/prepare.js').BoxSeccomp | undefined;
  readonly targets: readonly string[];
  readonly fileSources: readonly boolean[];
  /** The mounts in order, resolved: what later lookups below them see. */
  readonly covered: readonly CoveredPath[];
  /** Where the init makes /dev's nodes, links and the toolbox, resolved inside the root (init-script.ts). */
  readonly placed: Readonly<Record<string, string>>;
  /** The device guard's facts (device-guard.ts); undefined when the device rules restrict nothing. */
  readonly deviceGuard: { readonly rootFlags: readonly string[]; readonly mountFlags: readonly (readonly string[])[] } | undefined;
  readonly unshare: readonly NamespaceName[];
  readonly join: readonly { readonly type: NamespaceName; readonly path: string }[];
  readonly apparmor: boolean;
  /** nsbox-runtime holds CAP_SYS_RESOURCE (root normally does; not in every sandbox): see processLimitSteps. */
  readonly sysResource: boolean;
  /** What decides whether the init may set process.rlimits with its own ulimit (init-ulimits.ts); absent: from the host. */
  readonly ulimit?: UlimitFacts;
}

/** What planning needs from the host: the cgroup layout, the toolbox, the compiled filter, resolved mount points. */
export function gatherFacts(g: RuntimeGlobals, id: string, c: OciContainer, preserveFds = false): CreateFacts {
  const cgroup = resolveContainerCgroup(cgroupPathOf(c.cgroupsPath, id));
  const baseToolbox = resolveToolbox(join(g.root, 'toolbox.json'));
  // perl stays for startContainer hooks: it runs them from the toolbox (argv[0] and the timeout, init-hooks.ts); and
  // for --preserve-fds: it moves the preserved fds to their numbers (preserve-fds.ts).
  if (preserveFds && !toolboxHasPerl(baseToolbox)) throw new NsboxError('cannot honour --preserve-fds: it needs perl on the host (moved into the container\'s toolbox)', { hint: 'install perl-base (apt-get install perl-base)' });
  const keepPerl = c.hooks.startContainer.length > 0 || preserveFds;
  let toolbox = keepPerl ? baseToolbox : withoutPerl(baseToolbox);
  let seccomp;
  if (c.seccomp !== undefined) {
    const prepared = prepareSeccomp({ kind: 'profile', file: c.seccomp.what, profile: c.seccomp.profile }, c.process.capabilities.bounding, g.root, baseToolbox);
    toolbox = prepared.toolbox;
    seccomp = prepared.seccomp;
    if (keepPerl) for (const f of baseToolbox.files) if (!toolbox.files.some((t) => t.name === f.name)) toolbox = { ...toolbox, files: [...toolbox.files, f] };
  }
  // Each destination is resolved inside the root as it will be when its turn comes: below earlier mounts, through
  // what they show (a bind's source on the host, nothing for a new filesystem).
  // The init replaces a link or file at /dev by an empty directory (init-script.ts devMountPointLines): nothing below
  // it is looked up in the image then.
  const covered: CoveredPath[] = devIsDirectory(c.root.path) ? [] : [{ target: '/dev' }];
  const targets: string[] = [];
  const fileSources: boolean[] = [];
  for (const [i, mount] of c.mounts.entries()) {
    const target = resolveInRoot(c.root.path, mount.destination, covered);
    const refusal = procMountRefusal(mount, target);
    if (refusal) throw new NsboxError(`cannot honour mounts[${i}] (${mount.destination}): ${refusal}`);
    targets.push(target);
    let isFile = false;
    if (mount.bind !== 'none') {
      try {
        isFile = !statSync(mount.source).isDirectory();
      } catch {
        throw new NsboxError(`cannot honour mounts[${i}] (${mount.destination}): source ${mount.source}: no such file or directory`);
      }
    }
    covered.push(mount.bind === 'none' || isFile ? { target } : { target, source: mount.source });
    fileSources.push(isFile);
  }
  const deviceGuard = devicesRestricted(c.deviceRules)
    ? { rootFlags: rootMountFlags(c.root.path), mountFlags: c.mounts.map((m) => guardedFlags(m, c.deviceRules, m.bind === 'none' ? {} : sourceKind(m.source))) }
    : undefined;
  const unshare = c.namespaces.flatMap((n) => (n.mode === 'new' ? [n.name] : []));
  const joins = c.namespaces.flatMap((n) => (n.mode === 'join' ? [{ type: n.name, path: n.path }] : []));
  if (!c.namespaces.some((n) => n.name === 'mount' && n.mode === 'new')) throw new NsboxError('cannot honour linux.namespaces: nsbox-runtime needs a mount namespace of the container\'s own');
  const sysResource = hasCapability(CAP_SYS_RESOURCE);
  // Read only when the init could use them: rlimits asked for, no user namespace.
  const ulimit = c.process.rlimits.length > 0 && !c.namespaces.some((n) => n.name === 'user') ? ulimitFacts(sysResource) : undefined;
  return { cgroup, toolbox, seccomp, targets, fileSources, covered, placed: placeInitPaths(c, covered), deviceGuard, unshare, join: joins, apparmor: apparmorEnabled(), sysResource, ...(ulimit ? { ulimit } : {}) };
}

/** The init's shell, this process's limits (which the init inherits) and nr_open; undefined when one cannot be read. */
function ulimitFacts(sysResource: boolean): UlimitFacts | undefined {
  try {
    const nrOpen = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
    return { shell: basename(realpathSync('/bin/sh')), own: parseProcLimits(readFileSync('/proc/self/limits', 'utf8')), sysResource, nrOpen: Number.isSafeInteger(nrOpen) ? nrOpen : undefined };
  } catch {
    return undefined;
  }
}

/** The root's /dev is a directory, or missing (not a link, not a file). */
function devIsDirectory(root: string): boolean {
  try {
    return lstatSync(join(root, 'dev')).isDirectory();
  } catch {
    return true;
  }
}

/** The paths the init makes things at itself, each resolved inside the root (its last component taken as it is). */
function placeInitPaths(c: OciContainer, covered: readonly CoveredPath[]): Record<string, string> {
  return Object.fromEntries(initPaths(c).map((p) => [p, resolveParentInRoot(c.root.path, p, covered)]));
}

/** What the init needs to run hooks.createContainer and hooks.startContainer itself. */
function initHooks(c: OciContainer, id: string, verdict: string): InitHooks {
  const state = JSON.stringify({ ociVersion: c.ociVersion, id, status: 'creating', pid: -1, bundle: c.bundle, annotations: c.annotations });
  const [before, after] = state.split('"pid":-1');
  return { createContainer: c.hooks.createContainer ?? [], createState: [`${before}"pid":`, after!], startContainer: c.hooks.startContainer ?? [], verdict };
}

/** The create plan (pure given the facts). */
export function buildCreatePlan(g: RuntimeGlobals, id: string, c: OciContainer, facts: CreateFacts, foreground: boolean, consoleSocket?: string, preserved?: PassedFds): RuntimePlan & { readonly init: string } {
  const paths = statePaths(g.root, id);
  const gateByInit = userRoot(c) === undefined && initCanMakeGate({ userns: false });
  const steps: Step[] = [
    { kind: 'mkdir', path: paths.dir, why: `The container's state directory: state.json, the gate, this plan.`, undo: { kind: 'remove', path: paths.dir } },
    // Without a user namespace the init makes the gate with its nodes' perl (one process fewer).
    ...(gateByInit ? [] : [{ kind: 'exec' as const, argv: ['mkfifo', '-m', '0600', paths.fifo], why: 'The gate: the init waits on it after set-up; `start` writes the line that lets the process run.' }]),
    ...(c.hooks.startContainer.length > 0 ? [{ kind: 'exec' as const, argv: ['mkfifo', '-m', '0600', paths.verdict], why: 'The startContainer hooks\' verdict: the init writes it after the gate opens, `start` waits for it.' }] : []),
    ...planCgroupSteps(facts.cgroup, c.resources, facts.cgroup.version === 1 ? c.deviceRules : []),
  ];
  const root = userRoot(c);
  // The host may set the init's rlimits only with CAP_SYS_RESOURCE once the init is the mapped root (prlimit(2) on
  // another uid's process): without it the init sets them itself, which can only lower them (as the host could).
  const limitsInside = root !== undefined && !facts.sysResource;
  // Without a user namespace the init sets them itself where it cannot fail (one process fewer than prlimit).
  const ulimits = root === undefined && facts.ulimit ? initUlimitLines(c.process.rlimits, facts.ulimit) : undefined;
  // A new user namespace is made by a holder (launch-scripts.ts); a joined one (a pod's) is entered by nsenter.
  const newUserns = root !== undefined && facts.unshare.includes('user');
  if (newUserns) steps.push({ kind: 'exec', argv: ['mkfifo', '-m', '0600', paths.userns], why: 'The user namespace\'s holder waits on it; the forker closes it once the namespace is held.' });
  if (root) {
    // As runc does with exec.fifo: the init opens its fifos after it became the mapped root.
    const fifos = [paths.fifo, ...(c.hooks.startContainer.length > 0 ? [paths.verdict] : [])];
    steps.push({ kind: 'exec', argv: ['chown', `${root.uid}:${root.gid}`, ...fifos], why: `The init opens its fifos as the container's root, host uid ${root.uid} (uid 0 of its user namespace).` });
  }
  // The last mounts before pivot_root, one mount(8) (init-script.ts, step 6): two files, with and without the preload
  // mask (the init picks the one that fits the root it finds).
  const lateFstabs = { withPreload: join(paths.dir, 'late.fstab'), withoutPreload: join(paths.dir, 'late-no-preload.fstab') };
  const deviceEntries = facts.deviceGuard ? deviceBindEntries(c.root.path, c.devices, c.deviceRules, (p) => facts.placed[p] ?? p) : [];
  const tail = lateTailEntries(c, facts.placed, facts.deviceGuard, facts.targets);
  const lateEntries = [
    ...deviceEntries,
    ...toolboxMounts(c.root.path, facts.toolbox, facts.placed[TOOLBOX_DIR]),
    ...kernelPathEntries(c.root.path, c.maskedPaths, c.readonlyPaths, facts.covered),
    ...tail.always,
  ];
  const lateTitle = 'The last mounts before pivot_root, in one `mount --all`: the allowed devices, the toolbox, the masked and read-only paths, the root, /etc.';
  steps.push(
    { kind: 'write-text', path: lateFstabs.withPreload, content: renderFstab(lateTitle, [...lateEntries, tail.preload]), why: 'The allowed devices\' binds, the toolbox, linux.maskedPaths and readonlyPaths, /etc and its preload mask, for one `mount --all`.' },
    { kind: 'write-text', path: lateFstabs.withoutPreload, content: renderFstab(`${lateTitle} No preload mask: the root cannot hold /etc/ld.so.preload.`, lateEntries), why: 'The same without the preload mask, for a root where /etc/ld.so.preload cannot be made.' },
  );
  const initInput = {
    lateFstabs,
    container: c,
    stateDir: paths.dir,
    fifo: paths.fifo,
    gateByInit,
    targets: facts.targets,
    fileSources: facts.fileSources,
    cgroupDirs: facts.cgroup.dirs.map((d) => d.dir),
    cgroupVersion: facts.cgroup.version,
    cgroupRoot: '/sys/fs/cgroup',
    setHostname: facts.unshare.includes('uts'),
    toolbox: facts.toolbox,
    seccomp: facts.seccomp,
    placed: facts.placed,
    ...(facts.deviceGuard ? { deviceGuard: facts.deviceGuard } : {}),
    cwd: resolveInRoot(c.root.path, c.process.cwd, facts.covered),
    apparmor: facts.apparmor,
    ...(consoleSocket !== undefined ? { consoleSocket: resolve(consoleSocket) } : {}),
    hooks: initHooks(c, id, paths.verdict),
    userns: root !== undefined,
    startsAsRoot: root === undefined && runsAsRoot(),
    ...(root !== undefined && consoleSocket !== undefined ? { consoleFd: CONSOLE_FD } : {}),
    ...(preserved ? { preservedFds: preserved } : {}),
    ...(limitsInside && c.process.rlimits.length > 0 ? { rlimits: c.process.rlimits } : {}),
    ...(ulimits ? { ulimits } : {}),
  };
  const cgroupBinds = initCgroupBinds(initInput);
  const cgroupFstab = cgroupBinds.length > 0 ? join(paths.dir, 'cgroup.fstab') : undefined;
  if (cgroupFstab) steps.push({ kind: 'write-text', path: cgroupFstab, content: renderFstab('The container\'s own cgroups, bound with the cgroup mount\'s flags into its tmpfs by the init.', cgroupBinds), why: 'The v1 cgroup view\'s binds, for one `mount --all`.' });
  const mountRuns = initMountRuns(initInput);
  const mountRunFstabs = mountRuns.map((_, i) => join(paths.dir, `mounts-${i + 1}.fstab`));
  mountRuns.forEach((entries, i) => steps.push({ kind: 'write-text', path: mountRunFstabs[i]!, content: renderFstab('config.json\'s mounts in a row, mounted by the init in one call (X-mount.mkdir: each mount point made just before it).', entries), why: `config.json's mounts ${entries.map((e) => e.target.slice(c.root.path.length) || '/').join(' ')}, for one \`mount --all\`.` }));
  const init = buildInitScript({ ...initInput, ...(cgroupFstab ? { cgroupFstab } : {}), ...(mountRunFstabs.length > 0 ? { mountRunFstabs } : {}) });
  const launchInput = {
    cgroupJoinFiles: facts.cgroup.dirs.map((d) => selfJoinFile(d.dir, facts.cgroup.version)),
    join: facts.join,
    unshare: facts.unshare,
    foreground,
    ...(c.timeOffsets.length > 0 ? { timeOffsets: c.timeOffsets } : {}),
    ...(newUserns ? { userns: { uidMap: renderIdMap(c.uidMappings), gidMap: renderIdMap(c.gidMappings), gate: paths.userns } } : {}),
    ...(root !== undefined && consoleSocket !== undefined ? { connectConsole: resolve(consoleSocket) } : {}),
  };
  const launch = launchArgv(launchInput, HOST_PATH, init, c.process.args);
  const plan: RuntimePlan = {
    title: `nsbox-runtime create --bundle ${c.bundle} ${id}`,
    steps,
    scripts: [],
    launch,
    launchWhy: [
      'Launch: join the cgroups, enter or make the namespaces, fork the init (PID 1) from the host\'s pid namespace and exit.',
      ...(preserved ? [`--preserve-fds ${preserved.count}: nsbox-runtime's fds 3..${2 + preserved.count} go with it as fds ${preserved.at}..${preserved.at + preserved.count - 1} (the init moves them back).`] : []),
    ].join('\n'),
    afterReady: processLimitSteps(c.process, !limitsInside && ulimits === undefined),
  };
  const explained = renderRuntimePlan({
    ...plan,
    scripts: [
      { name: 'outer', why: 'In the host\'s namespaces: join the cgroups, then nsenter/unshare.', text: launch[5]! },
      { name: 'forker', why: 'Starts the init as PID 1 of the new pid namespace and exits (the caller reaps it).', text: launch[7]! },
      { name: 'init', why: 'PID 1: mounts, /dev, pivot_root, the gate, then becomes process.args.', text: init },
    ],
    launch: [...launch.slice(0, 5), '$outer', launch[6]!, '$forker', '$init', ...launch.slice(9)],
  });
  steps.push({ kind: 'write-text', path: paths.plan, content: explained, why: 'This plan, for `nsbox-runtime explain ID`.' });
  return { ...plan, steps, init };
}

/** With a new user namespace: the host uid and gid of the container's root (both must be mapped, as runc requires). */
export function userRoot(c: OciContainer): { readonly uid: number; readonly gid: number } | undefined {
  const user = c.namespaces.find((n) => n.name === 'user');
  if (!user) return undefined;
  const uid = mapToHost(c.uidMappings.length > 0 || user.mode === 'new' ? c.uidMappings : joinedMap(user.path, 'uid_map'), 0);
  const gid = mapToHost(c.gidMappings.length > 0 || user.mode === 'new' ? c.gidMappings : joinedMap(user.path, 'gid_map'), 0);
  if (uid === undefined) throw new NsboxError('cannot honour linux.uidMappings: the container\'s uid 0 is not mapped');
  if (gid === undefined) throw new NsboxError('cannot honour linux.gidMappings: the container\'s gid 0 is not mapped');
  return { uid, gid };
}

/** A joined user namespace's map, from the process whose /proc/PID/ns/user the path names (a pod's sandbox). */
function joinedMap(path: string, file: 'uid_map' | 'gid_map'): IdMapRange[] {
  const pid = /^\/proc\/(\d+)\/ns\/user$/.exec(path)?.[1];
  if (pid === undefined) throw new NsboxError(`cannot honour linux.namespaces: give linux.uidMappings and gidMappings to join the user namespace ${path}`);
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8').trim().split('\n').map((l) => {
      const [inside, outside, count] = l.trim().split(/\s+/).map(Number) as [number, number, number];
      return { inside, outside, count };
    });
  } catch (error) {
    throw new NsboxError(`cannot honour linux.namespaces: cannot read the user namespace's ${file} of ${path}: ${(error as Error).message}`);
  }
}

/**
 * What a user namespace changes in the container's mounts: sysfs may be mounted only by the owner of a network
 * namespace, so without a new one /sys is bound from the host (runc's rule), with the flags asked for.
 */
export function inUserns(c: OciContainer): OciContainer {
  if (!c.namespaces.some((n) => n.name === 'user')) return c;
  const newNet = c.namespaces.some((n) => n.name === 'net' && n.mode === 'new');
  if (newNet) return c;
  return { ...c, mounts: c.mounts.map((m) => (m.type === 'sysfs' ? { ...m, type: 'bind', bind: 'rbind' as const, source: '/sys', data: '', readonly: m.flags.includes('ro') } : m)) };
}

/** The init's report as runc words it: callers map "executable file not found" to 127, "permission denied" to 126. */
function setupError(lines: readonly string[]): NsboxError {
  for (const line of lines) {
    const m = /^(not-found|not-executable|is-a-directory): (.*)$/.exec(line);
    if (m?.[1] === 'not-found') return new NsboxError(`exec: "${m[2]}": executable file not found in $PATH`, { exitCode: EXIT_NOT_FOUND });
    if (m) return new NsboxError(`exec: "${m[2]}": permission denied`, { exitCode: EXIT_NOT_EXECUTABLE });
  }
  const failed = lines.find((l) => l.startsWith('failed: '));
  const detail = lines.filter((l) => !l.startsWith('failed: ') && !/^pid \d+$/.test(l)).join('; ');
  return new NsboxError(`cannot create the container: ${[failed?.slice(8), detail].filter(Boolean).join(': ') || 'its init exited during set-up'}`);
}

const CAP_SYS_RESOURCE = 24;

/** The capability is in this process's effective set (/proc/self/status CapEff). */
function hasCapability(bit: number): boolean {
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return hex !== undefined && (BigInt(`0x${hex}`) & (1n << BigInt(bit))) !== 0n;
  } catch {
    return false;
  }
}

function apparmorEnabled(): boolean {
  try {
    return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 0);
  }
}

export { readBootId };
