// The box record kept in state.json: what a box is, what it runs, and what tearing it down takes.
// Whether it runs is never stored: status.ts derives it from /proc on every read.

import type { BoxCgroup } from '../cgroup/plan-cgroup.js';
import type { CgroupRequest } from '../cgroup/request.js';
import type { NamespaceName } from '../host/namespaces.js';
import type { UndoStep } from '../plan/types.js';
import type { ProcessIdentity } from './proc-identity.js';
import type { Toolbox } from '../rootfs/toolbox.js';
import type { RestartPolicy } from '../lifecycle/box-config.js';

export const RECORD_VERSION = 1;

/**
 * 'creating' until set-up is done (its owner is the nsbox that creates it); then 'started'. 'created': `nsbox create`
 * recorded it and nothing of it runs or exists yet but its record and name (`start` runs it as it runs a stopped box).
 */
export type BoxPhase = 'creating' | 'created' | 'started';

export interface BoxRecord {
  readonly version: typeof RECORD_VERSION;
  /** 64 hex digits. */
  readonly id: string;
  readonly name: string | undefined;
  /** ISO time. */
  readonly created: string;
  readonly phase: BoxPhase;
  /** The nsbox process that creates (and, in the foreground, waits for) the box. */
  readonly owner: ProcessIdentity;
  readonly detached: boolean;
  /** --rm: removed as soon as it exits (by its foreground nsbox, or by gc). */
  readonly autoRemove: boolean;
  /** The image it runs, for image boxes. */
  readonly image: string | undefined;
  /** Image boxes: the toolbox mounted in it (exec runs its setpriv and env). */
  readonly toolbox?: Toolbox;
  readonly command: readonly string[];
  readonly process: RecordedProcess;
  /** The process whose life is the box's: the reaper shell (or the box process itself without one). */
  readonly supervisor: ProcessIdentity | undefined;
  /** The command's parent (the reaper), in the box's cgroup but nsbox's, not the box's: stats, top and kill skip it. */
  readonly reaper?: ProcessIdentity;
  /** The command, PID 1 of a pid namespace: what exec enters and stop signals. */
  readonly init: ProcessIdentity | undefined;
  readonly namespaces: Readonly<Partial<Record<NamespaceName, number>>>;
  readonly cgroup: BoxCgroup | undefined;
  /** How the box was asked for (Docker's Config and HostConfig in inspect); absent in records made before it. */
  readonly config?: RecordedConfig;
  /** The box's network as data (inspect, port, ps); absent for a box that shares nsbox's network namespace. */
  readonly network?: RecordedNetwork;
  /** Mount points the box made on the host, for inspect (their undo is in `undo`). */
  readonly mounts: readonly string[];
  /** Teardown, in creation order (run newest first): every feature registers what it made here. */
  readonly undo: readonly UndoStep[];
  /** Set by the foreground nsbox when it saw the box end (detached boxes: the exit file). */
  readonly exit: RecordedExit | undefined;
  // Docker's settings that outlive one run (optional: records written before them mean Docker's defaults).
  /** --label KEY=VALUE */
  readonly labels?: Readonly<Record<string, string>>;
  /** --restart, carried out by the box's supervisor. */
  readonly restartPolicy?: RestartPolicy;
  /** How many times the supervisor restarted the box (Docker's RestartCount; `start` by hand resets nothing). */
  readonly restartCount?: number;
  /** The command's entrypoint part (image boxes: --entrypoint or the image's), for inspect. */
  readonly entrypoint?: readonly string[];
  /** --stop-signal ("SIGTERM") and --stop-timeout (seconds): what `stop` sends, and how long it waits. */
  readonly stopSignal?: string;
  readonly stopTimeout?: number;
  /** --init: a reaper is PID 1 and the command its child. */
  readonly withInit?: boolean;
  /** ISO time the current (or last) run's command started: ps's "Up 5 seconds", Docker's State.StartedAt. */
  readonly startedAt?: string;
  /** Consecutive quick restarts (the back-off doubles with each; a run of 10 s or more resets it, as in Docker). */
  readonly backoffStep?: number;
  /** Set while the supervisor launches the box again (its owner is that nsbox): ps says "Restarting" meanwhile. */
  readonly relaunching?: boolean;
  /** Set by `stop` (cleared by `start`): a restart policy does not restart a box stopped by hand. */
  readonly stoppedByUser?: boolean;
  /** How to start the box again (`start`, `restart`, the supervisor): see lifecycle/relaunch.ts. */
  readonly launch?: import('../lifecycle/relaunch.js').LaunchRecipe;
}

