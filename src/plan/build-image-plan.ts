// Turns an ImageBoxDescription and the facts read from the store and host into the plan of `nsbox run IMAGE`. Pure.
//
// On the host: the container's directory (upper, work, init layer, /etc files, the mount tables); then the box is
// launched in Docker's namespaces, and its init script (src/rootfs/image-init-script.ts) does every mount inside
// the box's own mount namespace, so nothing is ever mounted on the host and nothing needs unmounting there.

import type { ArchName } from '../seccomp/arches.js';
import { NsboxError } from '../errors.js';
import { HOST_PATH as HOST_TOOL_PATH } from '../host/host-env.js';
import { namespaceInfo } from '../host/namespaces.js';
import { chooseJoin, planCgroup } from '../cgroup/plan-cgroup.js';
import type { ImageBoxDescription } from '../spec/image-box-description.js';
import type { ContainerRecord } from '../rootfs/container-dir.js';
import type { InitEntry } from '../rootfs/mountpoints.js';
import type { BoxUser } from '../rootfs/image-user.js';
import { buildEarlyMounts, buildLateMounts, ETC_FILES, type MountFacts } from '../rootfs/box-mounts.js';
import { renderFstab } from '../rootfs/fstab.js';
import { guardsPreload, PRELOAD_FILE } from '../rootfs/preload-guard.js';
import { buildImageInitScript, overlayOptions } from '../rootfs/image-init-script.js';
import { planCgroupView } from '../rootfs/cgroup-view.js';
import { renderHostnameFile, renderHostsFile } from '../rootfs/etc-files.js';
import { splitStreams, streamFifosStep, buildDetachedReaperScript, buildReaperScript, buildSupervisorScript, keptStdin, stdinFifoStep } from './box-scripts.js';
import { buildTtyReaperScript, ownDevptsStep } from '../tty/tty-reaper-script.js';
import { RELAY_SCRIPT } from '../tty/relay-program.js';
import { helperTitle, launchArgv, runScriptArgv } from './script-env.js';
import { ulimitSteps } from './rlimit-step.js';
import { sysctlCommands } from '../spec/sysctl-flag.js';
import { enterBoxStep, planNetwork } from '../net/plan-network.js';
import { hostsText } from '../net/files.js';
import type { BoxScript, DetachFiles, Plan, Step } from './types.js';
import type { BoxSeccomp } from '../seccomp/prepare.js';
import { newSessionKeyringArgv } from '../host/session-keyring.js';
import { preloadUnderWritableMount } from '../rootfs/preload-guard.js';

/** `run -d IMAGE`: the box outlives nsbox in a session of its own, output to its log, its exit to the exit file. */
export interface ImagePlanOptions {
  readonly detach?: DetachFiles;
  /** start/restart: the container directory exists (same upper layer, same init layer); only its files are rewritten. */
  readonly reuseContainer?: boolean;
  /** --rm on a recorded box: nsbox removes the container with its record when the box ends (not this plan's undo). */
  readonly removedWithRecord?: boolean;
}

/** What planning needs from the store and the host (gathered by the command; planning reads nothing). */
export interface ImagePlanFacts extends MountFacts {
  /** "name:tag" for containers/<id>/image, or undefined for --rootfs. */
  readonly imageLabel: string | undefined;
  readonly record: ContainerRecord;
  /** The image's layer directories (or the --rootfs directory), top-most first. */
  readonly lowerDirs: readonly string[];
  /** Mount points to create in the init layer, parents first. */
  readonly initEntries: readonly InitEntry[];
  readonly user: BoxUser;
  readonly resolvConf: string;
  /** Host directories a -v or named volume needs that do not exist yet, parents first (Docker creates them). */
  readonly createDirs?: readonly string[];
  /** The box's seccomp filter and its loader; undefined: unconfined. */
  readonly seccomp?: BoxSeccomp;
  /** The kernel has overlay's `volatile` (5.10+): a foreground --rm box's upper layer is mounted with it. */
  readonly overlayVolatile?: boolean;
  /** nsbox runs as uid 0 and gid 0, so the box's init does (a 0:0 box user needs one setpriv, not two). */
  readonly startsAsRoot?: boolean;
  /** This machine's architecture (nativeArch): the init's perl enters the root with its syscall numbers. */
  readonly arch?: ArchName;
}

