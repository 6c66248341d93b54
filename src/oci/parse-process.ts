// config.json `process` (and exec's --process file, the same object) -> OciProcess: argv, environment, identity,
// capability sets in setpriv's spelling, rlimits in prlimit's, and the terminal and security-label requests.

import { ALL_CAPABILITIES } from '../rootfs/capabilities.js';
import type { OciCapabilities, OciProcess, OciRlimit, OciRlimitName } from './container.js';
import { OciInvalid, OciUnsupported, readAbsolutePath, readArray, readBoolean, readId, readInteger, readObject, readString, readStrings, refuseIfSet, refuseUnknownKeys, type Json } from './config-errors.js';

const RLIMITS: readonly OciRlimitName[] = [
  'as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
];

/** RLIM_INFINITY, (rlim_t)-1, which JSON.parse can only approximate: anything from 2^63 up means it. */
const RLIM_INFINITY_FROM = 2 ** 63;

/** A `process` object at `path` ("process", or the exec --process file's name) -> OciProcess. */
export function parseProcess(raw: unknown, path: string): OciProcess {
  const p = readObject(raw, path) ?? fail(path, 'is required');
  // user.username and commandLine are Windows-only (config.md); ignoring them on Linux changes nothing.
  refuseUnknownKeys(p, path, ['terminal', 'consoleSize', 'user', 'args', 'env', 'cwd', 'capabilities', 'rlimits', 'noNewPrivileges', 'apparmorProfile', 'oomScoreAdj', 'selinuxLabel', 'scheduler', 'ioPriority', 'execCPUAffinity'], ['commandLine']);
  refuseIfSet(p, 'scheduler', path, 'sched_setattr(2) policies are not supported');
  refuseIfSet(p, 'ioPriority', path, 'I/O priorities are not supported');
  refuseIfSet(p, 'execCPUAffinity', path, 'CPU affinity at exec is not supported');
  refuseIfSet(p, 'selinuxLabel', path, 'SELinux labels are not supported');
  const args = readStrings(p.args, `${path}.args`);
  if (args.length === 0 || args[0] === '') fail(`${path}.args`, 'needs at least the program to run');
  const env = readStrings(p.env, `${path}.env`);
  env.forEach((e, i) => {
    if (!/^[^=]+=/.test(e)) fail(`${path}.env[${i}]`, `must be KEY=VALUE, got ${JSON.stringify(e)}`);
  });
  const cwd = readAbsolutePath(p.cwd, `${path}.cwd`) ?? fail(`${path}.cwd`, 'is required (an absolute path)');
  const user = readObject(p.user, `${path}.user`) ?? {};
  refuseUnknownKeys(user, `${path}.user`, ['uid', 'gid', 'umask', 'additionalGids'], ['username']);
  const terminal = readBoolean(p.terminal, `${path}.terminal`) ?? false;
  const size = readObject(p.consoleSize, `${path}.consoleSize`);
  // The spec: "Runtimes MUST ignore consoleSize if terminal is false or unset".
  const consoleSize = terminal && size !== undefined
    ? { rows: readInteger(size.height, `${path}.consoleSize.height`, 0, 65535) ?? 0, columns: readInteger(size.width, `${path}.consoleSize.width`, 0, 65535) ?? 0 }
    : undefined;
  return {
    args,
    env,
    cwd,
    uid: readId(user.uid, `${path}.user.uid`) ?? 0,
    gid: readId(user.gid, `${path}.user.gid`) ?? 0,
    umask: readInteger(user.umask, `${path}.user.umask`, 0, 0o777),
    additionalGids: readArray(user.additionalGids, `${path}.user.additionalGids`).map((g, i) => readId(g, `${path}.user.additionalGids[${i}]`) ?? fail(`${path}.user.additionalGids[${i}]`, 'must be a gid')),
    capabilities: parseCapabilities(p.capabilities, `${path}.capabilities`),
    rlimits: parseRlimits(p.rlimits, `${path}.rlimits`),
    noNewPrivileges: readBoolean(p.noNewPrivileges, `${path}.noNewPrivileges`) ?? false,
    oomScoreAdj: readInteger(p.oomScoreAdj, `${path}.oomScoreAdj`, -1000, 1000),
    terminal,
    consoleSize,
    apparmorProfile: nonEmpty(readString(p.apparmorProfile, `${path}.apparmorProfile`)),
    selinuxLabel: undefined,
  };
}

const CAPABILITY_SETS = ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const;

function parseCapabilities(raw: unknown, path: string): OciCapabilities {
  const c: Json = readObject(raw, path) ?? {};
  refuseUnknownKeys(c, path, CAPABILITY_SETS);
  const sets = Object.fromEntries(CAPABILITY_SETS.map((set) => {
    const names = readStrings(c[set], `${path}.${set}`).map((name, i) => {
      const short = name.toLowerCase().replace(/^cap_/, '');
      // runc 1.1 only warns about a name it does not know; a capability nsbox cannot grant is refused instead.
      if (!ALL_CAPABILITIES.includes(short)) throw new OciUnsupported(`${path}.${set}[${i}]`, `unknown capability ${JSON.stringify(name)}`);
      return short;
    });
    return [set, ALL_CAPABILITIES.filter((n) => names.includes(n))];
  })) as unknown as OciCapabilities;
  return sets;
}

function parseRlimits(raw: unknown, path: string): readonly OciRlimit[] {
  const seen = new Set<string>();
  return readArray(raw, path).map((entry, i) => {
    const where = `${path}[${i}]`;
    const r = readObject(entry, where) ?? fail(where, 'must be an object');
    refuseUnknownKeys(r, where, ['type', 'soft', 'hard']);
    const type = readString(r.type, `${where}.type`) ?? '';
    const name = type.replace(/^RLIMIT_/, '').toLowerCase() as OciRlimitName;
    if (!type.startsWith('RLIMIT_') || !RLIMITS.includes(name)) fail(`${where}.type`, `not a resource limit: ${JSON.stringify(type)}`);
    if (seen.has(name)) fail(`${where}.type`, `${type} is listed twice`);
    seen.add(name);
    const soft = readLimit(r.soft, `${where}.soft`);
    const hard = readLimit(r.hard, `${where}.hard`);
    if (hard !== 'unlimited' && (soft === 'unlimited' || soft > hard)) fail(where, 'soft is above hard');
    return { name, soft, hard };
  });
}

function readLimit(raw: unknown, path: string): number | 'unlimited' {
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return fail(path, 'must be a non-negative integer');
  if (n >= RLIM_INFINITY_FROM) return 'unlimited';
  if (!Number.isSafeInteger(n)) return fail(path, 'too large to be exact (use 18446744073709551615 for unlimited)');
  return n;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}

function fail(path: string, reason: string): never {
  throw new OciInvalid(path, reason);
}
