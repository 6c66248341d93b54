// A seccomp profile in Docker's JSON format (moby's profiles/seccomp), which is also the shape of an OCI
// config.json's linux.seccomp (same lower-camel-case fields; OCI has no archMap/includes/excludes): the types and
// the one validator. Every problem is one line naming the field.

import { NsboxError } from '../errors.js';
import { KNOWN_ARCH_NAMES } from './arches.js';

export type SeccompAction =
  | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_KILL_PROCESS' | 'SCMP_ACT_TRAP' | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE' | 'SCMP_ACT_ALLOW' | 'SCMP_ACT_LOG';

export type SeccompOp = 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';

export const ACTIONS: readonly SeccompAction[] = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG',
];
export const OPS: readonly SeccompOp[] = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];

/** One comparison of syscall argument `index` (0-5). For MASKED_EQ, `value` is the mask and `valueTwo` the datum. */
export interface SeccompArg {
  readonly index: number;
  readonly value: bigint;
  readonly valueTwo: bigint;
  readonly op: SeccompOp;
}

/** When a rule applies: every listed capability held, the host's architecture listed, the kernel at least minKernel. */
export interface SeccompFilter {
  readonly caps?: readonly string[];
  readonly arches?: readonly string[];
  /** [major, minor] */
  readonly minKernel?: readonly [number, number];
}

export interface SeccompRule {
  readonly names: readonly string[];
  readonly action: SeccompAction;
  readonly errnoRet?: number;
  /** All must hold (AND). */
  readonly args: readonly SeccompArg[];
  readonly comment?: string;
  readonly includes?: SeccompFilter;
  readonly excludes?: SeccompFilter;
}

export interface SeccompProfile {
  readonly defaultAction: SeccompAction;
  readonly defaultErrnoRet?: number;
  /** Extra architectures (SCMP_ARCH_*) besides the native one (OCI's field; Docker's old format). */
  readonly architectures?: readonly string[];
  /** Docker's: per native architecture, the sub-architectures its filter also covers. */
  readonly archMap?: readonly { readonly architecture: string; readonly subArchitectures: readonly string[] }[];
  readonly syscalls: readonly SeccompRule[];
  /** OCI's seccomp(2) flags (SECCOMP_FILTER_FLAG_*): validated; nsbox's loaders install with none yet. */
  readonly flags?: readonly string[];
}

const FLAGS = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'];