/** The host's PATH for the tools the init runs before pivot_root (the environment is otherwise empty). */
const HOST_PATH = `PATH=${HOST_TOOL_PATH}`;
/** A kernel page: the limit of one mount's option string (overlay's lowerdir list lives there). */
const MAX_MOUNT_OPTIONS = 4095;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Build the plan; `title` is the nsbox command line shown at the top of --explain. */
export function buildImagePlan(spec: ImageBoxDescription, facts: ImagePlanFacts, title: string, options: ImagePlanOptions = {}): Plan {
  const box = spec.box;
  const detach = options.detach;
  // --net bridge/NAME, -p, --dns, --add-host: host-side steps once the namespaces exist; /etc/hosts and resolv.conf
  // are then the network's files (rewritten in place when peers come and go), bound like the others.
  const c = facts.container;
  // Its /etc/hosts and resolv.conf in the container's directory (the box writes them: never the state dir's tmpfs).
  const net = box.network ? planNetwork(box.network, box.id, { bindFiles: false, etcFiles: { hosts: c.hosts, resolvConf: c.resolvConf } }) : undefined;
  // The container's files, made while the launched box waits at its gate (see the order at the end).
  const steps: Step[] = [];
  const cgroup = box.cgroup ? planCgroup(box.cgroup, box.id) : undefined;
  const { steps: joinSteps, selfJoin } = chooseJoin(cgroup, box.namespaces);
  const cgroupView = planCgroupView(cgroup?.box, spec.privileged);

  for (const dir of facts.createDirs ?? []) {
    steps.push({ kind: 'mkdir', path: dir, why: 'A -v host directory or named volume that does not exist yet: created, as Docker does, and kept after the box.' });
  }
  // The container's directory. With --rm it goes when the box ends; otherwise it stays for commit and export.
  const reuse = options.reuseContainer === true;
  if (!reuse) steps.push({
    kind: 'mkdir',
    path: c.dir,
    why: spec.remove ? 'The container\'s directory (--rm: removed with everything in it when the box ends).'
      : options.removedWithRecord ? 'The container\'s directory (--rm: nsbox removes it with the box\'s record when the box ends).'
      : 'The container\'s directory: it stays after the box ends (nsbox commit / export use it).',
    ...(spec.remove ? { undo: { kind: 'remove' as const, path: c.dir } } : {}),
  });
  // start/restart: the directories are there from the first run (the upper layer is the box's state).
  if (!reuse) {
    steps.push(
      { kind: 'mkdir', path: c.upper, why: 'The upper layer: every file the box writes lands here, never in the image.' },
      { kind: 'mkdir', path: c.work, why: 'overlayfs\'s work directory (must be on the same file system as the upper layer).' },
      { kind: 'mkdir', path: c.rootfs, why: 'The mount point of the box\'s root (mounted inside the box\'s mount namespace only).' },
      { kind: 'mkdir', path: c.init, why: 'The init layer: mount points the image lacks, kept out of the upper layer (and out of commits).' },
    );
    for (const entry of facts.initEntries) steps.push(...initEntrySteps(c.init, entry));
  }
  // After the directories, so that --explain's script makes them all with one mkdir (consecutive mkdir steps).
  if (facts.imageLabel !== undefined) {
    steps.push({ kind: 'write-file', path: c.image, content: `${facts.imageLabel}\n`, why: 'Name the image this container uses: nsbox image rm refuses while this file exists.' });
  }
  steps.push({ kind: 'write-text', path: c.config, content: `${JSON.stringify(facts.record, null, 2)}\n`, why: 'Record what the container was made from (nsbox commit adds its upper layer on top of these layers).' });
  const hostname = box.hostname ?? box.id.slice(0, 12);
  const etc: Record<(typeof ETC_FILES)[number], [string, string]> = {
    hostname: [c.hostname, renderHostnameFile(hostname)],
    hosts: [c.hosts, box.network ? hostsText(box.network, box.id) : renderHostsFile()],
    'resolv.conf': [c.resolvConf, facts.resolvConf],
  };
  // The network's /etc/hosts and resolv.conf: its steps write them (after the launch, before the gate opens).
  const byNetwork = new Set(Object.values(net?.files ?? {}));
  for (const name of ETC_FILES) {
    if (!byNetwork.has(etc[name][0])) steps.push({ kind: 'write-text', path: etc[name][0], content: etc[name][1], why: `The box's /etc/${name}.` });
  }
  if (guardsPreload(spec.mounts)) steps.push({ kind: 'write-file', path: c.preload, content: '', why: 'The box\'s /etc/ld.so.preload: empty, bound read-only (the toolbox\'s loader would load what it names).' });

  const root = c.rootfs;
  steps.push(
    { kind: 'write-text', path: c.fstabEarly, content: renderFstab('Mounted by the box\'s init before /dev is filled.', buildEarlyMounts(spec, root, cgroupView)), why: 'The box\'s first mounts, as an fstab for one `mount --all`.' },
    { kind: 'write-text', path: c.fstabLate, content: renderFstab('Mounted by the box\'s init once /dev has its mount points.', buildLateMounts(spec, { ...facts, etcSources: net?.files, cgroupView }, root)), why: 'The rest of the box\'s mounts, in order.' },
  );

  const env: Record<string, string> = { ...box.process.env };
  if (env.HOME === undefined) env.HOME = facts.user.home;
  const badName = Object.keys(env).find((k) => !ENV_NAME.test(k));
  if (badName !== undefined) throw new NsboxError(`cannot set environment variable ${JSON.stringify(badName)}: not a valid name`);
  const lowerDirs = [c.init, ...facts.lowerDirs];
  const init = buildImageInitScript({
    container: c,
    lowerDirs,
    hostname,
    readOnly: spec.readOnly,
    // Only an upper layer that goes when this run ends: start/restart could never remount a volatile one.
    volatile: facts.overlayVolatile === true && !detach && !reuse && (spec.remove || options.removedWithRecord === true),
    loUp: box.namespaces.includes('net'),
    confined: confinedTargets(spec),
    ...(spec.devices ? { devices: spec.devices.map((d) => d.target.join('/')) } : {}),
    console: facts.console,
    toolbox: facts.toolbox,
    workdir: box.process.workdir ?? '/',
    env,
    user: facts.user,
    capabilities: spec.capabilities,
    noNewPrivs: !spec.privileged,
    blockDevices: spec.blockDevices,
    preloadOverMount: !spec.privileged && preloadUnderWritableMount(spec.mounts),
    cgroupView,
    seccomp: facts.seccomp,
    init: box.init,
    startsAsRoot: facts.startsAsRoot,
    arch: facts.arch,
  });
  if (overlayOptions({ container: c, lowerDirs, readOnly: true, volatile: true }).length > MAX_MOUNT_OPTIONS) {
    throw new NsboxError(`cannot run an image of ${facts.lowerDirs.length} layers from ${c.dir}: the overlay mount options exceed a page`, {
      hint: 'use a store root with a shorter path (--root), or an image with fewer layers',
    });
  }
  const tty = box.process.tty && !detach;
  // run -dit: the relay runs under the supervisor, output to the log, and serves nsbox attach on this socket.
  const attachSocket = box.process.tty ? detach?.attachSocket : undefined;
  const stdinFifo = keptStdin(box, detach);
  const { detach: launchDetach, streams } = splitStreams(detach, box.process.tty);
  const scripts: BoxScript[] = [
    ...(detach ? [{ name: 'supervisor', why: 'Outlives nsbox: starts the box, writes its exit status to the box\'s exit file, restarts or removes it.', text: buildSupervisorScript(detach.after, attachSocket, stdinFifo, streams) }] : []),
    attachSocket !== undefined
      ? { name: 'reaper', why: 'Outside the new pid namespace: becomes the terminal relay of PID 1 (-dit), which writes its output to the log and serves nsbox attach.', text: buildTtyReaperScript({ id: box.id, ownDevpts: true, cleanEnv: HOST_PATH, attachSocket, selfJoin }) }
      : detach
      ? { name: 'reaper', why: 'Waits for PID 1 outside its pid namespace and exits with its status.', text: buildDetachedReaperScript({ cleanEnv: HOST_PATH, selfJoin }) }
      : tty
        ? { name: 'reaper', why: 'Outside the new pid namespace: makes the box\'s devpts, then becomes the terminal relay of PID 1 (-t).', text: buildTtyReaperScript({ id: box.id, ownDevpts: true, cleanEnv: HOST_PATH, selfJoin }) }
        : { name: 'reaper', why: 'Waits outside the new pid namespace for PID 1 and reports its exit status.', text: buildReaperScript({ cleanEnv: HOST_PATH, selfJoin, launchedClean: true }) },
    { name: 'init', why: 'PID 1: builds the root file system, enters it with pivot_root, drops privileges, execs the command.', text: init },
    ...(tty || attachSocket !== undefined ? [RELAY_SCRIPT] : []),
  ];
  const unshare = ['unshare', ...box.namespaces.map((n) => namespaceInfo(n).flag), '--propagation', 'private'];
  const launch: Step = {
    kind: 'launch',
    as: 'box',
    // setsid first: right after env at the head of the argv, nsbox does both itself (spawn options, no process).
    argv: launchArgv(box.id, scripts, detach !== undefined, [...(detach || tty ? [] : ['setsid', '--']), ...(cgroup?.launchPrefix ?? []), 'setpriv', '--pdeathsig', 'KILL', '--', ...(spec.seccomp.kind === 'default' ? [] : newSessionKeyringArgv()), ...unshare, '--', ...runScriptArgv('reaper', helperTitle('reaper', box.id)), ...box.process.argv], detach || tty || attachSocket !== undefined ? undefined : HOST_TOOL_PATH, box.process.argv.length),
    gated: true,
    ...(detach ? {} : { literalTail: box.process.argv.length }),
    ...(tty ? { tty: true } : {}),
    why: `Create new ${box.namespaces.join(', ')} namespaces (Docker's set) with private mount propagation (PID 1 starts from an empty environment), ${detach ? 'under its supervisor, in a session of its own that outlives nsbox, output to its log' : tty ? 'dying with nsbox' : 'in a session of its own (no controlling terminal), dying with nsbox'}; the box waits at its gate on fd 3.`,
    ...(launchDetach ? { detach: launchDetach, supervised: true } : {}),
  };
  // The order: launch first, so that the box's namespaces are made while nsbox makes its cgroups and files (the box
  // only waits at its gate meanwhile); then the cgroups (the reaper joins them itself after its gate; with a user
  // namespace nsbox moves it, in the background, which the container's files overlap); the checks from outside;
  // the gate opens last.
  steps.unshift(...(stdinFifo !== undefined ? [stdinFifoStep(stdinFifo)] : []), ...(streams ? [streamFifosStep(streams)] : []), launch, ...(cgroup ? [...cgroup.setup, ...joinSteps] : []));
  steps.push({
    kind: 'await-namespaces',
    pid: 'box',
    isolate: box.namespaces,
    checkShared: true,
    why: 'Wait until the namespaces exist, and check from /proc that each one asked for is new and every other one is shared.',
  });
  steps.push(...ulimitSteps(box));
  if (net) steps.push(...net.steps);
  // --sysctl after the network's own (an interface's sysctl needs eth0 there), in the same entry into the box.
  const enter = enterBoxStep([...(net?.inBox ?? []), ...sysctlCommands(box.sysctls)]);
  if (enter) steps.push(enter);
  if (tty || attachSocket !== undefined) steps.push(ownDevptsStep());
  steps.push({ kind: 'release', why: 'Open the gate: the box builds its root and runs its command now.' });
  // Detached: no wait step; the executor hands the box over once its command has started.
  if (!detach) steps.push({ kind: 'wait', why: 'Wait for the box; the command\'s exit status is nsbox\'s (128+N if signal N killed it).' });
  return { title, scripts, steps, ...(cgroup ? { cgroup: cgroup.box } : {}) };
}

