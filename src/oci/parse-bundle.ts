// A bundle's config.json -> OciContainer: validated and normalised, every field nsbox cannot honour refused as a
// one-line OciUnsupported naming its JSON path. Reads only config.json; creates nothing.
//
// Fields dropped on purpose (harmless per the runtime spec), everything else unknown is refused:
// - process.commandLine, process.user.username: Windows-only (config.md), meaningless on Linux.
// - process.consoleSize without process.terminal: "Runtimes MUST ignore consoleSize if terminal is false or unset".
// - linux.resources.memory.useHierarchy true: memory cgroups are always hierarchical on the kernels nsbox runs on.
// - any field whose value is null, or (where refused) an empty value: Go callers write nil slices and maps as
//   null and zero values mean "not asked" (e.g. linux.mountLabel "", linux.intelRdt null).

import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NAMESPACES, type NamespaceName } from '../host/namespaces.js';
import { SYSCTL_NAME, sysctlScope } from '../spec/namespaced-sysctl.js';
import { quoteBigIntegers, validateProfile } from '../seccomp/profile.js';
import type { IdMapRange } from '../spec/box-description.js';
import { HOOK_PHASES, type OciContainer, type OciHook, type OciHooks, type OciNamespace, type OciPropagation, type OciSeccomp, type OciTimeOffset } from './container.js';
import { OciInvalid, OciUnsupported, isEmpty, readAbsolutePath, readArray, readBoolean, readInteger, readObject, readString, readStrings, refuseIfSet, refuseUnknownKeys, type Json } from './config-errors.js';
import { PROPAGATIONS, parseMounts } from './parse-mounts.js';
import { parseProcess } from './parse-process.js';
import { parseCgroupsPath, parseDevices, parseResources } from './parse-resources.js';
import { NsboxError } from '../errors.js';

export interface ParseBundleOptions {
  /** The runtime was called with --systemd-cgroup: linux.cgroupsPath must be "slice:prefix:name". */
  readonly systemdCgroup?: boolean;
}

/** <bundle>/config.json (or `configText`, read from there otherwise) -> the container nsbox will make. */
export function parseBundle(bundleDir: string, configText?: string, options: ParseBundleOptions = {}): OciContainer {
  const bundle = resolve(bundleDir);
  const file = join(bundle, 'config.json');
  let text = configText;
  if (text === undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new NsboxError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
    }
  }
  return parseConfig(parseConfigText(text, file), bundle, options);
}

