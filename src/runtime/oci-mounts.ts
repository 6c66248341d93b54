// config.json's mounts (as parseBundle split them: flags, data, propagation, bind, tmpcopyup) translated into the
// init's mount list (src/init/mounts.ts), each made one step at a time. Pure: destinations come resolved inside
// the root (resolve-in-root.ts), file or directory sources known.

import type { InitMount } from '../init/mounts.js';
import type { OciMount } from '../oci/container.js';

export interface OciMountFacts {
  /** Each mount's destination resolved inside the root, in config order. */
  readonly targets: readonly string[];
  /** Which mounts bind a file (their mount point is an empty file). */
  readonly fileSources: readonly boolean[];
  /** The container's cgroup directories, for a "cgroup" mount. */
  readonly cgroupDirs: readonly string[];
  readonly cgroupVersion: 1 | 2;
  readonly cgroupRoot: string;
}

/** The config's mounts, in order, as InitMount entries below `root`. */
export function ociInitMounts(root: string, mounts: readonly OciMount[], facts: OciMountFacts): InitMount[] {
  return mounts.map((m, i) => {
    const flags = m.flags.filter((f) => f !== 'rw');
    const shown = [...m.flags, m.data].filter(Boolean);
    const why = `${m.destination}: ${m.bind === 'none' ? m.type : `${m.bind} of ${m.source}`}${shown.length ? ` (${shown.join(',')})` : ''}`;
    const base = { target: `${root}${facts.targets[i]!}`, why, mountpoint: facts.fileSources[i] ? ('file' as const) : ('directory' as const), ...(m.propagation ? { propagation: m.propagation } : {}) };
    if (m.bind !== 'none') return { ...base, source: m.source, type: 'none', options: [m.bind, ...flags].join(',') };
    const options = [...flags, m.data].filter(Boolean).join(',');
    if (m.type === 'cgroup') return { ...base, source: 'cgroup', type: 'cgroup', options: flags.join(','), cgroup: { dirs: facts.cgroupDirs, version: facts.cgroupVersion, root: facts.cgroupRoot } };
    return { ...base, source: m.source || m.type, type: m.type, options, ...(m.tmpcopyup ? { copyUp: true } : {}) };
  });
}