/** One init-layer entry: a directory (the image's own attributes when it has one) or an empty file. Node creates
 * them with umask 022 (0755/0644, root); chmod/chown only when the image's directory differs. */
function initEntrySteps(initDir: string, entry: InitEntry): Step[] {
  const path = `${initDir}/${entry.path}`;
  // The paths are the image's (its WorkingDir, Volumes) below nsbox's own init dir: data, never filled (literal).
  if (entry.kind === 'file') return [{ kind: 'write-file', path, content: '', literal: true, why: `Mount point /${entry.path}: the image has no such file.` }];
  const copy = entry.mode !== 0o755 || entry.uid !== 0 || entry.gid !== 0;
  const steps: Step[] = [{ kind: 'mkdir', path, literal: true, why: copy ? `/${entry.path} in the init layer (it hides the image's, so it copies its mode and owner).` : `/${entry.path} in the init layer (for a mount point below it, or one itself).` }];
  if (entry.mode !== 0o755) steps.push({ kind: 'exec', argv: ['chmod', entry.mode.toString(8).padStart(4, '0'), path], literal: true, why: `The image's mode for /${entry.path}.` });
  if (entry.uid !== 0 || entry.gid !== 0) steps.push({ kind: 'exec', argv: ['chown', `${entry.uid}:${entry.gid}`, path], literal: true, why: `The image's owner for /${entry.path}.` });
  return steps;
}

/** Every mount destination inside the merged root (not /dev's insides: that is the box's own tmpfs). */
function confinedTargets(spec: ImageBoxDescription): string[] {
  const covered = new Set(spec.mounts.map((m) => m.target.join('/')));
  return [
    'proc',
    'sys',
    'dev',
    ...ETC_FILES.map((n) => `etc/${n}`).filter((p) => !covered.has(p)),
    ...(guardsPreload(spec.mounts) ? [PRELOAD_FILE] : []),
    ...spec.mounts.map((m) => m.target.join('/')),
  ];
}
