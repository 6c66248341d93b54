// OciContainer: nsbox's validated, normalised description of one OCI container, made from a bundle's config.json
// by src/oci/parse-bundle.ts. Everything in it is something nsbox honours; a plan builder reads it directly,
// without looking at config.json again. ("spec" in OCI means config.json itself, so this is never called that.)

import type { CgroupParentBase, CgroupRequest } from '../cgroup/request.js';
import type { NamespaceName } from '../host/namespaces.js';
import type { SeccompProfile } from '../seccomp/profile.js';
import type { IdMapRange } from '../spec/box-description.js';

export interface OciContainer {
  /** config.json's ociVersion, as given (e.g. "1.0.2-dev"). */
  readonly ociVersion: string;
  /** Absolute path of the bundle directory. */
  readonly bundle: string;
  readonly root: OciRoot;
  /** In config.json order: later mounts may go over earlier ones. */
  readonly mounts: readonly OciMount[];
  readonly process: OciProcess;
  /** Namespaces the container gets (new or joined); a type not listed is shared with the runtime's. */
  readonly namespaces: readonly OciNamespace[];
  /** With a new user namespace: how ids map. Empty for now: parseBundle refuses user namespaces. */
  readonly uidMappings: readonly IdMapRange[];
  readonly gidMappings: readonly IdMapRange[];
  /** linux.timeOffsets, with a new time namespace: each clock's offset (src/runtime/time-offsets.ts sets them). */
  readonly timeOffsets: readonly OciTimeOffset[];
  /** Set only with a new uts namespace (validated: sethostname(2) limits). */
  readonly hostname: string | undefined;
  readonly resources: OciResources;
  readonly cgroupsPath: OciCgroupsPath;
  /** Device nodes to create in the container's /dev: config.json's, then the runtime-spec's defaults not listed. */
  readonly devices: readonly OciDevice[];
  /** Device-cgroup rules in the order written: config.json's, then runc's default allow-list. */
  readonly deviceRules: readonly OciDeviceRule[];
  /** Absolute container paths: files get /dev/null bound over them, directories a read-only empty tmpfs (as runc). */
  readonly maskedPaths: readonly string[];
  /** Absolute container paths bound read-only over themselves. */
  readonly readonlyPaths: readonly string[];
  /** Kernel parameters written under /proc/sys inside the container's namespaces, in config.json order. */
  readonly sysctl: readonly (readonly [key: string, value: string])[];
  /** The validated linux.seccomp (compile with src/seccomp: see OciSeccomp); undefined: unconfined. */
  readonly seccomp: OciSeccomp | undefined;
  readonly hooks: OciHooks;
  /** Propagation of the container's root mount (linux.rootfsPropagation); undefined: runc's default, rprivate. */
  readonly rootfsPropagation: OciPropagation | undefined;
  readonly annotations: Readonly<Record<string, string>>;
}

/** One clock's offset in the container's new time namespace (time_namespaces(7): CLOCK_MONOTONIC, CLOCK_BOOTTIME). */
export interface OciTimeOffset {
  readonly clock: 'monotonic' | 'boottime';
  /** Seconds added to the host's clock; negative values go back (the kernel refuses a clock below zero). */
  readonly secs: number;
  /** And nanoseconds, 0 .. 999999999. */
  readonly nanosecs: number;
}

/** The container's root file system, already mounted by the caller (nsbox mounts no overlay of its own here). */
export interface OciRoot {
  /** Absolute host path (a relative root.path is resolved against the bundle). */
  readonly path: string;
  /** Remount the root read-only after all mounts are made (root.readonly). */
  readonly readonly: boolean;
}

/** mount(2) propagation types, as mount(8) spells them (--make-*). */
export type OciPropagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave' | 'unbindable' | 'runbindable';

