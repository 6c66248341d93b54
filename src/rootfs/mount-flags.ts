// Parses -v/--volume HOST|NAME:CTR[:ro|rw], --tmpfs PATH[:SIZE|OPTIONS] and Docker's --mount
// type=bind|volume|tmpfs,source=..,target=..[,readonly] into validated mount requests.

import { flagError } from '../errors.js';

/** A bind mount of a host path (or of a named volume's directory) into the box. */
export interface VolumeMount {
  readonly kind: 'volume';
  /** Absolute host path, as given (resolved to its real path by the command before planning); a volume's name. */
  readonly host: string;
  /** A named volume (ROOT/volumes/NAME/_data, created when missing), instead of a host path. */
  readonly volume?: string;
  /** -v creates a missing host directory, as Docker does; --mount type=bind refuses it, as Docker does. */
  readonly createMissing?: boolean;
  /** The flag as given, for errors and --explain. */
  readonly flag?: string;
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

/** Docker's volume names: a letter or digit, then letters, digits, _ . - */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** -v HOST:CTR[:ro|rw] (HOST absolute, created when missing) or -v NAME:CTR[:ro|rw] (a named volume). */
export function parseVolume(value: string): VolumeMount {
  const fields = value.split(':');
  if (fields.length < 2 || fields.length > 3) throw flagError('--volume', value, 'expected HOST:CTR[:ro|rw] or NAME:CTR[:ro|rw]');
  const [host, ctr, mode] = fields as [string, string, string | undefined];
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw flagError('--volume', value, `mode must be ro or rw, got ${JSON.stringify(mode)}`);
  const target = parseTargetPath('--volume', value, ctr);
  const flag = `-v ${value}`;
  if (host.startsWith('/')) return { kind: 'volume', host, target, readOnly: mode === 'ro', createMissing: true, flag };
  if (!VOLUME_NAME.test(host)) throw flagError('--volume', value, 'the host path must be absolute, or a volume name (letters, digits, _ . -)');
  return { kind: 'volume', host, volume: host, target, readOnly: mode === 'ro', flag };
}

/**
 * Docker's --mount: comma-separated key=value fields. type=bind (source must exist), type=volume (source is a
 * volume name), type=tmpfs (tmpfs-size, tmpfs-mode); target/destination/dst; readonly/ro (bare or =true|false|1|0).
 */
export function parseMountSpec(value: string): VolumeMount | TmpfsMount {
  const bad = (reason: string) => flagError('--mount', value, reason);
  const fields = new Map<string, string | undefined>();
  for (const field of value.split(',')) {
    if (field === '') continue;
    const eq = field.indexOf('=');
    const key = (eq === -1 ? field : field.slice(0, eq)).trim().toLowerCase();
    if (fields.has(key)) throw bad(`${key} is given twice`);
    fields.set(key, eq === -1 ? undefined : field.slice(eq + 1));
  }
  const take = (...keys: string[]): string | undefined => {
    const found = keys.filter((k) => fields.has(k));
    if (found.length > 1) throw bad(`give only one of ${found.join(', ')}`);
    const v = found.length ? fields.get(found[0]!) : undefined;
    for (const k of found) fields.delete(k);
    return v;
  };
  const type = take('type') ?? 'volume';
  const source = take('source', 'src');
  const target = take('target', 'destination', 'dst');
  const ro = fields.has('readonly') || fields.has('ro') ? take('readonly', 'ro') ?? 'true' : 'false';
  if (!['true', 'false', '1', '0'].includes(ro)) throw bad(`readonly takes true or false, got ${JSON.stringify(ro)}`);
  const readOnly = ro === 'true' || ro === '1';
  if (target === undefined || target === '') throw bad('target= is required (the path in the box)');
  const parts = parseTargetPath('--mount', value, target);
  const flag = `--mount ${value}`;
  let mount: VolumeMount | TmpfsMount;
  if (type === 'bind') {
    if (!source?.startsWith('/')) throw bad('type=bind needs source=ABSOLUTE-HOST-PATH');
    if (take('bind-propagation') !== undefined) throw bad('bind-propagation is not supported (bind mounts are private)');
    mount = { kind: 'volume', host: source, target: parts, readOnly, createMissing: false, flag };
  } else if (type === 'volume') {
    if (source === undefined || source === '') throw bad('type=volume needs source=NAME (anonymous volumes are not supported)');
    if (!VOLUME_NAME.test(source)) throw bad('a volume name is letters, digits, _ . - (start with a letter or digit)');
    take('volume-nocopy');
    mount = { kind: 'volume', host: source, volume: source, target: parts, readOnly, flag };
  } else if (type === 'tmpfs') {
    if (source !== undefined) throw bad('type=tmpfs takes no source');
    const size = take('tmpfs-size');
    const mode = take('tmpfs-mode');
    const options = [...(size !== undefined ? [`size=${size}`] : []), ...(mode !== undefined ? [`mode=${mode}`] : []), ...(readOnly ? ['ro'] : [])];
    mount = parseTmpfs(`${target}${options.length ? `:${options.join(',')}` : ''}`);
  } else throw bad(`type must be bind, volume or tmpfs, got ${JSON.stringify(type)}`);
  const left = [...fields.keys()];
  if (left.length > 0) throw bad(`unknown field ${JSON.stringify(left[0])} (nsbox knows type, source, target, readonly, tmpfs-size, tmpfs-mode)`);
  return mount;
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
  const flagOf = (m: UserMount) => (m.kind === 'volume' ? (m.flag?.startsWith('--mount') ? '--mount' : '--volume') : '--tmpfs');
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
