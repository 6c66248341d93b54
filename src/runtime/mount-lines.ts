// config.json's mounts as init-script lines: each destination made below the root, then mount(8) with the flags,
// data and propagation split as the kernel takes them. Pure (destinations are resolved by resolve-in-root.ts).

import { quoteWord } from '../plan/quote.js';
import type { OciMount } from './read-config.js';

/** Options that are per-mount flags (MS_*); mount(8) takes them in -o as they are. */
const FLAG_OPTIONS = new Set([
  'ro', 'rw', 'suid', 'nosuid', 'dev', 'nodev', 'exec', 'noexec', 'sync', 'async', 'dirsync', 'remount', 'mand', 'nomand',
  'atime', 'noatime', 'diratime', 'nodiratime', 'relatime', 'norelatime', 'strictatime', 'nostrictatime', 'lazytime', 'nolazytime', 'silent', 'loud',
]);
const PROPAGATION = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable']);
/** Options runc understands that are not mount(2) at all: handled here, never passed to mount(8). */
const RUNC_EXTRAS = new Set(['bind', 'rbind', 'tmpcopyup', 'idmap', 'ridmap']);

export interface SplitOptions {
  readonly flags: readonly string[];
  readonly data: readonly string[];
  readonly propagation: readonly string[];
  readonly bind: 'bind' | 'rbind' | undefined;
  readonly tmpcopyup: boolean;
}

/** One mount's options split into flags, fs data, propagation and runc's extras. */
export function splitOptions(options: readonly string[]): SplitOptions {
  const flags: string[] = [];
  const data: string[] = [];
  const propagation: string[] = [];
  let bind: 'bind' | 'rbind' | undefined;
  let tmpcopyup = false;
  for (const o of options) {
    if (o === 'bind' || o === 'rbind') bind = o === 'rbind' || bind === 'rbind' ? 'rbind' : 'bind';
    else if (o === 'tmpcopyup') tmpcopyup = true;
    else if (RUNC_EXTRAS.has(o)) throw new Error(`mount option ${o}`);
    else if (PROPAGATION.has(o)) propagation.push(o);
    else if (FLAG_OPTIONS.has(o)) flags.push(o);
    else data.push(o);
  }
  return { flags, data, propagation, bind, tmpcopyup };
}

/** Mount options nsbox-runtime refuses (one line naming the mount), or undefined. */
export function refusedOption(mount: OciMount): string | undefined {
  const bad = mount.options.find((o) => o === 'idmap' || o === 'ridmap');
  return bad === undefined ? undefined : `${bad} (id-mapped mounts are not supported yet)`;
}

export interface MountLineInput {
  readonly mount: OciMount;
  /** The mount point on the host side of the new mount namespace ("$R/..." as a shell word). */
  readonly target: string;
  /** The source is a file (a bind of a file: the mount point is an empty file). */
  readonly sourceIsFile: boolean;
  /** v1: the container's cgroup directories, for a "cgroup" mount (tmpfs + one bind per hierarchy). */
  readonly cgroupDirs: readonly string[];
  readonly cgroupVersion: 1 | 2;
  readonly cgroupRoot: string;
}

/** The init lines that make one mount (`step` reports a failure on fd 3). */
export function mountLines(input: MountLineInput): string[] {
  const { mount, target } = input;
  const t = `"${target}"`;
  const o = splitOptions(mount.options);
  const lines: string[] = [`# ${mount.destination}: ${mount.type}${mount.source && mount.type === 'bind' ? ` of ${mount.source}` : ''}${mount.options.length ? ` (${mount.options.join(',')})` : ''}`];
  lines.push(input.sourceIsFile ? `step mkfile ${t}` : `step mkdir -p ${t}`);
  const isBind = mount.type === 'bind' || o.bind !== undefined;
  if (mount.type === 'cgroup' && !isBind) {
    lines.push(...cgroupLines(input, o));
  } else if (isBind) {
    lines.push(`step mount -n --${o.bind ?? 'bind'} ${quoteWord(mount.source)} ${t}`);
    // A bind takes its flags only on a second call, MS_REMOUNT|MS_BIND (mount(2)).
    const flags = o.flags.filter((f) => f !== 'rw');
    if (flags.length > 0) lines.push(`step mount -n -o ${quoteWord(['remount', 'bind', ...flags].join(','))} ${t}`);
  } else if (o.tmpcopyup) {
    // runc's tmpcopyup: the tmpfs starts with what the image had there (mounted aside, filled, moved in place).
    lines.push(
      'step mkdir -p "$S/copyup"',
      `step mount -n -t ${quoteWord(mount.type)} -o ${quoteWord([...o.flags, ...o.data].join(',') || 'defaults')} ${quoteWord(mount.source || mount.type)} "$S/copyup"`,
      `step cp -a ${t}/. "$S/copyup/"`,
      `step mount -n --move "$S/copyup" ${t}`,
    );
  } else {
    const opts = [...o.flags, ...o.data];
    lines.push(`step mount -n -t ${quoteWord(mount.type)}${opts.length ? ` -o ${quoteWord(opts.join(','))}` : ''} ${quoteWord(mount.source || mount.type)} ${t}`);
  }
  for (const p of o.propagation) lines.push(`step mount -n --make-${p} ${t}`);
  return lines;
}

/** A "cgroup" mount: v1, a tmpfs with the container's own cgroup of each hierarchy bound in; v2, its one directory. */
function cgroupLines(input: MountLineInput, o: SplitOptions): string[] {
  const t = `"${input.target}"`;
  const ro = o.flags.includes('ro');
  const bindFlags = ['remount', 'bind', ...o.flags.filter((f) => f !== 'rw' && f !== 'relatime')].join(',');
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
  if (ro) lines.push(`step mount -n -o remount,ro,nosuid,nodev,noexec ${t}`);
  return lines;
}
