// `nsbox inspect`'s JSON in Docker's shape (the keys Docker users script against), from a box record and its state
// now; nsbox's own facts (undo list, namespaces, cgroups, processes) under the one extra key `Nsbox`. Pure.

import type { BoxRecord, RecordedConfig, RecordedNetwork } from '../state/record.js';
import type { BoxPaths } from '../state/paths.js';
import type { BoxState } from '../state/status.js';
import { describeDockerState, lifecycleFields } from './docker-fields.js';
import { namespaceInfo, type NamespaceName } from '../host/namespaces.js';
import { nextRunLog } from './box-log.js';

/** Docker's "no time" (Go's zero time.Time). */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** What inspect reads from the host beside the record (absent facts stay empty). */
export interface LiveFacts {
  /** When PID 1 started (ISO), from its start time in /proc. */
  readonly startedAt?: string;
  /** eth0's MAC in the box's network namespace while it runs (when the record does not fix one). */
  readonly macAddress?: string;
  /** The host's hostname (boxes that share the host's uts namespace). */
  readonly hostHostname?: string;
  /** Networks the box was added to later (`network connect`), from their leases while it runs. */
  readonly connected?: readonly ConnectedNetwork[];
}

/** One `network connect` attachment: the lease and its network's gateway and prefix. */
export interface ConnectedNetwork {
  readonly network: string;
  readonly address: string;
  readonly prefixLength: number;
  readonly gateway: string;
  readonly macAddress: string;
  readonly aliases: readonly string[];
}

export interface InspectInput {
  readonly record: BoxRecord;
  readonly paths: BoxPaths;
  readonly now: BoxState;
  readonly live?: LiveFacts;
}

/** One box as `docker inspect` prints a container. */
export function toDockerInspect({ record, paths, now, live = {} }: InspectInput): Record<string, unknown> {
  const config = record.config ?? fallbackConfig(record);
  const extra = lifecycleFields(record);
  const running = now.status === 'running';
  const [path, ...args] = record.command;
  return {
    Id: record.id,
    Created: record.created,
    Path: path ?? '',
    Args: args,
    State: {
      Status: describeDockerState(now, extra),
      Running: running,
      Paused: running && extra.paused,
      Restarting: extra.restarting || now.status === 'restarting',
      OOMKilled: now.oomKilled,
      Dead: now.status === 'dead',
      Pid: now.pid ?? 0,
      ExitCode: now.exitCode ?? 0,
      Error: '',
      StartedAt: extra.startedAt ?? live.startedAt ?? (now.status === 'creating' || now.status === 'created' ? ZERO_TIME : record.created),
      FinishedAt: now.finishedAt ?? ZERO_TIME,
    },
    Image: record.image ?? '',
    LogPath: record.detached ? nextRunLog(record, paths).path : '',
    Name: record.name === undefined ? '' : `/${record.name}`,
    RestartCount: extra.restartCount,
    Driver: record.image === undefined ? '' : 'overlay',
    Platform: 'linux',
    HostConfig: hostConfig(record, config, extra),
    Mounts: config.volumes.flatMap((v) =>
      v.kind === 'bind' ? [{ Type: 'bind', Source: v.source, Destination: v.target, Mode: v.readOnly ? 'ro' : '', RW: !v.readOnly, Propagation: 'private' }] : [],
    ),
    Config: {
      Hostname: config.hostname ?? (record.namespaces.uts === undefined ? live.hostHostname ?? '' : ''),
      User: config.user ?? '',
      Env: Object.entries(record.process.env).map(([k, v]) => `${k}=${v}`),
      // With the entrypoint recorded (--entrypoint), Cmd is what follows it in the argv.
      Cmd: extra.entrypoint ? record.command.slice(extra.entrypoint.length) : config.cmd,
      Image: record.image ?? '',
      WorkingDir: record.process.workdir ?? '',
      Entrypoint: (extra.entrypoint && extra.entrypoint.length > 0 ? extra.entrypoint : config.entrypoint) ?? null,
      Labels: extra.labels,
      StopSignal: extra.stopSignal,
      ...(extra.stopTimeout === undefined ? {} : { StopTimeout: extra.stopTimeout }),
    },
    NetworkSettings: networkSettings(record, running, live),
    Nsbox: {
      Phase: record.phase,
      Detached: record.detached,
      AutoRemove: record.autoRemove,
      StateDir: paths.dir,
      Supervisor: record.supervisor ?? null,
      Init: record.init ?? null,
      // As readlink(/proc/PID/ns/FILE) shows them, keyed by util-linux's names.
      Namespaces: Object.fromEntries(Object.entries(record.namespaces).map(([name, inode]) => [name, `${namespaceInfo(name as NamespaceName).procFile}:[${inode}]`])),
      Cgroup: record.cgroup ?? null,
      Network: record.network ?? null,
      HostMounts: record.mounts,
      Undo: record.undo,
      Exit: record.exit ?? null,
    },
  };
}