export interface RecordedProcess {
  /** Variables set on top of the inherited environment (`inheritEnv`) or, for image boxes, the whole of it. */
  readonly env: Readonly<Record<string, string>>;
  readonly inheritEnv: boolean;
  readonly workdir: string | undefined;
  readonly runAs: { readonly uid: number; readonly gid: number } | undefined;
  /** --ulimit: exec's processes get them too (as in Docker); absent: none asked (or a record made before it). */
  readonly rlimits?: readonly import('../oci/container.js').OciRlimit[];
  /** Image boxes: the command's supplementary groups (its user's and --group-add); exec without -u gives them too. */
  readonly groups?: readonly number[];
}

/** The flags and image settings inspect shows; each feature that adds a run flag records it here. */
export interface RecordedConfig {
  readonly hostname: string | undefined;
  /** --user or the image's User as written ("app", "1000:1000"); undefined: root, or the caller on a host root. */
  readonly user: string | undefined;
  /** The image's Entrypoint and the Cmd the box runs (argv is Entrypoint then Cmd); host-root boxes: none, argv. */
  readonly entrypoint: readonly string[] | undefined;
  readonly cmd: readonly string[];
  /** The limits asked for; undefined: none (a recorded box still gets a tracking cgroup). */
  readonly resources: CgroupRequest | undefined;
  /** -v and --tmpfs, in mount order. */
  readonly volumes: readonly RecordedVolume[];
  readonly privileged: boolean;
  /** --cap-add and --cap-drop as given (lower-case setpriv names). */
  readonly capAdd: readonly string[];
  readonly capDrop: readonly string[];
  readonly readOnlyRootfs: boolean;
  /** Docker's SecurityOpt words for what nsbox always does (e.g. "no-new-privileges"). */
  readonly securityOpt: readonly string[];
}

export type RecordedVolume =
  | { readonly kind: 'bind'; readonly source: string; readonly target: string; readonly readOnly: boolean }
  | { readonly kind: 'tmpfs'; readonly target: string; readonly options: string };

/** What `--net`/`-p` gave the box, as inspect and `port` show it (the links and rules themselves are in `undo`). */
export interface RecordedNetwork {
  /** none: only lo; host: the host's; bridge: the default network; user: a network made by `network create`. */
  readonly mode: 'none' | 'host' | 'bridge' | 'user';
  /** bridge and user modes: the network the box is on, and its address there. */
  readonly attachment: RecordedAttachment | undefined;
  /** What the flags asked (network, -p, --dns, --add-host, names): `start` attaches the box again from it. */
  readonly request?: import('../net/request.js').NetworkRequest;
}

export interface RecordedAttachment {
  /** The network's name ("bridge" for the default one). */
  readonly network: string;
  readonly bridge: string;
  /** "A.B.C.D" and its prefix length. */
  readonly address: string;
  readonly prefixLength: number;
  readonly gateway: string;
  /** eth0's MAC when nsbox chose it (derived from the address); undefined: the kernel's random one. */
  readonly macAddress: string | undefined;
  /** The host end of the box's veth pair. */
  readonly hostVeth: string;
  /** `-p [IP:]HOSTPORT:BOXPORT/PROTO`, in flag order (hostIp absent: every host address). */
  readonly ports: readonly { readonly hostIp?: string; readonly hostPort: number; readonly boxPort: number; readonly protocol: 'tcp' | 'udp' }[];
  /** Names peers on the network find the box by (hostname, --name). */
  readonly aliases: readonly string[];
}

export interface RecordedExit {
  readonly code: number;
  readonly finishedAt: string;
  readonly oomKilled: boolean;
}

/** Parse a state.json text; undefined when it is not a record this nsbox understands. */
export function parseRecord(text: string): BoxRecord | undefined {
  try {
    const value = JSON.parse(text) as BoxRecord;
    if (value.version !== RECORD_VERSION || typeof value.id !== 'string' || !/^[0-9a-f]{64}$/.test(value.id)) return undefined;
    return value;
  } catch {
    return undefined;
  }
}
