// Parses -v/--volume HOST:CTR[:ro|rw] and --tmpfs PATH[:SIZE|OPTIONS] into validated mount requests.

import { flagError } from '../errors.js';

/** A bind mount of a host path into the box. */
export interface VolumeMount {
  readonly kind: 'volume';
  /** Absolute host path, as given (resolved to its real path by the command before planning). */
  readonly host: string;
  /** Path components of the destination inside the box (never empty, no "." or ".."). */
  readonly target: readonly string[];
  readonly readOnly: boolean;
}

/** A tmpfs mounted in the box. */
export interface TmpfsMount {
  readonly kind: 'tmpfs';
  readonly target: readonly string[];
  /** mount(8) options, e.g. "nosuid,nodev,noexec,mode=1777,size=64m". */
  readonly options: string;
}

export type UserMount = VolumeMount | TmpfsMount;

/** Where nsbox mounts its own file systems: user mounts may not go there. */
const RESERVED = ['proc', 'sys', 'dev'];

/** Splits an absolute container path into components; "..", ".", relative paths and "/" are refused. */
export function parseTargetPath(flag: string, value: string, path: string): readonly string[] {
  if (!path.startsWith('/')) throw flagError(flag, value, `the path in the box must be absolute, got ${JSON.stringify(path)}`);
  if (path.includes('\0')) throw flagError(flag, value, 'the path contains a NUL byte');
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length === 0) throw flagError(flag, value, 'cannot mount over the root directory');
  if (parts.some((p) => p === '.' || p === '..')) throw flagError(flag, value, 'the path in the box may not contain . or ..');
  if (RESERVED.includes(parts[0]!)) throw flagError(flag, value, `nsbox mounts /${parts[0]} itself; choose another path`);
  return parts;
}

/** -v HOST:CTR[:ro|rw] (HOST absolute; Docker's named volumes are not supported). */
export function parseVolume(value: string): VolumeMount {
  const fields = value.split(':');
  if (fields.length < 2 || fields.length > 3) throw flagError('--volume', value, 'expected HOST:CTR[:ro|rw]');
  const [host, ctr, mode] = fields as [string, string, string | undefined];
  if (!host.startsWith('/')) throw flagError('--volume', value, 'the host path must be absolute (named volumes are not supported)');
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw flagError('--volume', value, `mode must be ro or rw, got ${JSON.stringify(mode)}`);
  return { kind: 'volume', host, target: parseTargetPath('--volume', value, ctr), readOnly: mode === 'ro' };
}

const TMPFS_OPTION = /^(size=\d+[kmgKMG%]?|nr_inodes=\d+[kmgKMG]?|mode=[0-7]{3,4}|uid=\d+|gid=\d+|ro|rw|exec|noexec|suid|nosuid|dev|nodev)$/;

/** --tmpfs PATH[:SIZE] or PATH[:OPT,...] (Docker's form); defaults nosuid,nodev,noexec,mode=1777. */
export function parseTmpfs(value: string): TmpfsMount {
  const colon = value.indexOf(':');
  const path = colon === -1 ? value : value.slice(0, colon);
  const rest = colon === -1 ? '' : value.slice(colon + 1);
  const target = parseTargetPath('--tmpfs', value, path);
  const given = rest === '' ? [] : rest.split(',');
  const options = given.map((o) => (/^\d+[kmgKMG]?$/.test(o) ? `size=${o}` : o));
  const bad = options.find((o) => !TMPFS_OPTION.test(o));
  if (bad !== undefined) throw flagError('--tmpfs', value, `unknown or malformed option ${JSON.stringify(bad)} (use SIZE like 64m, or size=, mode=, uid=, gid=, ro, exec, ...)`);
  const defaults = ['nosuid', 'nodev', 'noexec', 'mode=1777'].filter((d) => !options.some((o) => optionKey(o) === optionKey(d)));
  return { kind: 'tmpfs', target, options: [...defaults, ...options].join(',') };
}

/** "nosuid"/"suid" and "mode=..." compare by what they set. */
function optionKey(option: string): string {
  const eq = option.indexOf('=');
  if (eq !== -1) return option.slice(0, eq);
  return option.replace(/^no(?=(suid|dev|exec)$)/, '');
}

/** Refuses two user mounts on the same path or one inside another (nsbox checks each target in the image only). */
export function checkMountOverlap(mounts: readonly UserMount[]): void {
  const flagOf = (m: UserMount) => (m.kind === 'volume' ? '--volume' : '--tmpfs');
  for (const [i, a] of mounts.entries()) {
    for (const b of mounts.slice(i + 1)) {
      const [short, long] = a.target.length <= b.target.length ? [a, b] : [b, a];
      if (short.target.every((p, k) => long.target[k] === p)) {
        const where = `/${long.target.join('/')}`;
        throw flagError(flagOf(long), where, short.target.length === long.target.length ? 'two mounts on the same path' : `it is inside /${short.target.join('/')}, another mount`);
      }
    }
  }
}