function hostConfig(record: BoxRecord, config: RecordedConfig, extra: ReturnType<typeof lifecycleFields>): Record<string, unknown> {
  const r = config.resources;
  const attachment = record.network?.attachment;
  return {
    Binds: config.volumes.flatMap((v) => (v.kind === 'bind' ? [`${v.source}:${v.target}${v.readOnly ? ':ro' : ''}`] : [])),
    NetworkMode: networkMode(record),
    PortBindings: portBindings(record.network?.request?.publish ?? attachment?.ports ?? []),
    RestartPolicy: extra.restartPolicy,
    AutoRemove: record.autoRemove,
    CapAdd: config.capAdd.length > 0 ? config.capAdd.map((c) => c.toUpperCase()) : null,
    CapDrop: config.capDrop.length > 0 ? config.capDrop.map((c) => c.toUpperCase()) : null,
    Privileged: config.privileged,
    ReadonlyRootfs: config.readOnlyRootfs,
    SecurityOpt: config.securityOpt.length > 0 ? config.securityOpt : null,
    Tmpfs: Object.fromEntries(config.volumes.flatMap((v) => (v.kind === 'tmpfs' ? [[v.target, v.options]] : []))),
    Memory: r?.memoryBytes ?? 0,
    // nsbox's default is no swap beyond --memory (Docker's is twice the memory): MemorySwap says which.
    MemorySwap: r?.memorySwapBytes === 'unlimited' ? -1 : r?.memorySwapBytes ?? r?.memoryBytes ?? 0,
    NanoCpus: r?.cpuQuotaUs !== undefined && r.cpuPeriodUs ? Math.round((r.cpuQuotaUs * 1e9) / r.cpuPeriodUs) : 0,
    CpuShares: r?.cpuShares ?? 0,
    CpusetCpus: r?.cpusetCpus ?? '',
    PidsLimit: r?.pidsLimit ?? null,
    // Docker's spelling: -1 is unlimited; null when none was given.
    Ulimits: record.process.rlimits?.map((l) => ({ Name: l.name, Soft: l.soft === 'unlimited' ? -1 : l.soft, Hard: l.hard === 'unlimited' ? -1 : l.hard })) ?? null,
    CgroupParent: r ? `${r.parentBase === 'self' ? './' : '/'}${r.parent}` : '',
  };
}

/** Docker's HostConfig.PortBindings: the -p as asked (HostPort "" when nsbox chose it, "A-B" to choose from). */
function portBindings(ports: readonly { readonly hostIp?: string; readonly hostPort: number; readonly boxPort: number; readonly protocol: string; readonly hostRange?: readonly [number, number] }[]): Record<string, unknown> {
  const groups = new Map<string, { HostIp: string; HostPort: string }[]>();
  for (const p of ports) {
    const key = `${p.boxPort}/${p.protocol}`;
    const hostPort = p.hostPort !== 0 ? String(p.hostPort) : p.hostRange ? `${p.hostRange[0]}-${p.hostRange[1]}` : '';
    groups.set(key, [...(groups.get(key) ?? []), { HostIp: p.hostIp ?? '', HostPort: hostPort }]);
  }
  return Object.fromEntries(groups);
}