/** Profile text (JSON) -> a validated profile; `what` names it in errors (e.g. the file name). */
export function parseProfileText(text: string, what: string): SeccompProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(quoteBigIntegers(text));
  } catch (e) {
    throw profileError(what, `not JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return validateProfile(raw, what);
}

/** A parsed JSON value (Docker profile or OCI linux.seccomp) -> a validated profile. */
export function validateProfile(raw: unknown, what: string): SeccompProfile {
  const fail = (reason: string): never => { throw profileError(what, reason); };
  if (!isObject(raw)) return fail('not a JSON object');
  const defaultAction = parseAction(raw.defaultAction, 'defaultAction', fail);
  const defaultErrnoRet = optionalErrno(raw.defaultErrnoRet, 'defaultErrnoRet', fail);
  const architectures = optionalStrings(raw.architectures, 'architectures', fail);
  for (const a of architectures ?? []) if (!KNOWN_ARCH_NAMES.includes(a)) fail(`architectures: unknown architecture ${JSON.stringify(a)}`);
  let archMap: SeccompProfile['archMap'];
  if (raw.archMap !== undefined && raw.archMap !== null) {
    if (!Array.isArray(raw.archMap)) fail('archMap: not a list');
    archMap = (raw.archMap as unknown[]).map((entry, i) => {
      if (!isObject(entry) || typeof entry.architecture !== 'string') return fail(`archMap[${i}]: needs an architecture`);
      const subs = optionalStrings(entry.subArchitectures, `archMap[${i}].subArchitectures`, fail) ?? [];
      for (const a of [entry.architecture, ...subs]) if (!KNOWN_ARCH_NAMES.includes(a)) fail(`archMap[${i}]: unknown architecture ${JSON.stringify(a)}`);
      return { architecture: entry.architecture, subArchitectures: subs };
    });
  }
  if (raw.listenerPath !== undefined && raw.listenerPath !== '') fail('listenerPath: seccomp notify listeners are not supported');
  const flags = optionalStrings(raw.flags, 'flags', fail);
  for (const f of flags ?? []) if (!FLAGS.includes(f)) fail(`flags: unknown flag ${JSON.stringify(f)}`);
  if (raw.syscalls !== undefined && raw.syscalls !== null && !Array.isArray(raw.syscalls)) fail('syscalls: not a list');
  const syscalls = ((raw.syscalls as unknown[] | undefined | null) ?? []).map((r, i) => parseRule(r, `syscalls[${i}]`, fail));
  return {
    defaultAction,
    ...(defaultErrnoRet === undefined ? {} : { defaultErrnoRet }),
    ...(architectures === undefined ? {} : { architectures }),
    ...(archMap === undefined ? {} : { archMap }),
    syscalls,
    ...(flags?.length ? { flags } : {}),
  };
}

function parseRule(raw: unknown, where: string, fail: (reason: string) => never): SeccompRule {
  if (!isObject(raw)) return fail(`${where}: not an object`);
  const names = optionalStrings(raw.names, `${where}.names`, fail) ?? [];
  if (typeof raw.name === 'string' && raw.name !== '') names.push(raw.name); // Docker's old format: one name
  if (names.length === 0) fail(`${where}: needs names`);
  const action = parseAction(raw.action, `${where}.action`, fail);
  const errnoRet = optionalErrno(raw.errnoRet, `${where}.errnoRet`, fail);
  if (raw.args !== undefined && raw.args !== null && !Array.isArray(raw.args)) fail(`${where}.args: not a list`);
  const args = ((raw.args as unknown[] | undefined | null) ?? []).map((a, j) => parseArg(a, `${where}.args[${j}]`, fail));
  const includes = parseFilter(raw.includes, `${where}.includes`, fail);
  const excludes = parseFilter(raw.excludes, `${where}.excludes`, fail);
  return {
    names,
    action,
    ...(errnoRet === undefined ? {} : { errnoRet }),
    args,
    ...(typeof raw.comment === 'string' && raw.comment !== '' ? { comment: raw.comment } : {}),
    ...(includes ? { includes } : {}),
    ...(excludes ? { excludes } : {}),
  };
}

function parseArg(raw: unknown, where: string, fail: (reason: string) => never): SeccompArg {
  if (!isObject(raw)) return fail(`${where}: not an object`);
  const index = raw.index;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5) fail(`${where}.index: must be 0 to 5`);
  if (typeof raw.op !== 'string' || !OPS.includes(raw.op as SeccompOp)) fail(`${where}.op: must be one of ${OPS.join(', ')}`);
  return { index: index as number, value: parseU64(raw.value, `${where}.value`, fail), valueTwo: parseU64(raw.valueTwo ?? 0, `${where}.valueTwo`, fail), op: raw.op as SeccompOp };
}

function parseFilter(raw: unknown, where: string, fail: (reason: string) => never): SeccompFilter | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) return fail(`${where}: not an object`);
  const caps = optionalStrings(raw.caps, `${where}.caps`, fail)?.map((c) => c.toUpperCase());
  const arches = optionalStrings(raw.arches, `${where}.arches`, fail);
  let minKernel: [number, number] | undefined;
  if (raw.minKernel !== undefined && raw.minKernel !== null && raw.minKernel !== '') {
    const m = typeof raw.minKernel === 'string' ? /^(\d+)\.(\d+)$/.exec(raw.minKernel) : null;
    if (!m) fail(`${where}.minKernel: must be "MAJOR.MINOR"`);
    minKernel = [Number(m![1]), Number(m![2])];
  }
  if (!caps?.length && !arches?.length && !minKernel) return undefined;
  return { ...(caps?.length ? { caps } : {}), ...(arches?.length ? { arches } : {}), ...(minKernel ? { minKernel } : {}) };
}

function parseAction(raw: unknown, where: string, fail: (reason: string) => never): SeccompAction {
  if (raw === 'SCMP_ACT_NOTIFY') fail(`${where}: SCMP_ACT_NOTIFY needs a listener, which nsbox does not support`);
  if (typeof raw !== 'string' || !ACTIONS.includes(raw as SeccompAction)) fail(`${where}: must be one of ${ACTIONS.join(', ')}`);
  return raw as SeccompAction;
}

function optionalErrno(raw: unknown, where: string, fail: (reason: string) => never): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > 0xffff) fail(`${where}: must be an integer from 0 to 65535`);
  return raw as number;
}

function optionalStrings(raw: unknown, where: string, fail: (reason: string) => never): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || !raw.every((s) => typeof s === 'string')) fail(`${where}: must be a list of strings`);
  return [...(raw as string[])];
}

const U64_MAX = (1n << 64n) - 1n;

function parseU64(raw: unknown, where: string, fail: (reason: string) => never): bigint {
  let v: bigint | undefined;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) v = BigInt(raw);
  else if (typeof raw === 'string' && /^\d+$/.test(raw)) v = BigInt(raw);
  if (v === undefined || v < 0n || v > U64_MAX) return fail(`${where}: must be an integer from 0 to 2^64-1`);
  return v;
}

/**
 * JSON.parse turns integers past 2^53 into inexact doubles, yet a 64-bit mask such as 18446744073709551615 must stay
 * exact: quote every integer literal of 16 digits or more (outside strings) so parseU64 reads it as a BigInt.
 */
export function quoteBigIntegers(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (/[0-9-]/.test(ch)) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 64))!;
      const lit = m?.[0] ?? ch;
      out += /^\d{16,}$/.test(lit) ? `"${lit}"` : lit;
      i += lit.length;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function profileError(what: string, reason: string): NsboxError {
  return new NsboxError(`invalid seccomp profile ${what}: ${reason}`);
}
