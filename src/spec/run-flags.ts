// The flags of `nsbox run` and `nsbox sh`, and their translation into a validated BoxDescription.

import { closeSync, openSync, readSync } from 'node:fs';
import type { Options } from 'yargs';
import { NsboxError, flagError } from '../errors.js';
import { NAMESPACE_NAMES, type NamespaceName } from '../host/namespaces.js';
import { CGROUP_OPTIONS, cgroupRequestFromFlags } from '../cgroup/flags.js';
import { IMAGE_OPTIONS } from './image-flags.js';
import { LIFECYCLE_OPTIONS } from '../lifecycle/run-options.js';
import type { BoxDescription, IdMapping } from './box-description.js';
import { parseIdMap } from './id-map.js';
import { buildEnv } from './env.js';
import { validateHostname } from './hostname.js';
import { parseRunAs } from './run-as.js';
import { parseUlimits } from './ulimit-flag.js';
import { parseSysctls } from './sysctl-flag.js';
import { NET_OPTIONS, networkRequestFromFlags, prepareBoxNetwork } from '../net/flags.js';

const NS_GROUP = 'Namespaces (each one asked for is new; every other one is shared with the host):';
const PROC_GROUP = 'Process:';
const OUT_GROUP = 'Output:';

export const RUN_OPTIONS: Readonly<Record<string, Options>> = {
  uts: { type: 'boolean', group: NS_GROUP, describe: 'new hostname and domain name' },
  pid: { type: 'boolean', group: NS_GROUP, describe: 'new process IDs: the command is PID 1' },
  mount: { type: 'boolean', group: NS_GROUP, describe: "new mount table (private propagation: nothing leaks to the host); --mount with a value is Docker's mount, for image boxes" },
  net: { type: 'boolean', group: NS_GROUP, describe: 'new network stack with only lo, up (--net MODE: none, host, bridge or a network name)' },
  ...NET_OPTIONS,
  ipc: { type: 'boolean', group: NS_GROUP, describe: 'new System V IPC and POSIX message queues' },
  user: { alias: 'userns', type: 'boolean', group: NS_GROUP, describe: 'bare: a new user namespace (also --userns), you as root inside unless you give a map. With a value (--user alice, as in Docker) it is -u: a word after --user is its value, as host-root commands come after --' },
  cgroup: { type: 'boolean', group: NS_GROUP, describe: 'new cgroup namespace' },
  time: { type: 'boolean', group: NS_GROUP, describe: 'new time namespace (boot and monotonic clocks)' },
  all: { type: 'boolean', group: NS_GROUP, describe: 'all eight namespaces' },
  hostname: { type: 'string', group: NS_GROUP, describe: 'hostname inside (implies --uts)' },
  'mount-proc': { type: 'boolean', group: NS_GROUP, describe: 'a private /proc showing only the box (implies --mount --pid)' },
  'map-root-user': { type: 'boolean', group: NS_GROUP, describe: 'map your uid/gid to root inside (implies --user)' },
  'map-current-user': { type: 'boolean', group: NS_GROUP, describe: 'map your uid/gid to the same ids inside (implies --user)' },
  'map-auto': { type: 'boolean', group: NS_GROUP, describe: 'map your /etc/subuid and /etc/subgid ranges from 0 (newuidmap; implies --user)' },
  'uid-map': { type: 'string', array: true, group: NS_GROUP, describe: 'INNER:OUTER:COUNT uid range, repeatable (implies --user)' },
  'gid-map': { type: 'string', array: true, group: NS_GROUP, describe: 'INNER:OUTER:COUNT gid range, repeatable (default: as --uid-map)' },
  init: { type: 'boolean', group: NS_GROUP, describe: 'a shell reaper is PID 1: reaps orphans, forwards signals to the command (like docker run --init; host boxes need --pid)' },
  env: { alias: 'e', type: 'string', array: true, group: PROC_GROUP, describe: 'KEY=VAL to set, or KEY to copy from here' },
  'env-file': { type: 'string', array: true, group: PROC_GROUP, describe: 'file of KEY=VAL lines' },
  workdir: { alias: 'w', type: 'string', group: PROC_GROUP, describe: 'working directory inside' },
  interactive: { alias: 'i', type: 'boolean', group: PROC_GROUP, describe: 'keep stdin open: in the foreground it always is (a pipe without -t); -d -i: nsbox attach writes to it' },
  tty: { alias: 't', type: 'boolean', group: PROC_GROUP, describe: 'a pty of the box\'s own for the command, relayed to your terminal (TERM=xterm unless given)' },
  ulimit: { type: 'string', array: true, group: PROC_GROUP, describe: 'NAME=SOFT[:HARD] resource limit of the command (nofile, nproc, core, memlock, stack, cpu, fsize...; -1 is unlimited), repeatable' },
  sysctl: { type: 'string', array: true, group: PROC_GROUP, describe: 'KEY=VALUE a namespaced sysctl in the box\'s own namespace (net.* with a network namespace of its own; kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* with --ipc), repeatable' },
  'run-as': { alias: 'u', type: 'string', group: PROC_GROUP, describe: 'UID[:GID] or NAME[:GROUP] to run the command as, looked up in the box\'s /etc/passwd and /etc/group (image boxes) or the host\'s. --user VALUE means the same when a value follows; a bare --user (or --userns) is the user namespace' },
  explain: { type: 'boolean', group: OUT_GROUP, describe: 'print the plan as a runnable sh script, then run it (--explain=steps: the short numbered list)' },
  'explain-steps': { type: 'boolean', hidden: true, describe: 'set by --explain=steps' },
  'dry-run': { type: 'boolean', group: OUT_GROUP, describe: 'print the plan and change nothing' },
  json: { type: 'boolean', group: OUT_GROUP, describe: 'when the box ends, print its result as one JSON line on stderr (exit code, signal, OOM and pids facts)' },
  ...CGROUP_OPTIONS,
  ...LIFECYCLE_OPTIONS,
  ...IMAGE_OPTIONS,
};