/** One entry of `mounts`, its options split by meaning. */
export interface OciMount {
  /** Absolute, cleaned path inside the container ("//a/./b/" -> "/a/b"). */
  readonly destination: string;
  /** File system type for mount -t ("proc", "tmpfs", "cgroup", ...); "bind" for bind mounts of any spelling. */
  readonly type: string;
  /** A bind's source: absolute host path (relative ones resolved against the bundle). Else the device/name as given. */
  readonly source: string;
  /** 'none': a new file system; 'bind' or 'rbind' (recursive) copy an existing tree. */
  readonly bind: 'none' | 'bind' | 'rbind';
  /**
   * mount(8) flag words in config.json order, e.g. ["nosuid", "nodev", "ro"]: ro, rw, nosuid, suid, nodev, dev,
   * noexec, exec, relatime, norelatime, strictatime, nostrictatime, noatime, atime, nodiratime, diratime, sync,
   * async, dirsync, mand, nomand, lazytime, nolazytime, silent, loud. For a bind, applied by a remount after it.
   */
  readonly flags: readonly string[];
  /** A bind made read-only (flags include "ro"): needs the remount (MS_BIND|MS_REMOUNT|MS_RDONLY). */
  readonly readonly: boolean;
  /** Propagation to set after mounting (mount --make-*); undefined: leave it. */
  readonly propagation: OciPropagation | undefined;
  /** File-system data options joined with ",", e.g. "mode=755,size=65536k"; "" when none. */
  readonly data: string;
  /** runc's tmpcopyup on a tmpfs: copy what the root has at the destination into the new tmpfs. */
  readonly tmpcopyup: boolean;
}

/** One namespace of the container: a new one, or an existing one joined by path (e.g. a pod's /run/netns/X). */
export type OciNamespace =
  | { readonly name: NamespaceName; readonly mode: 'new' }
  | { readonly name: NamespaceName; readonly mode: 'join'; readonly path: string };

/** Capability sets in setpriv's spelling (lower case, no cap_ prefix: "net_bind_service"), in bit order. */
export interface OciCapabilities {
  readonly bounding: readonly string[];
  readonly effective: readonly string[];
  readonly permitted: readonly string[];
  readonly inheritable: readonly string[];
  readonly ambient: readonly string[];
}

/** prlimit(1)'s resource names (--nofile ...), from RLIMIT_*. */
export type OciRlimitName =
  | 'as' | 'core' | 'cpu' | 'data' | 'fsize' | 'locks' | 'memlock' | 'msgqueue' | 'nice' | 'nofile' | 'nproc' | 'rss'
  | 'rtprio' | 'rttime' | 'sigpending' | 'stack';

export interface OciRlimit {
  readonly name: OciRlimitName;
  /** RLIM_INFINITY is 'unlimited' (prlimit's word). */
  readonly soft: number | 'unlimited';
  readonly hard: number | 'unlimited';
}

/** The container's process (`process`): what setpriv, prlimit and the final exec need. */
export interface OciProcess {
  /** argv; args[0] is looked up in the container's PATH when it has no "/" (as runc). Never empty. */
  readonly args: readonly string[];
  /** KEY=VALUE entries in order; the only environment the process gets. */
  readonly env: readonly string[];
  /** Absolute path inside the container. */
  readonly cwd: string;
  readonly uid: number;
  readonly gid: number;
  /** undefined: leave the runtime's (runc: 0022). */
  readonly umask: number | undefined;
  /** Supplementary groups (setpriv --groups); empty: none (setpriv --clear-groups). */
  readonly additionalGids: readonly number[];
  readonly capabilities: OciCapabilities;
  /** In config.json order; a resource is listed once. */
  readonly rlimits: readonly OciRlimit[];
  readonly noNewPrivileges: boolean;
  /** /proc/<pid>/oom_score_adj, -1000..1000; undefined: inherit. */
  readonly oomScoreAdj: number | undefined;
  /** A pty for the process: its master goes to the caller's --console-socket (src/oci/console-socket.ts). */
  readonly terminal: boolean;
  /** Initial window size of that pty. */
  readonly consoleSize: { readonly rows: number; readonly columns: number } | undefined;
  /** AppArmor profile to exec into (setpriv --apparmor-profile); undefined: none asked. */
  readonly apparmorProfile: string | undefined;
  /** SELinux label for the exec (setpriv --selinux-label). Undefined for now: parseBundle refuses one. */
  readonly selinuxLabel: string | undefined;
}

