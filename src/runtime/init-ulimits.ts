// process.rlimits set by the init itself with dash's `ulimit` builtin, when that cannot fail: one process (prlimit,
// spawned by nsbox-runtime once the init is ready) fewer per container. Only without a user namespace (the init then
// has nsbox-runtime's own privileges), only on a host whose /bin/sh is dash (bash's -p is the pipe size), and only for
// limits that stay within what nsbox-runtime itself may set: anything that could fail keeps prlimit from the host, so
// a refused limit is worded as before. Pure, given the facts.

import type { OciRlimit, OciRlimitName } from '../oci/container.js';

type Limit = number | 'unlimited';

/** This process's limits (/proc/self/limits), by prlimit's names: what the init inherits. */
export type OwnLimits = Readonly<Partial<Record<OciRlimitName, { readonly soft: Limit; readonly hard: Limit }>>>;

/** dash's ulimit letter and unit (its value is the limit divided by the unit) for each resource it has. */
const DASH_ULIMIT: Readonly<Partial<Record<OciRlimitName, readonly [string, number]>>> = {
  cpu: ['t', 1], fsize: ['f', 512], data: ['d', 1024], stack: ['s', 1024], core: ['c', 512], rss: ['m', 1024],
  memlock: ['l', 1024], nproc: ['p', 1], nofile: ['n', 1], as: ['v', 1024], locks: ['w', 1], rtprio: ['r', 1],
};

/** /proc/self/limits' row titles. */
const PROC_NAMES: Readonly<Record<string, OciRlimitName>> = {
  'Max cpu time': 'cpu', 'Max file size': 'fsize', 'Max data size': 'data', 'Max stack size': 'stack', 'Max core file size': 'core',
  'Max resident set': 'rss', 'Max processes': 'nproc', 'Max open files': 'nofile', 'Max locked memory': 'memlock',
  'Max address space': 'as', 'Max file locks': 'locks', 'Max pending signals': 'sigpending', 'Max msgqueue size': 'msgqueue',
  'Max nice priority': 'nice', 'Max realtime priority': 'rtprio', 'Max realtime timeout': 'rttime',
};

export function parseProcLimits(text: string): OwnLimits {
  const limits: Partial<Record<OciRlimitName, { soft: Limit; hard: Limit }>> = {};
  for (const line of text.split('\n')) {
    const m = /^(Max [a-z ]+?)\s+(unlimited|\d+)\s+(unlimited|\d+)/.exec(line);
    const name = m ? PROC_NAMES[m[1]!] : undefined;
    if (m && name) limits[name] = { soft: m[2] === 'unlimited' ? 'unlimited' : Number(m[2]), hard: m[3] === 'unlimited' ? 'unlimited' : Number(m[3]) };
  }
  return limits;
}

export interface UlimitFacts {
  /** The real file /bin/sh is (its basename): the init's shell. */
  readonly shell: string;
  readonly own: OwnLimits;
  /** nsbox-runtime holds CAP_SYS_RESOURCE: it (and so the init) may raise a hard limit. */
  readonly sysResource: boolean;
  /** /proc/sys/fs/nr_open: the highest RLIMIT_NOFILE anyone may set. */
  readonly nrOpen: number | undefined;
}

/** The init's ulimit lines for the limits, in order; undefined when any of them could fail (then prlimit from the host). */
export function initUlimitLines(rlimits: readonly OciRlimit[], facts: UlimitFacts): string[] | undefined {
  if (rlimits.length === 0 || facts.shell !== 'dash') return undefined;
  const lines: string[] = [];
  for (const r of rlimits) {
    const dash = DASH_ULIMIT[r.name];
    const own = facts.own[r.name];
    if (!dash || !own || !fits(r, own, facts, dash[1])) return undefined;
    const [letter, unit] = dash;
    const value = (v: Limit) => (v === 'unlimited' ? v : String(v / unit));
    if (r.soft === r.hard) lines.push(`step ulimit -${letter} ${value(r.hard)}`);
    else {
      // The hard limit first when it is not lowered (the soft one may then rise to it), else the soft one first.
      const hardFirst = above(r.hard, own.hard) || r.hard === own.hard;
      const pair = [`step ulimit -H -${letter} ${value(r.hard)}`, `step ulimit -S -${letter} ${value(r.soft)}`];
      lines.push(...(hardFirst ? pair : pair.reverse()));
    }
  }
  return lines;
}

/** setrlimit(2) cannot refuse it: soft <= hard, a whole number of dash's units, within this process's hard limit or CAP_SYS_RESOURCE, and NOFILE within nr_open. */
function fits(r: OciRlimit, own: { readonly hard: Limit }, facts: UlimitFacts, unit: number): boolean {
  if (above(r.soft, r.hard)) return false;
  if ([r.soft, r.hard].some((v) => v !== 'unlimited' && (!Number.isSafeInteger(v) || v % unit !== 0))) return false;
  if (!facts.sysResource && above(r.hard, own.hard)) return false;
  if (r.name === 'nofile' && (facts.nrOpen === undefined || r.hard === 'unlimited' || r.hard > facts.nrOpen)) return false;
  return true;
}

function above(a: Limit, b: Limit): boolean {
  if (a === 'unlimited') return b !== 'unlimited';
  return b !== 'unlimited' && a > b;
}
