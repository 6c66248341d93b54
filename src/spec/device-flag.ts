// `--device HOST[:BOX[:PERMS]]` of an image box, as Docker's: the host's device node HOST appears at BOX (default: the
// same path) in the box's /dev. nsbox binds the host's node there (read-only: a chmod or chown in the box cannot change
// the host's inode; reads and writes of the device work), as it binds /dev/null. PERMS (r, w, m; default rwm) become a
// devices-cgroup rule where a v1 devices hierarchy is there; elsewhere only the full default is taken (cgroup v2 filters
// devices only with an eBPF program, which no stock tool attaches).

import { realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { flagError } from '../errors.js';

export interface DeviceMapping {
  /** The host's node (its real path). */
  readonly host: string;
  /** Where it goes, below the box's /dev ("net/tun" for /dev/net/tun). */
  readonly target: readonly string[];
  readonly perms: string;
  readonly kind: 'c' | 'b';
  readonly major: number;
  readonly minor: number;
}

/** Names nsbox's own /dev already holds (its devices, mounts, links and the toolbox). */
const RESERVED = new Set(['null', 'zero', 'full', 'random', 'urandom', 'tty', 'console', 'pts', 'shm', 'mqueue', 'ptmx', 'fd', 'stdin', 'stdout', 'stderr', 'core', '.nsbox']);

/** One --device value, checked against the host (the node must be a character or block device). */
export function parseDevice(value: string): DeviceMapping {
  const [hostGiven, boxGiven, permsGiven, extra] = value.split(':');
  if (extra !== undefined || !hostGiven) throw flagError('--device', value, 'expected HOST[:BOX[:PERMS]]');
  // Docker's short form HOST:PERMS (`/dev/fuse:rw`).
  const permsOnly = boxGiven !== undefined && permsGiven === undefined && /^[rwm]+$/.test(boxGiven);
  const box = permsOnly || !boxGiven ? hostGiven : boxGiven;
  const perms = (permsOnly ? boxGiven : permsGiven) ?? 'rwm';
  if (!/^[rwm]{1,3}$/.test(perms) || new Set(perms).size !== perms.length) throw flagError('--device', value, `permissions "${perms}": r, w and m, each once`);
  if (!hostGiven.startsWith('/')) throw flagError('--device', value, 'the host path must be absolute');
  let real: string;
  let st;
  try {
    real = realpathSync(hostGiven);
    st = statSync(real);
  } catch {
    throw flagError('--device', value, `no such device on the host: ${hostGiven}`);
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw flagError('--device', value, `${hostGiven} is not a device node`);
  const clean = posix.resolve('/', box);
  if (!clean.startsWith('/dev/') || clean !== box.replace(/\/+$/, '')) throw flagError('--device', value, 'the box path must be a plain path below /dev (as /dev/fuse or /dev/net/tun)');
  const target = clean.slice('/dev/'.length).split('/');
  if (RESERVED.has(target[0]!)) throw flagError('--device', value, `/dev/${target[0]} is the box's own`);
  const rdev = st.rdev;
  return { host: real, target, perms, kind: st.isBlockDevice() ? 'b' : 'c', major: Math.floor(rdev / 256) & 0xfff, minor: (rdev & 0xff) | ((Math.floor(rdev / 4096) & 0xfff00)) };
}

/** The devices-cgroup rule of a mapping ("c 10:200 rwm"). */
export function deviceRule(d: DeviceMapping): string {
  return `${d.kind} ${d.major}:${d.minor} ${d.perms}`;
}

/** Whether PERMS takes anything from read and write (only a devices cgroup can do that). */
export function restrictsAccess(d: DeviceMapping): boolean {
  return !d.perms.includes('r') || !d.perms.includes('w');
}