/** Docker's NetworkMode: bridge, the user network's name, none, or host. */
export function networkMode(record: BoxRecord): string {
  const net = record.network;
  if (net?.attachment) return net.mode === 'bridge' ? 'bridge' : net.attachment.network;
  if (net) return net.mode === 'user' ? 'none' : net.mode;
  return record.namespaces.net === undefined ? 'host' : 'none';
}

/** A published port's host side: its address (undefined: every address) and port. */
export interface HostBinding {
  readonly ip: string | undefined;
  readonly port: number;
}

/** `-p` mappings grouped as Docker keys them: "80/tcp" -> host bindings. */
export function groupPorts(ports: NonNullable<RecordedNetwork['attachment']>['ports']): [string, HostBinding[]][] {
  const groups = new Map<string, HostBinding[]>();
  for (const p of ports) {
    const key = `${p.boxPort}/${p.protocol}`;
    groups.set(key, [...(groups.get(key) ?? []), { ip: p.hostIp, port: p.hostPort }]);
  }
  return [...groups];
}

/** "0.0.0.0:8080" or "127.0.0.1:8080", as docker ps and docker port print a binding. */
export function spellBinding(b: HostBinding): string {
  return `${b.ip ?? '0.0.0.0'}:${b.port}`;
}

/**
 * Docker's NetworkSettings: addresses only while the box runs (a stopped box is off its network); the top-level
 * IPAddress, Gateway and MacAddress are the default bridge network's only, as in Docker.
 */
function networkSettings(record: BoxRecord, running: boolean, live: LiveFacts): Record<string, unknown> {
  const a = record.network?.attachment;
  const mode = networkMode(record);
  const mac = a?.macAddress ?? live.macAddress ?? '';
  const on = running && a !== undefined;
  const endpoint = {
    Aliases: a ? [...a.aliases] : null,
    MacAddress: on ? mac : '',
    NetworkID: a ? a.network : '',
    Gateway: on ? a.gateway : '',
    IPAddress: on ? a.address : '',
    IPPrefixLen: on ? a.prefixLength : 0,
    DNSNames: a ? [...a.aliases, record.id.slice(0, 12)] : null,
  };
  const bridge = on && a.network === 'bridge';
  return {
    Bridge: a?.bridge ?? '',
    SandboxKey: running && record.init && record.namespaces.net !== undefined ? `/proc/${record.init.pid}/ns/net` : '',
    Ports: on ? Object.fromEntries(groupPorts(a.ports).map(([key, bindings]) => [key, bindings.map((b) => ({ HostIp: b.ip ?? '0.0.0.0', HostPort: String(b.port) }))])) : {},
    Gateway: bridge ? a.gateway : '',
    IPAddress: bridge ? a.address : '',
    IPPrefixLen: bridge ? a.prefixLength : 0,
    MacAddress: bridge ? mac : '',
    Networks: {
      [mode]: endpoint,
      ...Object.fromEntries(
        (running ? live.connected ?? [] : [])
          .filter((c) => c.network !== mode)
          .map((c) => [c.network, { Aliases: [...c.aliases], MacAddress: c.macAddress, NetworkID: c.network, Gateway: c.gateway, IPAddress: c.address, IPPrefixLen: c.prefixLength, DNSNames: [...c.aliases, record.id.slice(0, 12)] }]),
      ),
    },
  };
}

/** A record made before `config` existed: what its other fields tell. */
function fallbackConfig(record: BoxRecord): RecordedConfig {
  const runAs = record.process.runAs;
  return {
    hostname: undefined,
    user: runAs ? `${runAs.uid}:${runAs.gid}` : undefined,
    entrypoint: undefined,
    cmd: [...record.command],
    resources: undefined,
    volumes: [],
    privileged: false,
    capAdd: [],
    capDrop: [],
    readOnlyRootfs: false,
    securityOpt: [],
  };
}