/**
 * The cgroup limits, in CgroupRequest's units (bytes, microseconds, counts), without its placement (parent):
 * an OCI container's cgroup is cgroupsPath itself. Device rules are CgroupRequest's devicesDeny/devicesAllow
 * (v1 files); the ordered list, for v2's eBPF or the plan's comments, is OciContainer.deviceRules.
 */
export type OciResources = Omit<CgroupRequest, 'parent' | 'parentBase'>;

/** Where the container's cgroup is, in every hierarchy (v1: under each controller's mount; v2: the one tree). */
export interface OciCgroupsPath {
  /** No leading "/", e.g. "libpod_parent/libpod-ID" or "machine.slice/libpod-ID.scope"; relative to `base`. */
  readonly path: string;
  /**
   * 'root': from the hierarchy's root (an absolute cgroupfs path, or the systemd form). 'self': below the runtime's
   * own cgroup in each hierarchy (a relative cgroupfs path, as runc's cgroupfs driver reads one).
   */
  readonly base: CgroupParentBase;
  /** How config.json gave it: a cgroupfs path, systemd's "slice:prefix:name", or none (path is then ""). */
  readonly form: 'cgroupfs' | 'systemd' | 'none';
  /** config.json's linux.cgroupsPath as written, for messages; undefined when absent. */
  readonly given: string | undefined;
}

/** A device node made in the container (mknod), then chowned and chmodded. */
export interface OciDevice {
  /** Absolute path inside the container, e.g. "/dev/fuse". */
  readonly path: string;
  /** mknod's type: c (character), b (block), p (fifo). config.json's "u" is "c". */
  readonly type: 'c' | 'b' | 'p';
  readonly major: number;
  readonly minor: number;
  /** Permission bits (0666 when config.json gives none). */
  readonly fileMode: number;
  readonly uid: number;
  readonly gid: number;
  /** config.json's linux.devices, or one of the devices the runtime spec says every container has. */
  readonly origin: 'config' | 'default';
}

/** One device-cgroup rule, as a v1 devices.allow/devices.deny line says it. */
export interface OciDeviceRule {
  readonly allow: boolean;
  /** "a 1:3 rwm"-style text without the allow/deny: "a *:* rwm", "c 1:3 rwm", "c 136:* rwm". */
  readonly rule: string;
  readonly origin: 'config' | 'default';
}

/**
 * The container's seccomp filter: the profile as src/seccomp validated it. A plan builder passes
 * `{ kind: 'profile', file: what, profile }` to src/seccomp/prepare.ts's prepareSeccomp (which compiles it for the
 * host's architecture and the bounding set, process.capabilities.bounding).
 */
export interface OciSeccomp {
  readonly profile: SeccompProfile;
  /** For messages and --explain: "<bundle>/config.json linux.seccomp". */
  readonly what: string;
}

/** One hook: a host program run with the state JSON on stdin. */
export interface OciHook {
  /** Absolute host path. */
  readonly path: string;
  /** Full argv including argv[0]; [path] when config.json gives none. */
  readonly args: readonly string[];
  readonly env: readonly string[];
  /** Seconds; undefined: no limit. */
  readonly timeout: number | undefined;
}

/** Hook phases of the runtime spec, in the order they run. */
export type OciHookPhase = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

export const HOOK_PHASES: readonly OciHookPhase[] = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

export type OciHooks = Readonly<Record<OciHookPhase, readonly OciHook[]>>;
