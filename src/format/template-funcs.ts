// What a template value prints as (Go's fmt %v on JSON-shaped data), Go's truth rule, and the functions Docker's
// --format offers: Go's builtins (index, len, printf, eq, and, ...) and Docker's own (json, join, lower, ...).

import { terminalJson } from './terminal-text.js';
import { TemplateError } from './template-error.js';

/** Printed for a key a map does not have (Go's text/template). */
export const NO_VALUE = '<no value>';
/** The value of a missing map key: distinct from null (Go's nil), which prints as <nil>. */
export const MISSING = Symbol('missing');

/** Go's %v: maps as map[k:v] (keys sorted), lists as [a b], null as <nil>. */
export function printValue(value: unknown): string {
  if (value === MISSING || value === undefined) return NO_VALUE;
  if (value === null) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `[${value.map(printNested).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${printNested(v)}`).join(' ')}]`;
  }
  return String(value);
}

/** Inside a list or map Go prints nil as <nil> too. */
function printNested(value: unknown): string {
  return value === undefined || value === MISSING ? '<nil>' : printValue(value);
}

/** Go's truth: false, 0, nil, "" and empty lists and maps are false. */
export function isTrue(value: unknown): boolean {
  if (value === MISSING || value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value as object).length > 0;
  return true;
}

type Func = (...args: unknown[]) => unknown;

/** The functions by name; each takes evaluated arguments (a piped value comes last). */
export const FUNCTIONS: Readonly<Record<string, Func>> = {
  // Docker's own
  json: (v) => terminalJson(v === MISSING ? null : v ?? null),
  join: (list, sep) => asList('join', list).map(printValue).join(asString('join', sep)),
  split: (s, sep) => asString('split', s).split(asString('split', sep)),
  lower: (s) => asString('lower', s).toLowerCase(),
  upper: (s) => asString('upper', s).toUpperCase(),
  title: (s) => asString('title', s).replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase()),
  truncate: (s, n) => [...asString('truncate', s)].slice(0, asNumber('truncate', n)).join(''),
  pad: (s, before, after) => `${' '.repeat(asWidth('pad', before))}${asString('pad', s)}${' '.repeat(asWidth('pad', after))}`,
  // Go's builtins
  index: (v, ...keys) => keys.reduce((acc: unknown, key) => indexOne(acc, key), v),
  len: (v) => {
    if (typeof v === 'string') return Buffer.byteLength(v);
    if (Array.isArray(v)) return v.length;
    if (v !== null && typeof v === 'object') return Object.keys(v).length;
    throw new TemplateError(`error calling len: len of type ${typeName(v)}`);
  },
  print: (...args) => goPrint(args),
  println: (...args) => `${args.map(printValue).join(' ')}\n`,
  printf: (format, ...args) => sprintf(asString('printf', format), args),
  not: (v) => !isTrue(v),
  and: (...args) => args.find((a) => !isTrue(a)) ?? args[args.length - 1],
  or: (...args) => args.find((a) => isTrue(a)) ?? args[args.length - 1],
  eq: (a, ...rest) => rest.some((b) => comparable(a) === comparable(b)),
  ne: (a, b) => comparable(a) !== comparable(b),
  lt: (a, b) => order('lt', a, b) < 0,
  le: (a, b) => order('le', a, b) <= 0,
  gt: (a, b) => order('gt', a, b) > 0,
  ge: (a, b) => order('ge', a, b) >= 0,
};

/** `index` of a map by key or a list by position; a missing key is <no value>, a bad position an error. */
function indexOne(value: unknown, key: unknown): unknown {
  if (Array.isArray(value)) {
    const i = asNumber('index', key);
    if (!Number.isInteger(i) || i < 0 || i >= value.length) throw new TemplateError(`error calling index: index out of range: ${i}`);
    return value[i];
  }
  if (value !== null && typeof value === 'object') {
    const k = String(key);
    return Object.prototype.hasOwnProperty.call(value, k) ? (value as Record<string, unknown>)[k] : MISSING;
  }
  throw new TemplateError(`error calling index: can't index item of type ${typeName(value)}`);
}

/** Go's print: spaces only between operands when neither is a string. */
function goPrint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += printValue(a);
  });
  return out;
}

/** printf's common verbs: %s %v %d %q %x %f (with widths such as %-10s or %.2f), %%. */
function sprintf(format: string, args: readonly unknown[]): string {
  let n = 0;
  return format.replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([svdqxXf%t])/g, (_m, flags: string, width: string, precision: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (n >= args.length) return `%!${verb}(MISSING)`;
    const arg = args[n++];
    let text: string;
    if (verb === 'd') text = typeof arg === 'number' ? String(Math.trunc(arg)) : `%!d(${typeName(arg)}=${printValue(arg)})`;
    else if (verb === 'q') text = JSON.stringify(printValue(arg));
    else if (verb === 'x' || verb === 'X') text = typeof arg === 'number' ? arg.toString(16) : Buffer.from(printValue(arg)).toString('hex');
    else if (verb === 'f') text = typeof arg === 'number' ? arg.toFixed(precision === undefined ? 6 : Number(precision)) : `%!f(${typeName(arg)}=${printValue(arg)})`;
    else text = printValue(arg);
    if (verb === 'X') text = text.toUpperCase();
    if (verb === 's' && precision !== undefined) text = text.slice(0, Number(precision));
    const w = Number(width || 0);
    if (w > MAX_WIDTH) return '%!(BADWIDTH)';
    if (text.length >= w) return text;
    if (flags.includes('-')) return text.padEnd(w);
    return flags.includes('0') && /[dfxX]/.test(verb) ? text.padStart(w, '0') : text.padStart(w);
  });
}

function comparable(v: unknown): unknown {
  if (v === MISSING || v === undefined) return null;
  if (v !== null && typeof v === 'object') throw new TemplateError('error calling eq: invalid type for comparison');
  return v;
}

function order(name: string, a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateError(`error calling ${name}: incompatible types for comparison`);
}

function asString(fn: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new TemplateError(`error calling ${fn}: expected a string, got ${typeName(v)}`);
}

function asNumber(fn: string, v: unknown): number {
  if (typeof v === 'number') return v;
  throw new TemplateError(`error calling ${fn}: expected a number, got ${typeName(v)}`);
}

/** Go's fmt refuses a width over 1e6 (%!(BADWIDTH)); a larger one would only exhaust memory. */
const MAX_WIDTH = 1_000_000;

/** A count of spaces: a whole number 0 .. MAX_WIDTH. */
function asWidth(fn: string, v: unknown): number {
  const n = asNumber(fn, v);
  if (!Number.isInteger(n) || n < 0 || n > MAX_WIDTH) throw new TemplateError(`error calling ${fn}: width ${printValue(n)} is not a whole number from 0 to ${MAX_WIDTH}`);
  return n;
}

function asList(fn: string, v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  throw new TemplateError(`error calling ${fn}: expected a list, got ${typeName(v)}`);
}

/** A Go-ish type name for messages. */
export function typeName(v: unknown): string {
  if (v === MISSING || v === undefined || v === null) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'object') return 'map[string]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}
