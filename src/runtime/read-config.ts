// Reads the fields of <bundle>/config.json that the runtime needs into one normalised description (RuntimeContainer).
// A field nsbox-runtime cannot honour is a one-line error naming its JSON path, never silently ignored.
// (Interim reader: src/oci/parse-bundle.ts, when it lands, becomes the one place that validates config.json.)

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { NsboxError } from '../errors.js';
import type { NamespaceName } from '../host/namespaces.js';

export interface OciMount {
  readonly destination: string;
  readonly type: string;
  readonly source: string;
  readonly options: readonly string[];
}

export interface Rlimit {
  readonly type: string;
  readonly soft: number;
  readonly hard: number;
}

export interface ProcessCaps {
  readonly bounding: readonly string[];
  readonly effective: readonly string[];
  readonly permitted: readonly string[];
  readonly inheritable: readonly string[];
  readonly ambient: readonly string[];
}

/** config.json's process (also what `exec --process F` gives). */
export interface RuntimeProcess {
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly uid: number;
  readonly gid: number;
  readonly umask: number | undefined;
  readonly additionalGids: readonly number[];
  /** Capability names without CAP_, lower case (setpriv's spelling). */
  readonly caps: ProcessCaps;
  readonly rlimits: readonly Rlimit[];
  readonly noNewPrivileges: boolean;
  readonly oomScoreAdj: number | undefined;
  readonly terminal: boolean;
  readonly apparmorProfile: string | undefined;
}

export interface NamespaceRequest {
  readonly type: NamespaceName;
  /** Join this one (e.g. the pod's /run/netns/X) instead of making a new one. */
  readonly path: string | undefined;
}

export interface DeviceRule {
  readonly allow: boolean;
  readonly type: string;
  readonly major: number | undefined;
  readonly minor: number | undefined;
  readonly access: string;
}

export interface RuntimeResources {
  readonly memoryLimit: number | undefined;
  readonly memorySwap: number | undefined;
  readonly memoryReservation: number | undefined;
  readonly cpuShares: number | undefined;
  readonly cpuQuota: number | undefined;
  readonly cpuPeriod: number | undefined;
  readonly cpusetCpus: string | undefined;
  readonly cpusetMems: string | undefined;
  readonly pidsLimit: number | undefined;
  readonly devices: readonly DeviceRule[];
}

export interface LinuxDevice {
  readonly path: string;
  readonly type: string;
  readonly major: number;
  readonly minor: number;
  readonly fileMode: number | undefined;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
}

export interface Hook {
  readonly path: string;
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly timeout: number | undefined;
}

export type HookName = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';
export const HOOK_NAMES: readonly HookName[] = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

export interface RuntimeContainer {
  readonly ociVersion: string;
  readonly bundle: string;
  /** The root file system, absolute (already mounted by the caller). */
  readonly root: string;
  readonly readonlyRoot: boolean;
  readonly process: RuntimeProcess;
  readonly hostname: string | undefined;
  readonly mounts: readonly OciMount[];
  readonly namespaces: readonly NamespaceRequest[];
  readonly resources: RuntimeResources;
  readonly cgroupsPath: string | undefined;
  readonly maskedPaths: readonly string[];
  readonly readonlyPaths: readonly string[];
  readonly sysctl: Readonly<Record<string, string>>;
  readonly devices: readonly LinuxDevice[];
  /** linux.seccomp as given (validated and compiled by src/seccomp). */
  readonly seccomp: unknown;
  readonly hooks: Readonly<Partial<Record<HookName, readonly Hook[]>>>;
  readonly rootfsPropagation: string | undefined;
  readonly annotations: Readonly<Record<string, string>>;
}

