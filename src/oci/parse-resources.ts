// config.json's cgroup side -> OciContainer: linux.resources in CgroupRequest's units, the device-cgroup rules
// with runc's default allow-list appended, the device nodes to create, and linux.cgroupsPath as a path.
// Also what `update --resources` reads (the same object).

import { formatCpuList, parseCpuList } from '../cgroup/cpu-list.js';
import type { OciCgroupsPath, OciDevice, OciDeviceRule, OciResources } from './container.js';
import { OciInvalid, OciUnsupported, cleanPath, readAbsolutePath, readArray, readBoolean, readId, readInteger, readObject, readString, refuseIfSet, refuseUnknownKeys, type Json } from './config-errors.js';

const I64_MAX = Number.MAX_SAFE_INTEGER;

/**
 * runc 1.1's own allow-list (libcontainer/specconv AllowedDevices), appended after config.json's rules: mknod of
 * any node, the standard character devices, ptys, the ptmx and tun. Without it /dev/null is blocked under podman,
 * whose config denies everything. Checked on this machine: runc 1.1.5's devices.list is exactly this.
 */
export const RUNC_DEFAULT_DEVICE_RULES: readonly string[] = [
  'c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm',
];

/** The devices every container has (config-linux.md "Default Devices"); /dev/console and /dev/ptmx are the runtime's. */
export const DEFAULT_DEVICES: readonly OciDevice[] = [
  ['/dev/null', 1, 3], ['/dev/zero', 1, 5], ['/dev/full', 1, 7], ['/dev/random', 1, 8], ['/dev/urandom', 1, 9], ['/dev/tty', 5, 0],
].map(([path, major, minor]) => ({ path: path as string, type: 'c' as const, major: major as number, minor: minor as number, fileMode: 0o666, uid: 0, gid: 0, origin: 'default' as const }));

/** linux.resources (or an update's resources file) -> limits plus the ordered device rules. */
export function parseResources(raw: unknown, path: string): { readonly resources: OciResources; readonly deviceRules: readonly OciDeviceRule[] } {
  const r: Json = readObject(raw, path) ?? {};
  refuseUnknownKeys(r, path, ['devices', 'memory', 'cpu', 'pids', 'blockIO', 'hugepageLimits', 'network', 'rdma', 'unified']);
  refuseIfSet(r, 'blockIO', path, 'block I/O limits are not supported');
  refuseIfSet(r, 'hugepageLimits', path, 'hugetlb limits are not supported');
  refuseIfSet(r, 'network', path, 'net_cls/net_prio are not supported');
  refuseIfSet(r, 'rdma', path, 'rdma limits are not supported');
  refuseIfSet(r, 'unified', path, 'raw cgroup v2 files are not supported');

  const memory: Json = readObject(r.memory, `${path}.memory`) ?? {};
  const mp = `${path}.memory`;
  // useHierarchy: the kernel's memory cgroups are always hierarchical (memory.use_hierarchy is fixed at 1 since 5.x).
  refuseUnknownKeys(memory, mp, ['limit', 'swap', 'reservation', 'kernel', 'kernelTCP', 'swappiness', 'disableOOMKiller', 'checkBeforeUpdate'], ['useHierarchy']);
  if (memory.useHierarchy === false) throw new OciUnsupported(`${mp}.useHierarchy`, 'memory cgroups are always hierarchical');
  for (const key of ['reservation', 'kernel', 'kernelTCP', 'swappiness', 'disableOOMKiller', 'checkBeforeUpdate']) refuseIfSet(memory, key, mp, `memory.${key} is not supported`);
  const limit = readMemory(memory.limit, `${mp}.limit`);
  const swap = readSwap(memory.swap, `${mp}.swap`);
  if (limit !== undefined && typeof swap === 'number' && swap < limit) throw new OciInvalid(`${mp}.swap`, 'memory plus swap is below the memory limit');

  const cpu: Json = readObject(r.cpu, `${path}.cpu`) ?? {};
  const cp = `${path}.cpu`;
  refuseUnknownKeys(cpu, cp, ['shares', 'quota', 'period', 'cpus', 'mems', 'burst', 'realtimeRuntime', 'realtimePeriod', 'idle']);
  for (const key of ['mems', 'burst', 'realtimeRuntime', 'realtimePeriod', 'idle']) refuseIfSet(cpu, key, cp, `cpu.${key} is not supported`);
  const shares = readInteger(cpu.shares, `${cp}.shares`, 0, 262144);
  const quota = readInteger(cpu.quota, `${cp}.quota`, -1, I64_MAX);
  const period = readInteger(cpu.period, `${cp}.period`, 0, 1_000_000);
  if (quota !== undefined && quota > 0 && quota < 1000) throw new OciInvalid(`${cp}.quota`, 'must be at least 1000 (microseconds)');
  if (period !== undefined && period !== 0 && period < 1000) throw new OciInvalid(`${cp}.period`, 'must be from 1000 to 1000000 (microseconds)');
  const cpusText = readString(cpu.cpus, `${cp}.cpus`);
  const cpus = cpusText === undefined || cpusText === '' ? undefined : parseCpuList(cpusText);
  if (cpusText && cpus === undefined) throw new OciInvalid(`${cp}.cpus`, `not a CPU list such as "0-2,4": ${JSON.stringify(cpusText)}`);

  const pids: Json = readObject(r.pids, `${path}.pids`) ?? {};
  refuseUnknownKeys(pids, `${path}.pids`, ['limit']);
  const pidsLimit = readInteger(pids.limit, `${path}.pids.limit`, -1, I64_MAX);

  const deviceRules = [
    ...readArray(r.devices, `${path}.devices`).map((d, i) => parseDeviceRule(d, `${path}.devices[${i}]`)),
    ...RUNC_DEFAULT_DEVICE_RULES.map((rule) => ({ allow: true, rule, origin: 'default' as const })),
  ];
  const firstAllow = deviceRules.findIndex((d) => d.allow);
  const lateDeny = deviceRules.findIndex((d, i) => !d.allow && i > firstAllow);
  // The v1 files are written deny-first (CgroupRequest); a deny after an allow would need the order kept.
  if (lateDeny >= 0) throw new OciUnsupported(`${path}.devices[${lateDeny}]`, 'a deny rule after an allow rule is not supported');
  const devicesDeny = deviceRules.filter((d) => !d.allow).map((d) => d.rule);
  return {
    resources: {
      memoryBytes: limit,
      memorySwapBytes: swap,
      cpuQuotaUs: quota !== undefined && quota > 0 ? quota : undefined,
      cpuPeriodUs: period !== undefined && period > 0 ? period : undefined,
      // The kernel's least is 2 (v1 raises a 1 to 2 itself); 0 means "not set".
      cpuShares: shares !== undefined && shares > 0 ? Math.max(2, shares) : undefined,
      cpusetCpus: cpus === undefined ? undefined : formatCpuList(cpus),
      pidsLimit: pidsLimit !== undefined && pidsLimit > 0 ? pidsLimit : undefined,
      ...(devicesDeny.length > 0 ? { devicesDeny, devicesAllow: deviceRules.filter((d) => d.allow).map((d) => d.rule) } : {}),
    },
    deviceRules,
  };
}

