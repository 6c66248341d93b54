// The two ways a config.json is refused, each one line naming the JSON path: a field nsbox cannot honour
// (OciUnsupported) and a value that is not what the runtime spec allows (OciInvalid). Plus the typed readers that
// raise them, so every check in src/oci/parse-*.ts names its path the same way.

import { NsboxError } from '../errors.js';

/** A field nsbox does not honour: refused at create, never silently ignored. */
export class OciUnsupported extends NsboxError {
  /** The JSON path, e.g. "linux.intelRdt" or "mounts[3].options[1]". */
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`unsupported config.json field ${path}: ${reason}`);
    this.name = 'OciUnsupported';
    this.path = path;
  }
}

/** A value the runtime spec does not allow (wrong type, out of range, relative path). */
export class OciInvalid extends NsboxError {
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`invalid config.json: ${path}: ${reason}`);
    this.name = 'OciInvalid';
    this.path = path;
  }
}

export type Json = Record<string, unknown>;

/** Go's encoder writes a zero value only when set, and writes null for a nil slice or map: both mean "not given". */
export function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

/** Absent, "", [], {}, false or 0: asks for nothing (what Go's omitempty leaves out). */
export function isEmpty(value: unknown): boolean {
  if (isAbsent(value) || value === '' || value === false || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value as object).length === 0;
}

export function readObject(value: unknown, path: string): Json | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new OciInvalid(path, 'must be an object');
  return value as Json;
}

export function readArray(value: unknown, path: string): readonly unknown[] {
  if (isAbsent(value)) return [];
  if (!Array.isArray(value)) throw new OciInvalid(path, 'must be a list');
  return value;
}

export function readString(value: unknown, path: string): string | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value !== 'string') throw new OciInvalid(path, 'must be a string');
  if (value.includes('\0')) throw new OciInvalid(path, 'contains a NUL byte');
  return value;
}

export function readStrings(value: unknown, path: string): readonly string[] {
  return readArray(value, path).map((v, i) => readString(v, `${path}[${i}]`) ?? invalid(`${path}[${i}]`, 'must be a string'));
}

export function readBoolean(value: unknown, path: string): boolean | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value !== 'boolean') throw new OciInvalid(path, 'must be true or false');
  return value;
}

/** An integer in [min, max]. Integers of 16 digits or more arrive as digit strings (see parseConfigText). */
export function readInteger(value: unknown, path: string, min: number, max: number): number | undefined {
  if (isAbsent(value)) return undefined;
  const n = typeof value === 'string' && /^-?\d{16,}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new OciInvalid(path, 'must be an integer');
  if (n < min || n > max) throw new OciInvalid(path, `must be from ${min} to ${max}`);
  return n;
}

/** A uid or gid: 0 .. 2^32-2 ((uid_t)-1 means "no change" to the kernel). */
export function readId(value: unknown, path: string): number | undefined {
  return readInteger(value, path, 0, 4294967294);
}

/** An absolute path, cleaned ("/a//b/./c/" -> "/a/b/c"; ".." cannot climb above "/", as runc's securejoin). */
export function readAbsolutePath(value: unknown, path: string): string | undefined {
  const text = readString(value, path);
  if (text === undefined || text === '') return undefined;
  if (!text.startsWith('/')) throw new OciInvalid(path, `must be an absolute path, got ${JSON.stringify(text)}`);
  return cleanPath(text);
}

/** "/a//b/./c/../d/" -> "/a/b/d"; never above "/". */
export function cleanPath(text: string): string {
  const parts: string[] = [];
  for (const part of text.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/**
 * Refuses keys of `object` that are neither handled nor harmless: `handled` are read by the caller, `ignored` maps
 * the keys that may be dropped to why (shown nowhere, documented here at each call).
 */
export function refuseUnknownKeys(object: Json, path: string, handled: readonly string[], ignored: readonly string[] = []): void {
  for (const key of Object.keys(object)) {
    if (handled.includes(key) || ignored.includes(key)) continue;
    if (isAbsent(object[key])) continue;
    throw new OciUnsupported(path === '' ? key : `${path}.${key}`, 'not a field nsbox knows');
  }
}

/** Refuses a field nsbox does not honour unless it asks for nothing (see isEmpty). */
export function refuseIfSet(object: Json, key: string, path: string, reason: string): void {
  if (!isEmpty(object[key])) throw new OciUnsupported(path === '' ? key : `${path}.${key}`, reason);
}

function invalid(path: string, reason: string): never {
  throw new OciInvalid(path, reason);
}