/** JSON text -> a value, integers of 16 digits or more kept exact as digit strings (seccomp masks, RLIM_INFINITY). */
export function parseConfigText(text: string, what: string): unknown {
  try {
    return JSON.parse(quoteBigIntegers(text));
  } catch (e) {
    throw new NsboxError(`cannot parse ${what}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** A parsed config.json -> OciContainer (the bundle gives relative paths their base). */
export function parseConfig(raw: unknown, bundle: string, options: ParseBundleOptions = {}): OciContainer {
  const c = readObject(raw, 'config.json') ?? fail('config.json', 'is empty');
  refuseUnknownKeys(c, '', ['ociVersion', 'root', 'mounts', 'process', 'hostname', 'domainname', 'hooks', 'annotations', 'linux', 'windows', 'solaris', 'vm', 'zos']);
  for (const other of ['windows', 'solaris', 'vm', 'zos']) refuseIfSet(c, other, '', `nsbox runs Linux containers only`);
  refuseIfSet(c, 'domainname', '', 'nsbox sets no NIS domain name');
  const ociVersion = readString(c.ociVersion, 'ociVersion') ?? fail('ociVersion', 'is required');
  if (!/^1\.\d+\.\d+/.test(ociVersion)) throw new OciUnsupported('ociVersion', `nsbox implements runtime spec 1.x, not ${JSON.stringify(ociVersion)}`);

  const rootJson = readObject(c.root, 'root') ?? fail('root', 'is required');
  refuseUnknownKeys(rootJson, 'root', ['path', 'readonly']);
  const rootPath = readString(rootJson.path, 'root.path');
  if (rootPath === undefined || rootPath === '') fail('root.path', 'is required');

  const linux: Json = readObject(c.linux, 'linux') ?? {};
  refuseUnknownKeys(linux, 'linux', [
    'namespaces', 'uidMappings', 'gidMappings', 'devices', 'cgroupsPath', 'resources', 'rootfsPropagation', 'seccomp', 'sysctl',
    'maskedPaths', 'readonlyPaths', 'mountLabel', 'intelRdt', 'personality', 'timeOffsets',
  ]);
  refuseIfSet(linux, 'mountLabel', 'linux', 'nsbox applies no SELinux mount label');
  refuseIfSet(linux, 'intelRdt', 'linux', 'Intel RDT is not supported');
  refuseIfSet(linux, 'personality', 'linux', 'personality(2) domains are not supported');

  const namespaces = parseNamespaces(linux.namespaces);
  const has = (name: NamespaceName) => namespaces.find((n) => n.name === name);
  // A container always gets a mount namespace of its own (its root is pivoted into it). runc joins one given by path
  // and then makes every mount and pivot_root inside it, which changes the root and mounts of every process already
  // there (opencontainers/runc#1700: another container's namespace breaks); the init also reads its fstabs from the
  // state directory, which a namespace of the caller's need not show. So it is refused rather than half done.
  if (has('mount')?.mode !== 'new') throw new OciUnsupported('linux.namespaces', has('mount') ? 'joining a mount namespace by path is not supported (the container\'s mounts and pivot_root would change it for every process in it)' : 'nsbox needs a new mount namespace for the container');
  const uidMappings = parseIdMappings(linux.uidMappings, 'linux.uidMappings');
  const gidMappings = parseIdMappings(linux.gidMappings, 'linux.gidMappings');
  // runc's rules: a new user namespace needs both maps; maps need a user namespace. A joined one (a pod's) may come
  // without maps: create reads them from /proc/PID/uid_map.
  const user = has('user');
  if (user?.mode === 'new' && (uidMappings.length === 0 || gidMappings.length === 0)) fail(uidMappings.length === 0 ? 'linux.uidMappings' : 'linux.gidMappings', 'is required with a user namespace');
  if (!user && (uidMappings.length > 0 || gidMappings.length > 0)) fail(uidMappings.length > 0 ? 'linux.uidMappings' : 'linux.gidMappings', 'needs a user namespace in linux.namespaces');

  const timeOffsets = parseTimeOffsets(linux.timeOffsets, has('time'));
  const hostname = readString(c.hostname, 'hostname') || undefined;
  if (hostname !== undefined) {
    // runc too: a hostname needs a uts namespace of the container's (new, or a pod's joined by path).
    if (!has('uts')) fail('hostname', 'needs a uts namespace in linux.namespaces');
    if (hostname.length > 64 || !/^[A-Za-z0-9._-]+$/.test(hostname)) fail('hostname', 'must be at most 64 letters, digits, ".", "_" or "-"');
  }
  const process = parseProcess(c.process, 'process');
  const { resources, deviceRules } = parseResources(linux.resources, 'linux.resources');
  return {
    ociVersion,
    bundle,
    root: { path: resolve(bundle, rootPath!), readonly: readBoolean(rootJson.readonly, 'root.readonly') ?? false },
    mounts: parseMounts(c.mounts, bundle),
    process,
    namespaces,
    uidMappings,
    gidMappings,
    timeOffsets,
    hostname,
    resources,
    cgroupsPath: parseCgroupsPath(linux.cgroupsPath, options.systemdCgroup === true),
    devices: parseDevices(linux.devices, 'linux.devices'),
    deviceRules,
    maskedPaths: parsePaths(linux.maskedPaths, 'linux.maskedPaths'),
    readonlyPaths: parsePaths(linux.readonlyPaths, 'linux.readonlyPaths'),
    sysctl: parseSysctl(linux.sysctl, has),
    seccomp: parseSeccomp(linux.seccomp, join(bundle, 'config.json')),
    hooks: parseHooks(c.hooks),
    rootfsPropagation: parsePropagation(linux.rootfsPropagation),
    annotations: parseAnnotations(c.annotations),
  };
}

/** The runtime spec's namespace types -> util-linux's names. */
const NAMESPACE_TYPES: Readonly<Record<string, NamespaceName>> = {
  pid: 'pid', network: 'net', mount: 'mount', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

/** Namespace types nsbox-runtime does not make or join yet (features.ts leaves them out). */
export const UNSUPPORTED_NAMESPACES: Readonly<Partial<Record<NamespaceName, string>>> = {};

function parseNamespaces(raw: unknown): readonly OciNamespace[] {
  const seen = new Set<NamespaceName>();
  return readArray(raw, 'linux.namespaces').map((entry, i): OciNamespace => {
    const where = `linux.namespaces[${i}]`;
    const n = readObject(entry, where) ?? fail(where, 'must be an object');
    refuseUnknownKeys(n, where, ['type', 'path']);
    const type = readString(n.type, `${where}.type`) ?? '';
    const name = NAMESPACE_TYPES[type];
    if (name === undefined) return fail(`${where}.type`, `not a namespace type: ${JSON.stringify(type)}`);
    if (UNSUPPORTED_NAMESPACES[name] !== undefined) throw new OciUnsupported(where, UNSUPPORTED_NAMESPACES[name]!);
    if (seen.has(name)) fail(`${where}.type`, `${type} is listed twice`);
    seen.add(name);
    const path = readAbsolutePath(n.path, `${where}.path`);
    return path === undefined ? { name, mode: 'new' } : { name, mode: 'join', path };
  });
}

/** linux.uidMappings/gidMappings: {containerID, hostID, size} entries, checked as the kernel will (at most 340, no overlap). */
function parseIdMappings(raw: unknown, path: string): readonly IdMapRange[] {
  const ranges = readArray(raw, path).map((entry, i): IdMapRange => {
    const where = `${path}[${i}]`;
    const m = readObject(entry, where) ?? fail(where, 'must be an object');
    refuseUnknownKeys(m, where, ['containerID', 'hostID', 'size']);
    const [inside, outside, count] = (['containerID', 'hostID', 'size'] as const).map((k) => readInteger(m[k], `${where}.${k}`, k === 'size' ? 1 : 0, MAX_ID - 1) ?? fail(`${where}.${k}`, 'is required'));
    if (inside! + count! > MAX_ID || outside! + count! > MAX_ID) fail(where, `passes the largest id (${MAX_ID - 1})`);
    return { inside: inside!, outside: outside!, count: count! };
  });
  if (ranges.length > 340) fail(path, 'has more than 340 ranges (the kernel\'s limit)');
  for (const [i, a] of ranges.entries()) {
    for (const b of ranges.slice(i + 1)) {
      if (a.inside < b.inside + b.count && b.inside < a.inside + a.count) fail(path, 'has ranges that overlap in the container');
      if (a.outside < b.outside + b.count && b.outside < a.outside + a.count) fail(path, 'has ranges that overlap on the host');
    }
  }
  return ranges;
}

const MAX_ID = 4294967295;

/**
 * linux.timeOffsets: {monotonic, boottime} each {secs, nanosecs}, for a new time namespace only (runc's rules: offsets
 * need one, and a joined namespace's are fixed since its first process entered it).
 */
function parseTimeOffsets(raw: unknown, time: OciNamespace | undefined): readonly OciTimeOffset[] {
  const t = readObject(raw, 'linux.timeOffsets') ?? {};
  refuseUnknownKeys(t, 'linux.timeOffsets', ['monotonic', 'boottime']);
  const offsets = (['monotonic', 'boottime'] as const).flatMap((clock): OciTimeOffset[] => {
    const where = `linux.timeOffsets.${clock}`;
    const o = readObject(t[clock], where);
    if (o === undefined) return [];
    refuseUnknownKeys(o, where, ['secs', 'nanosecs']);
    const secs = readInteger(o.secs, `${where}.secs`, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) ?? 0;
    const nanosecs = readInteger(o.nanosecs, `${where}.nanosecs`, 0, 999999999) ?? 0;
    return [{ clock, secs, nanosecs }];
  });
  if (offsets.length === 0) return offsets;
  if (!time) fail('linux.timeOffsets', 'needs a time namespace in linux.namespaces');
  if (time.mode === 'join') throw new OciUnsupported('linux.timeOffsets', 'a joined time namespace keeps its own offsets');
  return offsets;
}

function parsePaths(raw: unknown, path: string): readonly string[] {
  return readArray(raw, path).map((p, i) => readAbsolutePath(p, `${path}[${i}]`) ?? fail(`${path}[${i}]`, 'must be an absolute path'));
}

/** Namespaced sysctls only, each with the namespace that scopes it (runc's validator): never the host's. */
function parseSysctl(raw: unknown, has: (name: NamespaceName) => OciNamespace | undefined): readonly (readonly [string, string])[] {
  const s = readObject(raw, 'linux.sysctl') ?? {};
  return Object.entries(s).map(([key, value]) => {
    const where = `linux.sysctl.${key}`;
    const text = readString(value, where) ?? fail(where, 'must be a string');
    if (!SYSCTL_NAME.test(key)) fail(where, 'not a sysctl name');
    const scope = sysctlScope(key);
    if (scope === undefined) throw new OciUnsupported(where, 'not a namespaced sysctl (it would change the host)');
    const ns = has(scope);
    if (!ns) fail(where, `needs a ${NAMESPACES.find((n) => n.name === scope)!.name} namespace in linux.namespaces`);
    // runc's rule: a namespace joined by path may be the host's own (podman's --network host as a path), and the
    // write would change the host's value.
    if (ns.mode === 'join' && isOwnNamespace(ns.path, scope)) fail(where, `not allowed in the host's ${scope} namespace (linux.namespaces joins ${ns.path}, the runtime's own)`);
    return [key, text] as const;
  });
}

/** Whether the namespace file at path is this process's own namespace of that type (same device and inode). */
function isOwnNamespace(path: string, name: NamespaceName): boolean {
  try {
    const [joined, own] = [statSync(path), statSync(`/proc/self/ns/${name}`)];
    return joined.dev === own.dev && joined.ino === own.ino;
  } catch {
    return false; // a path that is not there fails where it is joined
  }
}

function parseSeccomp(raw: unknown, file: string): OciSeccomp | undefined {
  const s = readObject(raw, 'linux.seccomp');
  if (s === undefined) return undefined;
  refuseUnknownKeys(s, 'linux.seccomp', ['defaultAction', 'defaultErrnoRet', 'architectures', 'flags', 'listenerPath', 'listenerMetadata', 'syscalls']);
  refuseIfSet(s, 'listenerPath', 'linux.seccomp', 'seccomp notify listeners are not supported');
  refuseIfSet(s, 'listenerMetadata', 'linux.seccomp', 'seccomp notify listeners are not supported');
  refuseIfSet(s, 'flags', 'linux.seccomp', 'nsbox installs its filter without seccomp(2) flags');
  const what = `${file} linux.seccomp`;
  return { profile: validateProfile(s, what), what };
}

function parseHooks(raw: unknown): OciHooks {
  const h = readObject(raw, 'hooks') ?? {};
  refuseUnknownKeys(h, 'hooks', HOOK_PHASES);
  return Object.fromEntries(HOOK_PHASES.map((phase) => [phase, readArray(h[phase], `hooks.${phase}`).map((entry, i): OciHook => {
    const where = `hooks.${phase}[${i}]`;
    const hook = readObject(entry, where) ?? fail(where, 'must be an object');
    refuseUnknownKeys(hook, where, ['path', 'args', 'env', 'timeout']);
    const path = readAbsolutePath(hook.path, `${where}.path`) ?? fail(`${where}.path`, 'is required (an absolute host path)');
    const args = readStrings(hook.args, `${where}.args`);
    return {
      path,
      args: args.length > 0 ? args : [path],
      env: readStrings(hook.env, `${where}.env`),
      timeout: isEmpty(hook.timeout) ? undefined : readInteger(hook.timeout, `${where}.timeout`, 1, 86400),
    };
  })])) as unknown as OciHooks;
}

function parsePropagation(raw: unknown): OciPropagation | undefined {
  const text = readString(raw, 'linux.rootfsPropagation');
  if (text === undefined || text === '') return undefined;
  if (!(PROPAGATIONS as readonly string[]).includes(text)) fail('linux.rootfsPropagation', `must be one of ${PROPAGATIONS.join(', ')}`);
  return text as OciPropagation;
}

function parseAnnotations(raw: unknown): Readonly<Record<string, string>> {
  const a = readObject(raw, 'annotations') ?? {};
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, readString(v, `annotations.${k}`) ?? fail(`annotations.${k}`, 'must be a string')]));
}

function fail(path: string, reason: string): never {
  throw new OciInvalid(path, reason);
}
