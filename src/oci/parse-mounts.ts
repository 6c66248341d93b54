// config.json `mounts` -> OciMount: each entry's options split into mount(8) flags, propagation, bind/rbind,
// runc's tmpcopyup and the file system's own data options.

import { resolve } from 'node:path';
import type { OciMount, OciPropagation } from './container.js';
import { OciInvalid, OciUnsupported, readArray, readObject, readString, readStrings, refuseIfSet, refuseUnknownKeys, cleanPath } from './config-errors.js';

/** mount(8)'s flag words (MS_* flags): passed through as they are. */
export const MOUNT_FLAG_WORDS: readonly string[] = [
  'ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'relatime', 'norelatime', 'strictatime',
  'nostrictatime', 'noatime', 'atime', 'nodiratime', 'diratime', 'sync', 'async', 'dirsync', 'mand', 'nomand',
  'lazytime', 'nolazytime', 'silent', 'loud', 'nosymfollow',
];

export const PROPAGATIONS: readonly OciPropagation[] = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable'];

/**
 * Options runc or crun give a meaning nsbox does not implement: recursive mount attributes (mount_setattr(2) with
 * AT_RECURSIVE), id-mapped mounts, crun's copy-symlink. Refused rather than passed to the kernel as data.
 */
export const REFUSED_OPTIONS: Readonly<Record<string, string>> = Object.fromEntries([
  ...['rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnoatime', 'ratime', 'rrelatime', 'rnorelatime',
    'rstrictatime', 'rnostrictatime', 'rnodiratime', 'rdiratime', 'rnosymfollow', 'rsymfollow'].map((o) => [o, 'recursive mount attributes (mount_setattr) are not supported']),
  ['idmap', 'id-mapped mounts are not supported'],
  ['ridmap', 'id-mapped mounts are not supported'],
  ['copy-symlink', "crun's copy-symlink is not supported"],
]);

/**
 * Words mount(8) acts on itself instead of passing them to the kernel (util-linux libmount: loop devices, fstab
 * flags, X-mount.*, remount/move, helpers). runc would hand them to mount(2), which refuses them; through mount(8)
 * they would do something else, so they are refused.
 */
const MOUNT8_OWN_OPTION = /^(remount|move|defaults|auto|noauto|nofail|user|nouser|users|owner|group|_netdev|loop(=.*)?|offset=.*|sizelimit=.*|encryption=.*|comment=.*|helper=.*|[xX]-.*|make-.*|verity\..*|no(fail|user))$/;

/** A file system type mount(8) can be given with -t. */
const FS_TYPE = /^[a-z0-9][a-z0-9._-]*$/;

/** The mounts in config.json order; bind sources resolved against the bundle. */
export function parseMounts(raw: unknown, bundle: string): readonly OciMount[] {
  return readArray(raw, 'mounts').map((entry, i) => parseMount(entry, `mounts[${i}]`, bundle));
}

function parseMount(raw: unknown, path: string, bundle: string): OciMount {
  const m = readObject(raw, path) ?? fail(path, 'must be an object');
  refuseUnknownKeys(m, path, ['destination', 'type', 'source', 'options', 'uidMappings', 'gidMappings']);
  refuseIfSet(m, 'uidMappings', path, 'id-mapped mounts are not supported');
  refuseIfSet(m, 'gidMappings', path, 'id-mapped mounts are not supported');
  const destinationText = readString(m.destination, `${path}.destination`);
  if (destinationText === undefined || destinationText === '') fail(`${path}.destination`, 'is required');
  // runc 1.1 still accepts a relative destination (relative to "/") for old callers; the spec asks for absolute.
  const destination = cleanPath(`/${destinationText}`);
  const options = readStrings(m.options, `${path}.options`);
  let type = readString(m.type, `${path}.type`) ?? '';
  const flags: string[] = [];
  const data: string[] = [];
  let bind: OciMount['bind'] = type === 'bind' ? 'bind' : 'none';
  let propagation: OciPropagation | undefined;
  let tmpcopyup = false;
  options.forEach((option, j) => {
    const where = `${path}.options[${j}]`;
    if (option === 'bind' || option === 'rbind') bind = bind === 'rbind' || option === 'rbind' ? 'rbind' : 'bind';
    else if (MOUNT_FLAG_WORDS.includes(option)) flags.push(option);
    else if ((PROPAGATIONS as readonly string[]).includes(option)) propagation = option as OciPropagation;
    else if (option === 'tmpcopyup') tmpcopyup = true;
    else if (REFUSED_OPTIONS[option] !== undefined) throw new OciUnsupported(where, REFUSED_OPTIONS[option]!);
    else if (option === '') fail(where, 'empty option');
    else if (option.includes(',')) fail(where, 'one option per entry (no ",")');
    else if (MOUNT8_OWN_OPTION.test(option)) throw new OciUnsupported(where, `${JSON.stringify(option)} is an option of mount(8), not of the file system`);
    else data.push(option);
  });
  if (bind !== 'none') type = 'bind';
  else if (type === '' || type === 'none') fail(`${path}.type`, 'is required for a mount that is not a bind');
  else if (!FS_TYPE.test(type)) fail(`${path}.type`, `not a file system type: ${JSON.stringify(type)}`);
  if (tmpcopyup && type !== 'tmpfs') throw new OciUnsupported(`${path}.options`, 'tmpcopyup is for tmpfs mounts only');
  let source = readString(m.source, `${path}.source`) ?? '';
  if (bind !== 'none') {
    if (source === '') fail(`${path}.source`, 'a bind mount needs a source');
    if (data.length > 0) throw new OciUnsupported(`${path}.options`, `a bind mount takes no file system options (${data.join(',')})`);
    source = resolve(bundle, source);
  } else if (source === '') source = type;
  const readonly = flags.lastIndexOf('ro') > flags.lastIndexOf('rw');
  return { destination, type, source, bind, flags, readonly, propagation, data: data.join(','), tmpcopyup };
}

function fail(path: string, reason: string): never {
  throw new OciInvalid(path, reason);
}
