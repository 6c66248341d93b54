// Runs every host probe of `nsbox doctor` against an injectable host: a root for /proc and /sys, a tool finder, a runner.

import type { ProbeResult } from './probe-types.js';
import { probeNamespaces } from './probe-namespaces.js';
import { probeUserNamespaces } from './probe-userns.js';
import { probeCgroups } from './probe-cgroup.js';
import { probeOverlay } from './probe-overlay.js';
import { probeTools, type ToolFinder, type VersionRunner } from './probe-tools.js';
import { probeSeccomp, type SeccompProbeInputs } from './probe-seccomp.js';

export interface HostProbeInputs {
  /** Prefix of /proc, /sys and /lib/modules: '' on the real host, a fake tree in tests. */
  readonly root: string;
  readonly findTool: ToolFinder;
  readonly runVersion: VersionRunner;
  /** How to check the seccomp loaders (setpriv --help, a real perl try); without it, no seccomp lines. */
  readonly seccomp?: Pick<SeccompProbeInputs, 'setprivHelp' | 'tryPerl'>;
}

/** All results, in doctor's order: namespaces, user namespaces, cgroups, overlayfs, seccomp, tools. */
export async function probeHost(inputs: HostProbeInputs): Promise<ProbeResult[]> {
  const tools = probeTools(inputs.findTool, inputs.runVersion);
  return [
    ...probeNamespaces(inputs.root),
    ...probeUserNamespaces(inputs.root),
    ...probeCgroups(inputs.root),
    probeOverlay(inputs.root),
    ...(inputs.seccomp ? await probeSeccomp({ root: inputs.root, findTool: inputs.findTool, ...inputs.seccomp }) : []),
    ...(await tools),
  ];
}
