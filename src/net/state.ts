// Where networks and leases live on disk (NSBOX_STATE or /run/nsbox, then net/), and the lock that serialises
// every change to them. Records are JSON files written to a temp file and renamed.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { NsboxError } from '../errors.js';
import { withDirectoryFlock } from '../state/lock.js';
import { readStartTime } from '../state/proc-identity.js';
import type { HostEntry, PortMapping } from './request.js';

/** A network: its bridge, subnet and the gateway address the bridge holds. */
export interface NetworkRecord {
  readonly name: string;
  readonly bridge: string;
  /** "A.B.C.D/N" */
  readonly subnet: string;
  readonly gateway: string;
  readonly createdAt: string;
}

/** One box's hold on one address of a network, and what else it published there. */
export interface Lease {
  readonly boxId: string;
  readonly network: string;
  readonly address: string;
  readonly hostVeth: string;
  /** The interface inside the box (eth0 unless `network connect` added it); absent in older leases: eth0. */
  readonly ifname?: string;
  /** The box's --name, for `network ls` and `network inspect`. */
  readonly boxName?: string;
  readonly publish: readonly PortMapping[];
  readonly names: readonly string[];
  readonly addHosts: readonly HostEntry[];
  /**
   * The box's /etc/hosts on the host when it is not in the box's network dir (an image box's, in its container
   * directory: the box writes it, so never the state dir's tmpfs); peers' refreshes rewrite it there.
   */
  readonly hostsFile?: string;
  /** The nsbox process that took the lease: while it lives, or while the veth exists, the lease is in use. */
  readonly owner: { readonly pid: number; readonly start: string };
  readonly createdAt: string;
}

/** The root of nsbox's network state. */
export function netStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return `${resolve(env.NSBOX_STATE || '/run/nsbox')}/net`;
}

/** Paths of every record, from the state dir. */
export function netPaths(dir: string) {
  return {
    lock: `${dir}/lock`,
    /** /proc/sys/net/ipv4/ip_forward before nsbox's first network; restored when the last one is removed. */
    ipForwardBefore: `${dir}/ip_forward.before`,
    networks: `${dir}/networks`,
    network: (name: string) => `${dir}/networks/${name}.json`,
    /** The ifindex of the network's bridge once its shared set-up (address, rules) is done for that bridge. */
    ready: (name: string) => `${dir}/networks/${name}.ready`,
    leases: (network: string) => `${dir}/leases/${network}`,
    lease: (network: string, address: string) => `${dir}/leases/${network}/${address}.json`,
    /** The host port `-p BOXPORT` chose last: the next choice starts after it (Docker's round robin). */
    lastPort: `${dir}/last-port`,
    boxes: `${dir}/boxes`,
    box: (boxId: string) => `${dir}/boxes/${boxId.slice(0, 12)}`,
  };
}

/** Run `fn` holding the network lock (a directory made with mkdir, which is atomic); a dead holder's lock is taken over. */
export function withNetLock<T>(dir: string, fn: () => T, timeoutMs = 10_000): T {
  const lock = netPaths(dir).lock;
  mkdirSync(dir, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      // Written whole then renamed in: a reader never sees half an owner line.
      writeFileSync(`${lock}/owner.tmp`, `${process.pid} ${processStart(process.pid)}\n`);
      renameSync(`${lock}/owner.tmp`, `${lock}/owner`);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new NsboxError(`cannot lock ${lock}: ${(error as Error).message}`);
      // A dead holder's lock is judged again and removed under flock(2) of the state dir, so two nsboxes that both
      // saw it dead cannot both remove it (the second would remove the first one's fresh lock).
      if (isStaleLock(lock) && withDirectoryFlock(dir, () => isStaleLock(lock) && (rmSync(lock, { recursive: true, force: true }), true))) continue;
      if (Date.now() > deadline) throw new NsboxError(`cannot lock ${lock}: held by another nsbox for over ${timeoutMs} ms`);
      sleepSync(2);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function isStaleLock(lock: string): boolean {
  let owner = '';
  try {
    owner = readFileSync(`${lock}/owner`, 'utf8');
  } catch {
    // not written yet
  }
  const match = /^(\d+) (\d+)\n$/.exec(owner);
  if (!match) {
    // Between mkdir and the owner write (or mid-write): stale only if that was long ago.
    try {
      return Date.now() - statSync(lock).mtimeMs > 5000;
    } catch {
      return false;
    }
  }
  return !isProcessAlive(Number(match[1]), match[2]!);
}

/** True when `pid` runs and started at `start` (field 22 of /proc/PID/stat), so a reused pid does not count. */
export function isProcessAlive(pid: number, start: string): boolean {
  return pid > 0 && processStart(pid) === start && start !== '';
}

/** Start time of a process in clock ticks since boot, or "" when it does not exist. */
export function processStart(pid: number): string {
  return String(readStartTime(pid) ?? '');
}

/** Write JSON atomically (temp file, then rename). */
export function writeRecord(path: string, value: unknown): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temp, path);
}

/** Create a record that must not exist yet (O_EXCL): false when it already does. */
export function createRecord(path: string, value: unknown): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Every network record, sorted by name. */
export function readNetworks(dir: string): NetworkRecord[] {
  const paths = netPaths(dir);
  return listJson(paths.networks).map((f) => readJson<NetworkRecord>(`${paths.networks}/${f}`)).filter((r): r is NetworkRecord => !!r).sort((a, b) => a.name.localeCompare(b.name));
}

/** One network, or undefined. */
export function readNetwork(dir: string, name: string): NetworkRecord | undefined {
  return readJson<NetworkRecord>(netPaths(dir).network(name));
}

/** Every lease of a network ("" for all networks). */
export function readLeases(dir: string, network = ''): Lease[] {
  const root = `${dir}/leases`;
  const networks = network ? [network] : listDirs(root);
  return networks.flatMap((n) => listJson(`${root}/${n}`).map((f) => readJson<Lease>(`${root}/${n}/${f}`)).filter((l): l is Lease => !!l));
}

/**
 * Every lease, as readLeases, but a lease file that does not parse is read again for a while first: a box's plan
 * rewrites its lease in place, and a port choice that missed its ports could hand them out twice.
 */
export function readLeasesSettled(dir: string): Lease[] {
  const root = `${dir}/leases`;
  const files = listDirs(root).flatMap((n) => listJson(`${root}/${n}`).map((f) => `${root}/${n}/${f}`));
  return files.flatMap((file) => {
    for (let i = 0; i < 50; i++) {
      const lease = readJson<Lease>(file);
      if (lease || !existsSync(file)) return lease ? [lease] : [];
      sleepSync(1);
    }
    return [];
  });
}

/** True when the host end of the lease's veth pair still exists (it vanishes with the box's network namespace). */
export function vethExists(lease: Lease): boolean {
  return existsSync(`/sys/class/net/${lease.hostVeth}`);
}

/** A lease nobody holds any more: its nsbox is gone and so is its veth (a running detached box keeps its veth). */
export function isStaleLease(lease: Lease): boolean {
  return !isProcessAlive(lease.owner.pid, lease.owner.start) && !vethExists(lease);
}

function listJson(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The shared set-up's version in its ready marker: a network an older nsbox set up (FORWARD accepting all into the bridge) is set up again once. */
export const INFRA_VERSION = 'v2';
