// config.json's mounts (as parseBundle split them: flags, data, propagation, bind, tmpcopyup) as init-script
// lines: the mount point made below the root, then mount(8). Pure: destinations come resolved (resolve-in-root.ts).

import { quoteWord } from '../plan/quote.js';
import type { OciMount } from '../oci/container.js';

export interface MountLineInput {
  readonly mount: OciMount;
  /** The mount point as a double-quoted shell word's inside ("$R/..."). */
  readonly target: string;
  /** The source is a file (a bind of a file: the mount point is an empty file). */
  readonly sourceIsFile: boolean;
  /** The container's cgroup directories, for a "cgroup" mount (v1: tmpfs + one bind per hierarchy). */
  readonly cgroupDirs: readonly string[];
  readonly cgroupVersion: 1 | 2;
  readonly cgroupRoot: string;
}

/** The init lines that make one mount (`step` reports a failure on fd 3). */
export function mountLines(input: MountLineInput): string[] {
  const { mount: m, target } = input;
  const t = `"${target}"`;
  const flags = m.flags.filter((f) => f !== 'rw');
  const lines: string[] = [`# ${m.destination}: ${m.bind === 'none' ? m.type : `${m.bind} of ${m.source}`}${[...m.flags, m.data].filter(Boolean).length ? ` (${[...m.flags, m.data].filter(Boolean).join(',')})` : ''}`];
  lines.push(input.sourceIsFile ? `step mkfile ${t}` : `step mkdir -p ${t}`);
  if (m.bind === 'none' && m.type === 'cgroup') {
    lines.push(...cgroupLines(input, flags));
  } else if (m.bind !== 'none') {
    lines.push(`step mount -n --${m.bind} ${quoteWord(m.source)} ${t}`);
    // A bind takes its flags only on a second call, MS_REMOUNT|MS_BIND (mount(2)).
    if (flags.length > 0) lines.push(`step mount -n -o ${quoteWord(['remount', 'bind', ...flags].join(','))} ${t}`);
  } else if (m.tmpcopyup) {
    // runc's tmpcopyup: the tmpfs starts with what the root had there (mounted aside, filled, moved in place).
    lines.push(
      'step mkdir -p "$S/copyup"',
      `step mount -n -t ${quoteWord(m.type)} -o ${quoteWord([...flags, m.data].filter(Boolean).join(',') || 'defaults')} ${quoteWord(m.source || m.type)} "$S/copyup"`,
      `step cp -a ${t}/. "$S/copyup/"`,
      `step mount -n --move "$S/copyup" ${t}`,
    );
  } else {
    const opts = [...flags, m.data].filter(Boolean);
    lines.push(`step mount -n -t ${quoteWord(m.type)}${opts.length ? ` -o ${quoteWord(opts.join(','))}` : ''} ${quoteWord(m.source || m.type)} ${t}`);
  }
  if (m.propagation) lines.push(`step mount -n --make-${m.propagation} ${t}`);
  return lines;
}

/** A "cgroup" mount: v1, a tmpfs with the container's own cgroup of each hierarchy bound in; v2, its one directory. */
function cgroupLines(input: MountLineInput, flags: readonly string[]): string[] {
  const t = `"${input.target}"`;
  const bindFlags = ['remount', 'bind', ...flags.filter((f) => f !== 'relatime')].join(',');
  if (input.cgroupVersion === 2) {
    const dir = input.cgroupDirs[0];
    if (dir === undefined) return [];
    return [`step mount -n --bind ${quoteWord(dir)} ${t}`, `step mount -n -o ${bindFlags} ${t}`];
  }
  const lines = [`step mount -n -t tmpfs -o nosuid,nodev,noexec,mode=755,size=64k tmpfs ${t}`];
  for (const dir of input.cgroupDirs) {
    const hierarchy = dir.slice(input.cgroupRoot.length + 1).split('/')[0]!;
    lines.push(`step mkdir -p "${input.target}/${hierarchy}"`, `step mount -n --bind ${quoteWord(dir)} "${input.target}/${hierarchy}"`);
    lines.push(`step mount -n -o ${bindFlags} "${input.target}/${hierarchy}"`);
    const names = hierarchy.split(',');
    if (names.length > 1) for (const name of names) lines.push(`step ln -s ${quoteWord(hierarchy)} "${input.target}/${name}"`);
  }
  if (flags.includes('ro')) lines.push(`step mount -n -o remount,ro,nosuid,nodev,noexec ${t}`);
  return lines;
}
