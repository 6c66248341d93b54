// What `nsbox info` reports, under `docker info`'s field names (so `--format '{{.ContainersRunning}}'` works as
// there): the boxes by state, the images, the cgroup version and driver, the store and state dirs, the host's kernel
// and the versions of the tools nsbox composes. Only reads.

import { readFileSync } from 'node:fs';
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import { describeStore } from '../image/store.js';
import { listImageRecords } from '../image/records.js';
import { detectCgroupHost } from '../cgroup/detect.js';
import { chooseCgroupDriver } from '../cgroup/driver.js';
import { isFrozen } from './freeze-box.js';
import { listBoxes } from './list-boxes.js';
import { NSBOX_VERSION } from '../version.js';
import type { StatePaths } from '../state/paths.js';

export interface SystemInfo {
  readonly ServerVersion: string;
  readonly Containers: number;
  readonly ContainersRunning: number;
  readonly ContainersPaused: number;
  readonly ContainersStopped: number;
  readonly Images: number;
  readonly Driver: 'overlay';
  readonly CgroupDriver: string;
  /** "1" or "2" as Docker gives it ("1" on a hybrid host); "" without cgroups. */
  readonly CgroupVersion: string;
  readonly KernelVersion: string;
  readonly OperatingSystem: string;
  readonly OSType: 'linux';
  readonly Architecture: string;
  readonly NCPU: number;
  readonly MemTotal: number;
  readonly Name: string;
  /** The image store (Docker's name for /var/lib/docker), and nsbox's state dir of the boxes. */
  readonly DockerRootDir: string;
  readonly StateDir: string;
  readonly Tools: Readonly<Record<string, string | null>>;
}

/** Node's arch() in uname -m's words, as Docker prints Architecture. */
const MACHINE: Readonly<Record<string, string>> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', arm: 'armv7l', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export async function gatherSystemInfo(storeRoot: string, state: StatePaths, tools: Readonly<Record<string, string | null>>): Promise<SystemInfo> {
  const boxes = listBoxes(state);
  const running = boxes.filter((b) => b.now.status === 'running');
  const paused = running.filter((b) => isFrozen(b.record)).length;
  const images = new Set((await listImageRecords(describeStore(storeRoot))).map((r) => r.id)).size;
  const mode = detectCgroupHost().mode;
  return {
    ServerVersion: NSBOX_VERSION,
    Containers: boxes.length,
    ContainersRunning: running.length - paused,
    ContainersPaused: paused,
    ContainersStopped: boxes.length - running.length,
    Images: images,
    Driver: 'overlay',
    CgroupDriver: mode === 'none' ? 'none' : chooseCgroupDriver(),
    CgroupVersion: mode === 'none' ? '' : mode === 'v2' ? '2' : '1',
    KernelVersion: release(),
    OperatingSystem: osName(),
    OSType: 'linux',
    Architecture: MACHINE[arch()] ?? arch(),
    NCPU: cpus().length,
    MemTotal: totalmem(),
    Name: hostname(),
    DockerRootDir: storeRoot,
    StateDir: state.root,
    Tools: tools,
  };
}

/** PRETTY_NAME of /etc/os-release (the host's), as Docker's Operating System. */
function osName(): string {
  try {
    const line = readFileSync('/etc/os-release', 'utf8').split('\n').find((l) => l.startsWith('PRETTY_NAME='));
    return line ? line.slice('PRETTY_NAME='.length).replace(/^"(.*)"$/, '$1') : 'Linux';
  } catch {
    return 'Linux';
  }
}

/** Bytes as GiB with two decimals (MiB below 1 GiB), as `docker info`'s Total Memory. */
function gibibytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)}GiB` : `${(bytes / 2 ** 20).toFixed(1)}MiB`;
}

/** The text `nsbox info` prints, laid out as `docker info`'s. */
export function renderSystemInfo(info: SystemInfo): string {
  const tools = Object.entries(info.Tools).map(([name, v]) => `  ${name}: ${v ?? 'not found'}`);
  return [
    'Client:',
    ` Version:    ${info.ServerVersion} (nsbox: no daemon, the boxes are run by stock tools)`,
    '',
    'Server:',
    ` Containers: ${info.Containers}`,
    `  Running: ${info.ContainersRunning}`,
    `  Paused: ${info.ContainersPaused}`,
    `  Stopped: ${info.ContainersStopped}`,
    ` Images: ${info.Images}`,
    ` Server Version: ${info.ServerVersion}`,
    ` Storage Driver: ${info.Driver}`,
    ` Cgroup Driver: ${info.CgroupDriver}`,
    ` Cgroup Version: ${info.CgroupVersion || 'none'}`,
    ` Kernel Version: ${info.KernelVersion}`,
    ` Operating System: ${info.OperatingSystem}`,
    ` OSType: ${info.OSType}`,
    ` Architecture: ${info.Architecture}`,
    ` CPUs: ${info.NCPU}`,
    ` Total Memory: ${gibibytes(info.MemTotal)}`,
    ` Name: ${info.Name}`,
    ` Docker Root Dir: ${info.DockerRootDir}`,
    ` State Dir: ${info.StateDir}`,
    ' Tools:',
    ...tools,
    '',
  ].join('\n');
}