const OCI_NAMESPACES: Record<string, NamespaceName> = { pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', mount: 'mount', cgroup: 'cgroup', user: 'user', time: 'time' };

type Json = Record<string, unknown>;

/** <bundle>/config.json -> RuntimeContainer. */
export function readBundle(bundleDir: string): RuntimeContainer {
  const bundle = resolve(bundleDir);
  let text: string;
  try {
    text = readFileSync(`${bundle}/config.json`, 'utf8');
  } catch (error) {
    throw new NsboxError(`cannot read ${bundle}/config.json: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new NsboxError(`cannot parse ${bundle}/config.json: ${(error as Error).message}`);
  }
  return normaliseConfig(raw, bundle);
}

/** A parsed config.json -> RuntimeContainer (pure). */
export function normaliseConfig(raw: unknown, bundle: string): RuntimeContainer {
  const c = object(raw, '');
  const root = object(c.root, 'root');
  const rootPath = str(root.path, 'root.path');
  const linux = object(c.linux ?? {}, 'linux');
  for (const key of ['uidMappings', 'gidMappings'] as const) {
    if (Array.isArray(linux[key]) && (linux[key] as unknown[]).length > 0) unsupported(`linux.${key}`, 'user namespaces are not supported yet');
  }
  for (const key of ['intelRdt', 'personality', 'mountLabel', 'timeOffsets']) if (linux[key] !== undefined && linux[key] !== '') unsupported(`linux.${key}`);
  if (c.solaris !== undefined || c.windows !== undefined || c.vm !== undefined) unsupported(c.windows !== undefined ? 'windows' : c.vm !== undefined ? 'vm' : 'solaris');
  const namespaces = arr(linux.namespaces ?? [], 'linux.namespaces').map((n, i): NamespaceRequest => {
    const o = object(n, `linux.namespaces[${i}]`);
    const type = OCI_NAMESPACES[str(o.type, `linux.namespaces[${i}].type`)];
    if (!type) unsupported(`linux.namespaces[${i}].type`, `unknown namespace ${JSON.stringify(o.type)}`);
    if (type === 'user') unsupported(`linux.namespaces[${i}]`, 'user namespaces are not supported yet');
    if (type === 'time') unsupported(`linux.namespaces[${i}]`, 'time namespaces are not supported yet');
    if (type === 'mount' && o.path) unsupported(`linux.namespaces[${i}].path`, 'joining an existing mount namespace is not supported');
    return { type: type!, path: optStr(o.path, `linux.namespaces[${i}].path`) || undefined };
  });
  const hooks: Partial<Record<HookName, Hook[]>> = {};
  const rawHooks = object(c.hooks ?? {}, 'hooks');
  for (const [name, list] of Object.entries(rawHooks)) {
    if (!HOOK_NAMES.includes(name as HookName)) unsupported(`hooks.${name}`);
    hooks[name as HookName] = arr(list, `hooks.${name}`).map((h, i) => {
      const o = object(h, `hooks.${name}[${i}]`);
      return { path: str(o.path, `hooks.${name}[${i}].path`), args: strings(o.args ?? [], `hooks.${name}[${i}].args`), env: strings(o.env ?? [], `hooks.${name}[${i}].env`), timeout: optNum(o.timeout, `hooks.${name}[${i}].timeout`) };
    });
  }
  return {
    ociVersion: optStr(c.ociVersion, 'ociVersion') ?? '1.0.2',
    bundle,
    root: isAbsolute(rootPath) ? rootPath : resolve(bundle, rootPath),
    readonlyRoot: root.readonly === true,
    process: readProcess(c.process, 'process'),
    hostname: optStr(c.hostname, 'hostname') || undefined,
    mounts: arr(c.mounts ?? [], 'mounts').map((m, i) => {
      const o = object(m, `mounts[${i}]`);
      const destination = str(o.destination, `mounts[${i}].destination`);
      if (!destination.startsWith('/')) unsupported(`mounts[${i}].destination`, 'must be absolute');
      return { destination, type: optStr(o.type, `mounts[${i}].type`) ?? 'bind', source: optStr(o.source, `mounts[${i}].source`) ?? '', options: strings(o.options ?? [], `mounts[${i}].options`) };
    }),
    namespaces,
    resources: readResources(linux.resources ?? {}),
    cgroupsPath: optStr(linux.cgroupsPath, 'linux.cgroupsPath') || undefined,
    maskedPaths: strings(linux.maskedPaths ?? [], 'linux.maskedPaths'),
    readonlyPaths: strings(linux.readonlyPaths ?? [], 'linux.readonlyPaths'),
    sysctl: Object.fromEntries(Object.entries(object(linux.sysctl ?? {}, 'linux.sysctl')).map(([k, v]) => [k, str(v, `linux.sysctl.${k}`)])),
    devices: arr(linux.devices ?? [], 'linux.devices').map((d, i) => {
      const o = object(d, `linux.devices[${i}]`);
      return { path: str(o.path, `linux.devices[${i}].path`), type: str(o.type, `linux.devices[${i}].type`), major: num(o.major ?? 0, `linux.devices[${i}].major`), minor: num(o.minor ?? 0, `linux.devices[${i}].minor`), fileMode: optNum(o.fileMode, `linux.devices[${i}].fileMode`), uid: optNum(o.uid, `linux.devices[${i}].uid`), gid: optNum(o.gid, `linux.devices[${i}].gid`) };
    }),
    seccomp: linux.seccomp,
    hooks,
    rootfsPropagation: optStr(linux.rootfsPropagation, 'linux.rootfsPropagation') || undefined,
    annotations: Object.fromEntries(Object.entries(object(c.annotations ?? {}, 'annotations')).map(([k, v]) => [k, String(v)])),
  };
}

/** config.json's process object, or exec's --process file. */
export function readProcess(raw: unknown, where: string): RuntimeProcess {
  const p = object(raw, where);
  const user = object(p.user ?? {}, `${where}.user`);
  const caps = object(p.capabilities ?? {}, `${where}.capabilities`);
  const capSet = (k: string) => strings(caps[k] ?? [], `${where}.capabilities.${k}`).map((n) => n.toLowerCase().replace(/^cap_/, ''));
  if (p.selinuxLabel) unsupported(`${where}.selinuxLabel`, 'SELinux is not supported by nsbox-runtime');
  if (p.ioPriority !== undefined) unsupported(`${where}.ioPriority`);
  if (p.scheduler !== undefined) unsupported(`${where}.scheduler`);
  return {
    args: strings(p.args ?? [], `${where}.args`),
    env: strings(p.env ?? [], `${where}.env`),
    cwd: optStr(p.cwd, `${where}.cwd`) || '/',
    uid: num(user.uid ?? 0, `${where}.user.uid`),
    gid: num(user.gid ?? 0, `${where}.user.gid`),
    umask: optNum(user.umask, `${where}.user.umask`),
    additionalGids: arr(user.additionalGids ?? [], `${where}.user.additionalGids`).map((g, i) => num(g, `${where}.user.additionalGids[${i}]`)),
    caps: { bounding: capSet('bounding'), effective: capSet('effective'), permitted: capSet('permitted'), inheritable: capSet('inheritable'), ambient: capSet('ambient') },
    rlimits: arr(p.rlimits ?? [], `${where}.rlimits`).map((r, i) => {
      const o = object(r, `${where}.rlimits[${i}]`);
      return { type: str(o.type, `${where}.rlimits[${i}].type`), soft: num(o.soft, `${where}.rlimits[${i}].soft`), hard: num(o.hard, `${where}.rlimits[${i}].hard`) };
    }),
    noNewPrivileges: p.noNewPrivileges === true,
    oomScoreAdj: optNum(p.oomScoreAdj, `${where}.oomScoreAdj`),
    terminal: p.terminal === true,
    apparmorProfile: optStr(p.apparmorProfile, `${where}.apparmorProfile`) || undefined,
  };
}

/** linux.resources (also the JSON `update --resources` reads). */
export function readResources(raw: unknown): RuntimeResources {
  const r = object(raw, 'linux.resources');
  const memory = object(r.memory ?? {}, 'linux.resources.memory');
  const cpu = object(r.cpu ?? {}, 'linux.resources.cpu');
  const pids = object(r.pids ?? {}, 'linux.resources.pids');
  for (const key of ['hugepageLimits', 'rdma', 'unified', 'blockIO', 'network']) {
    const v = r[key];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && Object.keys(v as object).length === 0)) unsupported(`linux.resources.${key}`);
  }
  const devices = arr(r.devices ?? [], 'linux.resources.devices').map((d, i): DeviceRule => {
    const o = object(d, `linux.resources.devices[${i}]`);
    return { allow: o.allow === true, type: optStr(o.type, `linux.resources.devices[${i}].type`) ?? 'a', major: optNum(o.major, `linux.resources.devices[${i}].major`), minor: optNum(o.minor, `linux.resources.devices[${i}].minor`), access: optStr(o.access, `linux.resources.devices[${i}].access`) ?? 'rwm' };
  });
  const positive = (v: unknown, at: string) => {
    const n = optNum(v, at);
    return n === undefined || n === 0 ? undefined : n;
  };
  return {
    memoryLimit: positive(memory.limit, 'linux.resources.memory.limit'),
    memorySwap: positive(memory.swap, 'linux.resources.memory.swap'),
    memoryReservation: positive(memory.reservation, 'linux.resources.memory.reservation'),
    cpuShares: positive(cpu.shares, 'linux.resources.cpu.shares'),
    cpuQuota: positive(cpu.quota, 'linux.resources.cpu.quota'),
    cpuPeriod: positive(cpu.period, 'linux.resources.cpu.period'),
    cpusetCpus: optStr(cpu.cpus, 'linux.resources.cpu.cpus') || undefined,
    cpusetMems: optStr(cpu.mems, 'linux.resources.cpu.mems') || undefined,
    pidsLimit: positive(pids.limit, 'linux.resources.pids.limit'),
    devices,
  };
}

function unsupported(path: string, reason = 'not supported by nsbox-runtime'): never {
  throw new NsboxError(`cannot honour ${path}: ${reason}`);
}

function object(v: unknown, at: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new NsboxError(`invalid config.json: ${at || 'the document'} must be an object`);
  return v as Json;
}
function arr(v: unknown, at: string): unknown[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw new NsboxError(`invalid config.json: ${at} must be an array`);
  return v;
}
function str(v: unknown, at: string): string {
  if (typeof v !== 'string') throw new NsboxError(`invalid config.json: ${at} must be a string`);
  return v;
}
function optStr(v: unknown, at: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, at);
}
function num(v: unknown, at: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new NsboxError(`invalid config.json: ${at} must be a number`);
  return v;
}
function optNum(v: unknown, at: string): number | undefined {
  return v === undefined || v === null ? undefined : num(v, at);
}
function strings(v: unknown, at: string): string[] {
  return arr(v, at).map((s, i) => str(s, `${at}[${i}]`));
}