/** 2^63-1 (Go's math.MaxInt64), which some callers write for "no limit". */
const INT64_MAX_TEXT = '9223372036854775807';

/** A memory size in bytes: -1, 0, 2^63-1 or absent is no limit. */
function readMemory(raw: unknown, path: string): number | undefined {
  if (raw === INT64_MAX_TEXT) return undefined;
  const n = readInteger(raw, path, -1, I64_MAX);
  return n === undefined || n <= 0 ? undefined : n;
}

/** Memory plus swap in bytes: -1 is unlimited swap (Docker's --memory-swap -1); 0 or absent leaves the default. */
function readSwap(raw: unknown, path: string): number | 'unlimited' | undefined {
  if (raw === INT64_MAX_TEXT) return 'unlimited';
  const n = readInteger(raw, path, -1, I64_MAX);
  return n === -1 ? 'unlimited' : n === undefined || n === 0 ? undefined : n;
}

function parseDeviceRule(raw: unknown, path: string): OciDeviceRule {
  const d = readObject(raw, path) ?? fail(path, 'must be an object');
  refuseUnknownKeys(d, path, ['allow', 'type', 'major', 'minor', 'access']);
  const allow = readBoolean(d.allow, `${path}.allow`) ?? fail(`${path}.allow`, 'is required');
  const type = readString(d.type, `${path}.type`) || 'a';
  if (!['a', 'c', 'b'].includes(type)) fail(`${path}.type`, 'must be a, c or b');
  const number = (v: unknown, key: string): string => {
    const n = readInteger(v, `${path}.${key}`, -1, 4294967295);
    return n === undefined || n === -1 ? '*' : String(n);
  };
  const access = readString(d.access, `${path}.access`) || 'rwm';
  if (!/^[rwm]{1,3}$/.test(access) || new Set(access).size !== access.length) fail(`${path}.access`, 'must be letters of rwm');
  return { allow, rule: `${type} ${number(d.major, 'major')}:${number(d.minor, 'minor')} ${access}`, origin: 'config' };
}

