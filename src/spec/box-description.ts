// BoxDescription: the validated, read-only description of one box. Flags become a description; only a description becomes a plan.

import type { NamespaceName } from '../host/namespaces.js';
import type { CgroupRequest } from '../cgroup/request.js';

/** One line of /proc/<pid>/uid_map: `inside` in the box is `outside` on the host, for `count` ids. */
export interface IdMapRange {
  readonly inside: number;
  readonly outside: number;
  readonly count: number;
}

/** How ids in a new user namespace map to the host's. */
export type IdMapping =
  | { readonly kind: 'none' }
  /** unshare --map-root-user: the caller's uid/gid become 0 inside. */
  | { readonly kind: 'root-user' }
  /** unshare --map-current-user: the caller's uid/gid are the same inside. */
  | { readonly kind: 'current-user' }
  /** unshare --map-auto: the caller's first /etc/subuid and /etc/subgid ranges, through newuidmap/newgidmap. */
  | { readonly kind: 'auto' }
  /** Explicit ranges, written by nsbox (root) to /proc/<pid>/{uid,gid}_map. */
  | { readonly kind: 'explicit'; readonly uid: readonly IdMapRange[]; readonly gid: readonly IdMapRange[] };

/** Identity the command runs as inside the box (`--user UID[:GID]`). */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

export interface ProcessDescription {
  /** Exactly the argv the program receives; never joined into a string. */
  readonly argv: readonly string[];
  /** Variables added to (or replacing) the inherited environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly workdir: string | undefined;
  readonly runAs: RunAs | undefined;
  /** `nsbox sh`: an interactive shell on the user's terminal. */
  readonly interactive: boolean;
  /** -t (or `nsbox sh` on a terminal): the command gets a pty of its own, relayed to the caller's terminal. */
  readonly tty: boolean;
  /** -i (Docker's OpenStdin): a detached box's stdin stays open for `nsbox attach` (without it, /dev/null). */
  readonly openStdin?: boolean;
  /** --ulimit: set from the host on the box's first process before its gate opens; absent or empty: nsbox's own. */
  readonly rlimits?: readonly import('../oci/container.js').OciRlimit[];
  /** Image boxes, as recorded: the command's supplementary groups (its user's, then --group-add), which exec gives too. */
  readonly groups?: readonly number[];
}

export interface BoxDescription {
  /** 64 hex characters; the first 12 name the box's cgroup and show in messages. */
  readonly id: string;
  /** The namespaces the box gets of its own; every other one is shared with nsbox. */
  readonly namespaces: readonly NamespaceName[];
  readonly hostname: string | undefined;
  readonly mountProc: boolean;
  readonly idMapping: IdMapping;
  /** With a pid namespace: a shell reaper is PID 1 and the command its child (like docker run --init). */
  readonly init: boolean;
  readonly process: ProcessDescription;
  /** Resource limits and cgroup placement; undefined when no limit was asked for. */
  readonly cgroup: CgroupRequest | undefined;
  /** --sysctl KEY=VALUE, namespaced ones only (checked against `namespaces`); absent: none. */
  readonly sysctls?: readonly (readonly [string, string])[];
  /** --net MODE, -p, --dns, --add-host: the request resolved against the host (lease taken); absent: no network set-up. */
  readonly network?: import('../net/setup.js').NetworkSetup;
}
