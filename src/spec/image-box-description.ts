// ImageBoxDescription: a box with its own root file system (an image's layers or a --rootfs directory), validated.

import { parseSize } from '../cgroup/size.js';
import { checkPullFlags } from './docker-pull-flags.js';
import { posix } from 'node:path';
import { NsboxError, flagError } from '../errors.js';
import type { ImageConfig } from '../image/records.js';
import type { ImageRef } from '../image/reference.js';
import { parseCapabilityName, resolveCapabilities } from '../rootfs/capabilities.js';
import { deviceRule, parseDevice, restrictsAccess, type DeviceMapping } from './device-flag.js';
import { canUseDevicesCgroup, chooseBlockDeviceGuard, DEVICES_ALLOW, DEVICES_DENY, type BlockDeviceGuard } from '../rootfs/block-devices.js';
import { detectCgroupHost } from '../cgroup/detect.js';
import { parseCgroupParent } from '../cgroup/flags.js';
import type { CgroupRequest } from '../cgroup/request.js';
import { checkMountOverlap, parseMountSpec, parseTmpfs, parseVolume, type UserMount } from '../rootfs/mount-flags.js';
import type { BoxDescription } from './box-description.js';
import { buildBoxDescription, type RunArgs } from './run-flags.js';
import { parseGroupAdd } from './group-add-flag.js';
import { parseSecurityOpts, type SeccompChoice } from '../seccomp/security-opt.js';

/** Where the root file system comes from. */
export type RootSource =
  | { readonly kind: 'image'; readonly ref: ImageRef }
  | { readonly kind: 'rootfs'; readonly dir: string };

export interface ImageBoxDescription {
  /** Namespaces, hostname, the command (argv, complete environment, working directory) and cgroup limits. */
  readonly box: BoxDescription;
  readonly source: RootSource;
  /** The image store (containers/<id>/ lives there, also for --rootfs). */
  readonly storeRoot: string;
  /** -v, --tmpfs and --mount, sorted so a parent path is mounted before anything under it. */
  readonly mounts: readonly UserMount[];
  readonly readOnly: boolean;
  /** --rm: the container directory goes when the box exits. */
  readonly remove: boolean;
  /** The capability bounding set (setpriv names), in bit order. */
  readonly capabilities: readonly string[];
  readonly privileged: boolean;
  /** --security-opt seccomp=...: nsbox's default profile, a profile file, or unconfined (also by --privileged). */
  readonly seccomp: SeccompChoice;
  /** How the box is kept from creating block devices (src/rootfs/block-devices.ts). */
  readonly blockDevices: BlockDeviceGuard;
  /** --user or the image's User, as written (NAME, UID, NAME:GROUP, UID:GID); resolved with the image's /etc/passwd. */
  readonly user: string | undefined;
  /** The entrypoint part of the command (--entrypoint, else the image's): the record keeps it for inspect. */
  readonly entrypoint: readonly string[];
  /** --group-add as given (gids, names of the image's /etc/group), resolved with --user's tables. */
  readonly groupAdd?: readonly string[];
  /** --shm-size in bytes (undefined: Docker's 64 MB). */
  readonly shmSize?: number;
  /** --device: host nodes bound into the box's /dev. */
  readonly devices?: readonly DeviceMapping[];
}

/** Docker's namespaces for a box with an image: everything except user and time (flags may add those). */
export const IMAGE_NAMESPACES = ['mount', 'uts', 'ipc', 'pid', 'net', 'cgroup'] as const;

/** Docker's PATH when the image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ImageDescriptionInput {
  readonly source: RootSource;
  readonly storeRoot: string;
  /** The image's config ({} for --rootfs). */
  readonly config: ImageConfig;
  /** CMD words given on the command line (replace the image's Cmd), possibly empty. */
  readonly command: readonly string[];
  /** Unused: an image box gets a terminal with -t only, as in Docker. */
  readonly interactive?: boolean;
  readonly hostEnv?: NodeJS.ProcessEnv;
  /** Whether a v1 devices cgroup can deny block devices here (default: detected from /sys/fs/cgroup). */
  readonly devicesCgroup?: boolean;
  /** The network when no --net/--network is given: Docker's bridge, or none (src/net/image-default.ts decides). */
  readonly defaultNetwork?: 'bridge' | 'none';
}