/** linux.devices, then the default devices config.json does not list (by path). */
export function parseDevices(raw: unknown, path: string): readonly OciDevice[] {
  const listed = readArray(raw, path).map((entry, i): OciDevice => {
    const where = `${path}[${i}]`;
    const d = readObject(entry, where) ?? fail(where, 'must be an object');
    refuseUnknownKeys(d, where, ['type', 'path', 'major', 'minor', 'fileMode', 'uid', 'gid']);
    const devicePath = readAbsolutePath(d.path, `${where}.path`) ?? fail(`${where}.path`, 'is required');
    if (devicePath === '/') fail(`${where}.path`, 'cannot be "/"');
    const type = readString(d.type, `${where}.type`);
    if (type !== 'c' && type !== 'b' && type !== 'u' && type !== 'p') return fail(`${where}.type`, 'must be c, b, u or p');
    const major = readInteger(d.major, `${where}.major`, 0, 4095);
    const minor = readInteger(d.minor, `${where}.minor`, 0, 1048575);
    if (type !== 'p' && (major === undefined || minor === undefined)) fail(where, 'a device needs major and minor');
    return {
      path: devicePath,
      type: type === 'u' ? 'c' : type,
      major: major ?? 0,
      minor: minor ?? 0,
      fileMode: readInteger(d.fileMode, `${where}.fileMode`, 0, 0o7777) ?? 0o666,
      uid: readId(d.uid, `${where}.uid`) ?? 0,
      gid: readId(d.gid, `${where}.gid`) ?? 0,
      origin: 'config',
    };
  });
  const seen = new Set<string>();
  listed.forEach((d, i) => {
    if (seen.has(d.path)) fail(`${path}[${i}].path`, `${d.path} is listed twice`);
    seen.add(d.path);
  });
  return [...listed, ...DEFAULT_DEVICES.filter((d) => !seen.has(d.path))];
}

/**
 * linux.cgroupsPath: "/a/b" (from the hierarchy root), "a/b" (below the runtime's own cgroup, as runc's cgroupfs
 * driver), or systemd's "slice:prefix:name" ("machine.slice:libpod:ID" -> machine.slice/libpod-ID.scope).
 * With the systemd form the caller passed --systemd-cgroup; nsbox writes the same directories as cgroupfs.
 */
export function parseCgroupsPath(raw: unknown, systemd: boolean): OciCgroupsPath {
  const path = 'linux.cgroupsPath';
  const given = readString(raw, path);
  if (given === undefined || given === '') return { path: '', base: 'root', form: 'none', given: undefined };
  const systemdForm = /^([^/:]*):([^/:]*):([^/:]+)$/.exec(given);
  if (systemd || (systemdForm && !given.startsWith('/'))) {
    if (!systemdForm) throw new OciInvalid(path, `with --systemd-cgroup it must be "slice:prefix:name", got ${JSON.stringify(given)}`);
    const [, slice, prefix, name] = systemdForm;
    const parent = expandSlice(slice === '' ? 'system.slice' : slice!, path);
    const unit = name!.endsWith('.slice') ? expandSlice(name!, path).split('/').pop()! : `${prefix ? `${prefix}-` : ''}${name}.scope`;
    return { path: [parent, unit].filter((p) => p !== '').join('/'), base: 'root', form: 'systemd', given };
  }
  const parts = given.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new OciInvalid(path, '".." would leave the cgroup hierarchy');
  for (const part of parts) if (!/^[A-Za-z0-9_@:+=,.-]+$/.test(part)) throw new OciInvalid(path, `invalid cgroup name ${JSON.stringify(part)}`);
  return { path: cleanPath(parts.join('/')).slice(1), base: given.startsWith('/') ? 'root' : 'self', form: 'cgroupfs', given };
}

/** systemd's slice nesting: "a-b-c.slice" -> "a.slice/a-b.slice/a-b-c.slice"; "-.slice" is the root. */
function expandSlice(slice: string, path: string): string {
  if (slice === '-.slice') return '';
  if (!slice.endsWith('.slice') || slice.includes('/')) throw new OciInvalid(path, `${JSON.stringify(slice)} is not a systemd slice name`);
  const stem = slice.slice(0, -'.slice'.length);
  if (stem.startsWith('-') || stem.endsWith('-') || stem.includes('--')) throw new OciInvalid(path, `${JSON.stringify(slice)} is not a valid slice name`);
  const words = stem.split('-');
  return words.map((_, i) => `${words.slice(0, i + 1).join('-')}.slice`).join('/');
}

function fail(path: string, reason: string): never {
  throw new OciInvalid(path, reason);
}
