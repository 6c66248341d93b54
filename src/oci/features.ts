// `nsbox-runtime features`: what this runtime honours, in the runtime spec's features.md JSON (what containerd 2.x
// and CRI-O read at start-up). Truthful by construction: the lists come from the tables parseBundle validates
// against, so a feature is listed exactly when a config.json using it is accepted. Pure, but for the host facts.

import { existsSync, readFileSync } from 'node:fs';
import { ALL_CAPABILITIES } from '../rootfs/capabilities.js';
import { ARCHES } from '../seccomp/arches.js';
import { ACTIONS, OPS } from '../seccomp/profile.js';
import { NSBOX_VERSION } from '../version.js';
import { HOOK_PHASES } from './container.js';
import { MOUNT_FLAG_WORDS, PROPAGATIONS } from './parse-mounts.js';
import { UNSUPPORTED_NAMESPACES } from './parse-bundle.js';
import type { NamespaceName } from '../host/namespaces.js';

/** The oldest and newest runtime-spec versions whose config.json nsbox reads (parseBundle takes any 1.x). */
export const OCI_VERSION_MIN = '1.0.0';
export const OCI_VERSION_MAX = '1.1.0';

/** The runtime spec's namespace type names nsbox makes or joins (all of them; UNSUPPORTED_NAMESPACES would leave some out). */
const NAMESPACE_TYPES = ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts']
  .filter((t) => UNSUPPORTED_NAMESPACES[(t === 'network' ? 'net' : t) as NamespaceName] === undefined);

/** seccomp(2) flags a profile may name; nsbox installs its filter with none (a profile naming one is refused). */
const KNOWN_SECCOMP_FLAGS = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'];

/** What the host offers that features.md reports per host. */
export interface FeatureHostFacts {
  /** AppArmor is enabled in the kernel (setpriv --apparmor-profile can work). */
  readonly apparmor: boolean;
  /** SELinux is enabled (reported as such, but nsbox applies no labels yet: features says selinux disabled). */
  readonly selinux: boolean;
}

/** Reads the host facts under `root` (tests point it at a fake tree). */
export function probeFeatureHost(root = ''): FeatureHostFacts {
  return {
    // runc's test (apparmor.IsEnabled): securityfs shows it and the module says Y.
    apparmor: existsSync(`${root}/sys/kernel/security/apparmor`) && isYes(`${root}/sys/module/apparmor/parameters/enabled`),
    selinux: existsSync(`${root}/sys/fs/selinux/enforce`),
  };
}

function isYes(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').startsWith('Y');
  } catch {
    return false;
  }
}

/** The features.md document (JSON-ready). */
export function ociFeatures(host: FeatureHostFacts): Record<string, unknown> {
  return {
    ociVersionMin: OCI_VERSION_MIN,
    ociVersionMax: OCI_VERSION_MAX,
    hooks: [...HOOK_PHASES],
    mountOptions: [...MOUNT_FLAG_WORDS, ...PROPAGATIONS, 'bind', 'rbind', 'tmpcopyup'].sort(),
    linux: {
      namespaces: NAMESPACE_TYPES,
      capabilities: ALL_CAPABILITIES.map((c) => `CAP_${c.toUpperCase()}`),
      // cgroupsPath in systemd's form is read as a path; nsbox creates no systemd units, so no systemd driver.
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: {
        enabled: true,
        actions: [...ACTIONS],
        operators: [...OPS],
        archs: Object.keys(ARCHES),
        knownFlags: KNOWN_SECCOMP_FLAGS,
        supportedFlags: [],
      },
      apparmor: { enabled: host.apparmor },
      // process.selinuxLabel is refused (nsbox-runtime applies no labels yet), so never "enabled".
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: { 'org.nsbox.version': NSBOX_VERSION },
  };
}