/** Flags + image config -> ImageBoxDescription; every problem is a one-line NsboxError naming the flag. */
export function buildImageBoxDescription(args: RunArgs, input: ImageDescriptionInput): ImageBoxDescription {
  const hostEnv = input.hostEnv ?? process.env;
  const mounts = [...stringList(args.volume).map(parseVolume), ...stringList(args.tmpfs).map(parseTmpfs), ...stringList(args['mount-spec']).map(parseMountSpec)];
  checkMountOverlap(mounts);
  const capabilities = resolveCapabilities(stringList(args['cap-add']), stringList(args['cap-drop']), args.privileged === true);
  const seccomp = parseSecurityOpts(stringList(args['security-opt']), args.privileged === true);
  const groupAdd = parseGroupAdd(stringList(args['group-add']));
  const entrypointFlag = args.entrypoint === undefined ? undefined : String(args.entrypoint);
  const argv = imageArgv(input.config, input.command, input.source, entrypointFlag);
  const entrypoint = entrypointFlag === undefined ? [...(input.config.Entrypoint ?? [])] : entrypointFlag === '' ? [] : [entrypointFlag];

  // Docker's --pid host / --ipc host / --uts host / --cgroupns host (src/spec/host-namespace-flag.ts): false here
  for (const ns of ['pid', 'ipc', 'uts', 'cgroup'] as const) {
    if (args[ns] === false) throw flagError(`--${ns === 'cgroup' ? 'cgroupns' : ns}`, 'host', `an image box always has its own ${ns} namespace (sharing the host's is not supported yet)`);
  }
  checkPullFlags(args.pull, args.platform);
  for (const flag of ['map-root-user', 'map-current-user', 'map-auto', 'uid-map', 'gid-map', 'user'] as const) {
    if (args[flag] !== undefined && args[flag] !== false) throw flagError(`--${flag}`, args[flag], 'user namespaces are not supported for image boxes yet');
  }
  const givenWorkdir = typeof args.workdir === 'string' ? args.workdir : input.config.WorkingDir ?? '/';
  if (!givenWorkdir.startsWith('/')) throw flagError(typeof args.workdir === 'string' ? '--workdir' : 'image WorkingDir', givenWorkdir, 'must be an absolute path');
  // Cleaned as Docker does (/../x is /x): nsbox makes a missing working directory in the box's init layer, and a ".."
  // kept there would name the host's directories around it.
  const workdir = posix.resolve('/', givenWorkdir);

  // A bare --net keeps meaning "only lo"; no network flag at all gets the default (bridge like Docker, or none).
  const network = args.network ?? (args.net === true ? undefined : input.defaultNetwork === 'bridge' ? 'bridge' : undefined);
  const withNamespaces: RunArgs = { ...args, ...Object.fromEntries(IMAGE_NAMESPACES.map((n) => [n, true])), 'run-as': undefined, workdir, network };
  const base = buildBoxDescription(withNamespaces, argv, { interactive: false, hostEnv, exposedPorts: Object.keys(input.config.ExposedPorts ?? {}) });
  const hostname = base.hostname ?? base.id.slice(0, 12);
  const user = typeof args['run-as'] === 'string' ? args['run-as'] : input.config.User;
  const env = buildBoxEnv(input.config.Env ?? [], base.process.env, hostname, base.process.tty);
  const mknodAdded = stringList(args['cap-add']).map((v) => parseCapabilityName('--cap-add', v)).some((c) => c === 'mknod' || c === 'all');
  const devicesCgroup = input.devicesCgroup ?? canUseDevicesCgroup(detectCgroupHost());
  const blockDevices = chooseBlockDeviceGuard(devicesCgroup, args.privileged === true, mknodAdded);
  const devices = stringList(args.device).map(parseDevice);
  checkDeviceTargets(devices);
  // A devices cgroup (v1) when the guard makes one, or when a --device PERMS takes read or write away.
  const restricted = devices.find(restrictsAccess);
  if (restricted && !devicesCgroup && args.privileged !== true) throw flagError('--device', `${restricted.host}:/dev/${restricted.target.join('/')}:${restricted.perms}`, 'permissions other than rw(m) need a cgroup v1 devices hierarchy (cgroup v2 filters devices only with an eBPF program)');
  const allowList = blockDevices === 'devices-cgroup' || (restricted !== undefined && args.privileged !== true);
  const cgroup = allowList ? { ...(base.cgroup ?? placementOnly(hostEnv)), devicesDeny: DEVICES_DENY, devicesAllow: [...DEVICES_ALLOW, ...devices.map(deviceRule)] } : base.cgroup;
  return {
    box: { ...base, hostname, mountProc: false, cgroup, process: { ...base.process, env, workdir, runAs: undefined } },
    source: input.source,
    storeRoot: input.storeRoot,
    mounts: [...mounts].sort((a, b) => a.target.length - b.target.length),
    readOnly: args['read-only'] === true,
    remove: args.rm === true,
    capabilities: blockDevices === 'no-mknod' ? capabilities.filter((c) => c !== 'mknod') : capabilities,
    privileged: args.privileged === true,
    seccomp,
    blockDevices,
    user: user === '' ? undefined : user,
    entrypoint,
    ...(groupAdd.length > 0 ? { groupAdd } : {}),
    ...shmSizeOf(args['shm-size']),
    ...(devices.length > 0 ? { devices } : {}),
  };
}

