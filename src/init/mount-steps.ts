// An InitMount made one step at a time by the init (the OCI config's mounts: each may need a mount point made
// below an earlier one, a propagation change, runc's tmpcopyup or a cgroup view): the mount point, then mount(8).
// Pure: targets come resolved inside the root.

import { quoteWord } from '../plan/quote.js';
import { escapeDoubleQuoted } from '../runtime/resolve-in-root.js';
import type { InitMount } from './mounts.js';

/** The init lines that make one mount below the root `root` ($R in the script; `step` reports a failure on fd 3). */
export function mountStepLines(m: InitMount, root: string): string[] {
  const target = `$R${escapeDoubleQuoted(m.target.slice(root.length))}`;
  const t = `"${target}"`;
  const words = m.options.split(',').filter((w) => w !== '' && w !== 'defaults');
  const bind = m.type === 'none' && (words[0] === 'bind' || words[0] === 'rbind') ? words[0] : undefined;
  const flags = bind ? words.slice(1) : words;
  const lines: string[] = [`# ${m.why}`, m.mountpoint === 'file' ? `step mkfile ${t}` : `step mkdir -p ${t}`];
  if (m.cgroup) {
    lines.push(...cgroupLines(m.cgroup, target, flags));
  } else if (bind) {
    lines.push(`step mount -n --${bind} ${quoteWord(m.source)} ${t}`);
    // A bind takes its flags only on a second call, MS_REMOUNT|MS_BIND (mount(2)).
    if (flags.length > 0) lines.push(`step mount -n -o ${quoteWord(['remount', 'bind', ...flags].join(','))} ${t}`);
  } else if (m.copyUp) {
    // runc's tmpcopyup: the tmpfs starts with what the root had there (mounted aside, filled, moved in place).
    lines.push(
      'step mkdir -p "$S/copyup"',
      `step mount -n -t ${quoteWord(m.type)} -o ${quoteWord(flags.join(',') || 'defaults')} ${quoteWord(m.source)} "$S/copyup"`,
      `step cp -a ${t}/. "$S/copyup/"`,
      `step mount -n --move "$S/copyup" ${t}`,
    );
  } else {
    lines.push(`step mount -n -t ${quoteWord(m.type)}${flags.length ? ` -o ${quoteWord(flags.join(','))}` : ''} ${quoteWord(m.source)} ${t}`);
  }
  if (m.propagation) lines.push(`step mount -n --make-${m.propagation} ${t}`);
  return lines;
}

/** A cgroup view: v1, a tmpfs with the container's own cgroup of each hierarchy bound in; v2, its one directory. */
function cgroupLines(cgroup: NonNullable<InitMount['cgroup']>, target: string, flags: readonly string[]): string[] {
  const t = `"${target}"`;
  const bindFlags = ['remount', 'bind', ...flags.filter((f) => f !== 'relatime')].join(',');
  if (cgroup.version === 2) {
    const dir = cgroup.dirs[0];
    if (dir === undefined) return [];
    return [`step mount -n --bind ${quoteWord(dir)} ${t}`, `step mount -n -o ${bindFlags} ${t}`];
  }
  const lines = [`step mount -n -t tmpfs -o nosuid,nodev,noexec,mode=755,size=64k tmpfs ${t}`];
  for (const dir of cgroup.dirs) {
    const hierarchy = dir.slice(cgroup.root.length + 1).split('/')[0]!;
    lines.push(`step mkdir -p "${target}/${hierarchy}"`, `step mount -n --bind ${quoteWord(dir)} "${target}/${hierarchy}"`);
    lines.push(`step mount -n -o ${bindFlags} "${target}/${hierarchy}"`);
    const names = hierarchy.split(',');
    if (names.length > 1) for (const name of names) lines.push(`step ln -s ${quoteWord(hierarchy)} "${target}/${name}"`);
  }
  // A bind remount changes only this mount's flags: a tmpfs remount would reparse its options, and in a user
  // namespace mount(8) reads back uid=<host uid>, which is not mapped there (EINVAL).
  if (flags.includes('ro')) lines.push(`step mount -n -o remount,bind,ro,nosuid,nodev,noexec ${t}`);
  return lines;
}