export interface RunArgs {
  readonly [flag: string]: unknown;
}

/** Translate parsed flags and the command's argv into a BoxDescription; every problem is a one-line NsboxError. */
export function buildBoxDescription(args: RunArgs, command: readonly string[], options: { interactive: boolean; hostEnv?: NodeJS.ProcessEnv; exposedPorts?: readonly string[] }): BoxDescription {
  const hostEnv = options.hostEnv ?? process.env;
  if (command.length === 0) throw new NsboxError('missing command: nsbox run [flags] -- CMD [ARG...]');
  if (command[0] === '') throw new NsboxError('invalid command "": the program name is empty');

  const wanted = new Set<NamespaceName>(args.all ? NAMESPACE_NAMES : NAMESPACE_NAMES.filter((n) => args[n] === true));
  const hostname = typeof args.hostname === 'string' ? validateHostname(args.hostname) : undefined;
  if (hostname !== undefined) wanted.add('uts');
  const mountProc = args['mount-proc'] === true;
  if (mountProc) {
    wanted.add('mount');
    wanted.add('pid');
  }
  const asked = buildIdMapping(args);
  if (asked.kind !== 'none') wanted.add('user');
  // A user namespace with no map leaves every process "nobody" without capabilities, so even lo or /proc cannot be
  // set up: like `unshare -r`, map the caller to root inside unless a map was asked for.
  const idMapping: IdMapping = wanted.has('user') && asked.kind === 'none' ? { kind: 'root-user' } : asked;
  if (args.init === true && !wanted.has('pid')) throw flagError('--init', 'true', 'needs --pid (a reaper is PID 1 of a new pid namespace)');

  const workdir = typeof args.workdir === 'string' ? args.workdir : undefined;
  if (workdir !== undefined && !workdir.startsWith('/')) throw flagError('--workdir', workdir, 'must be an absolute path');
  const rlimits = parseUlimits(stringList(args.ulimit));
  const id = randomId();
  const netRequest = networkRequestFromFlags(args, wanted, hostname, options.exposedPorts);
  // After the network flags (they decide whether the box has a network namespace of its own), before its lease.
  const sysctls = parseSysctls(stringList(args.sysctl), wanted);
  const tty = args.tty === true || options.interactive;
  const env = buildEnv(stringList(args.env), stringList(args['env-file']), hostEnv);
  // A pty needs a terminal type: the caller's (inherited), else xterm as Docker sets it.
  if (tty && env.TERM === undefined && hostEnv.TERM === undefined) env.TERM = 'xterm';

  return {
    id,
    namespaces: NAMESPACE_NAMES.filter((n) => wanted.has(n)),
    hostname,
    mountProc,
    idMapping,
    init: args.init === true,
    process: {
      argv: [...command],
      env,
      workdir,
      runAs: typeof args['run-as'] === 'string' ? parseRunAs(args['run-as']) : undefined,
      interactive: options.interactive,
      tty,
      ...(args.interactive === true ? { openStdin: true } : {}),
      ...(rlimits.length > 0 ? { rlimits } : {}),
    },
    cgroup: cgroupRequestFromFlags(args),
    ...(sysctls.length > 0 ? { sysctls } : {}),
    // Last: it takes an address lease, so every other flag must have been checked first.
    ...prepareBoxNetwork(netRequest, id, args),
  };
}

function buildIdMapping(args: RunArgs): IdMapping {
  const uidValues = stringList(args['uid-map']);
  const gidValues = stringList(args['gid-map']);
  const chosen = [
    args['map-root-user'] === true && '--map-root-user',
    args['map-current-user'] === true && '--map-current-user',
    args['map-auto'] === true && '--map-auto',
    (uidValues.length > 0 || gidValues.length > 0) && '--uid-map/--gid-map',
  ].filter(Boolean);
  if (chosen.length > 1) throw new NsboxError(`choose one way to map ids: ${chosen.join(', ')}`);
  if (args['map-root-user'] === true) return { kind: 'root-user' };
  if (args['map-current-user'] === true) return { kind: 'current-user' };
  if (args['map-auto'] === true) return { kind: 'auto' };
  if (uidValues.length === 0 && gidValues.length === 0) return { kind: 'none' };
  if (uidValues.length === 0) throw flagError('--gid-map', gidValues.join(' '), 'needs --uid-map as well');
  const uid = parseIdMap('--uid-map', uidValues);
  const gid = gidValues.length > 0 ? parseIdMap('--gid-map', gidValues) : uid;
  return { kind: 'explicit', uid, gid };
}

function stringList(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** 64 hex characters from /dev/urandom (node:crypto costs several ms of start-up for 32 bytes). */
function randomId(): string {
  const bytes = Buffer.alloc(32);
  const fd = openSync('/dev/urandom', 'r');
  try {
    readSync(fd, bytes, 0, 32, null);
  } finally {
    closeSync(fd);
  }
  return bytes.toString('hex');
}