/** Two --device at one path, or one below another, would hide one another (-v and --tmpfs refuse /dev already). */
function checkDeviceTargets(devices: readonly DeviceMapping[]): void {
  const paths = devices.map((d) => `/dev/${d.target.join('/')}`);
  for (const [i, path] of paths.entries()) {
    if (paths.some((other, j) => j !== i && (other === path || other.startsWith(`${path}/`)))) throw flagError('--device', path, 'given twice, or another device below it');
  }
}

/** --shm-size as tmpfs wants it (bytes); "0" means the default, as in Docker. */
function shmSizeOf(value: unknown): { shmSize?: number } {
  if (value === undefined) return {};
  const size = parseSize(String(value));
  if (!size.ok) throw flagError('--shm-size', value, size.reason);
  return size.bytes === 0n ? {} : { shmSize: Number(size.bytes) };
}

/**
 * Docker's rule: CMD words replace the image's Cmd; the Entrypoint, if any, comes first. `--entrypoint X` replaces the
 * Entrypoint and drops the image's Cmd (`--entrypoint ""`: no entrypoint at all).
 */
export function imageArgv(config: ImageConfig, command: readonly string[], source: RootSource, entrypointFlag?: string): string[] {
  const entrypoint = entrypointFlag === undefined ? config.Entrypoint ?? [] : entrypointFlag === '' ? [] : [entrypointFlag];
  const cmd = command.length > 0 ? command : entrypointFlag === undefined ? config.Cmd ?? [] : [];
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) {
    const what = source.kind === 'image' ? `image ${source.ref.name}:${source.ref.tag} has no Cmd or Entrypoint` : '--rootfs needs a command';
    throw new NsboxError(`missing command: ${what}; give one after the image name (or after --)`);
  }
  if (argv[0] === '') throw new NsboxError('invalid command "": the program name is empty');
  return argv;
}

/**
 * The box's whole environment (nothing is inherited from the host): PATH, HOSTNAME, HOME, TERM with a terminal (-t),
 * then the image's Env, then -e/--env-file. HOME is filled in from the image's /etc/passwd later when unset.
 */
export function buildBoxEnv(imageEnv: readonly string[], flags: Readonly<Record<string, string>>, hostname: string, tty: boolean): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOSTNAME: hostname };
  if (tty) env.TERM = 'xterm';
  for (const entry of imageEnv) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { ...env, ...flags };
}

/** A request with no limit, only the placement: --cgroup-parent's default rule ($NSBOX_CGROUP_PARENT, else "nsbox"). */
function placementOnly(env: NodeJS.ProcessEnv): CgroupRequest {
  const fromEnv = env.NSBOX_CGROUP_PARENT;
  const { parent, parentBase } = fromEnv ? parseCgroupParent(fromEnv, 'NSBOX_CGROUP_PARENT') : parseCgroupParent('nsbox');
  return {
    memoryBytes: undefined,
    memorySwapBytes: undefined,
    cpuQuotaUs: undefined,
    cpuPeriodUs: undefined,
    cpuShares: undefined,
    cpusetCpus: undefined,
    pidsLimit: undefined,
    parent,
    parentBase,
  };
}

function stringList(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
