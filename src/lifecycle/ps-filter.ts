// `ps -f KEY=VALUE`: Docker's filters (name, status, label, ancestor, id, exited), parsed once and matched per box.
// One key given twice matches either value; different keys must all match (Docker's rule).

import { NsboxError } from '../errors.js';
import type { BoxRecord } from '../state/record.js';
import { describeDockerState, lifecycleFields } from './docker-fields.js';
import type { ListedBox } from './list-boxes.js';

const KEYS = ['name', 'status', 'label', 'ancestor', 'id', 'exited'] as const;
type FilterKey = (typeof KEYS)[number];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export type PsFilters = ReadonlyMap<FilterKey, readonly string[]>;

/** Parse every -f value; a bad one is a one-line NsboxError. */
export function parsePsFilters(values: readonly string[]): PsFilters {
  const filters = new Map<FilterKey, string[]>();
  for (const text of values) {
    const eq = text.indexOf('=');
    const key = (eq === -1 ? text : text.slice(0, eq)) as FilterKey;
    const value = eq === -1 ? '' : text.slice(eq + 1);
    if (!KEYS.includes(key)) throw new NsboxError(`invalid filter '${key}': nsbox ps filters on ${KEYS.join(', ')}`);
    if (eq === -1 || (value === '' && key !== 'label')) throw new NsboxError(`invalid filter '${text}': expected ${key}=VALUE`);
    if (key === 'status' && !STATUSES.includes(value)) throw new NsboxError(`invalid filter 'status=${value}': expected one of ${STATUSES.join(', ')}`);
    if (key === 'exited' && !/^\d+$/.test(value)) throw new NsboxError(`invalid filter 'exited=${value}': expected an exit code`);
    filters.set(key, [...(filters.get(key) ?? []), value]);
  }
  return filters;
}

/** Whether a box passes every filter. */
export function matchesPsFilters(box: ListedBox, filters: PsFilters): boolean {
  for (const [key, values] of filters) {
    if (!values.some((value) => matchOne(key, value, box))) return false;
  }
  return true;
}

function matchOne(key: FilterKey, value: string, { record, now }: ListedBox): boolean {
  switch (key) {
    case 'name':
      return record.name !== undefined && matchName(value, record.name);
    case 'status':
      return describeDockerState(now, lifecycleFields(record)) === value;
    case 'label':
      return matchLabel(value, lifecycleFields(record).labels);
    case 'ancestor':
      return matchAncestor(value, record);
    case 'id':
      return record.id.startsWith(value);
    case 'exited':
      return now.status === 'exited' && now.exitCode === Number(value);
  }
}

/** Docker matches names as a regular expression (so `name=web` finds "web" and "web2"); a bad one as text. */
function matchName(pattern: string, name: string): boolean {
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return name.includes(pattern);
  }
}

/** `label=KEY` (has it) or `label=KEY=VALUE` (has it with that value). */
function matchLabel(filter: string, labels: Readonly<Record<string, string>>): boolean {
  const eq = filter.indexOf('=');
  if (eq === -1) return Object.prototype.hasOwnProperty.call(labels, filter);
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

/** `ancestor=busybox` matches busybox:latest; `ancestor=NAME:TAG` that tag only. */
function matchAncestor(filter: string, record: BoxRecord): boolean {
  if (record.image === undefined) return false;
  const wanted = /:[^/]+$/.test(filter) ? filter : `${filter}:latest`;
  return record.image === wanted || record.image === filter;
}

/** Filters that look at stopped boxes too make ps list them without -a, as Docker does for status=. */
export function filtersImplyAll(filters: PsFilters): boolean {
  return (filters.get('status') ?? []).some((s) => s !== 'running') || filters.has('exited');
}
