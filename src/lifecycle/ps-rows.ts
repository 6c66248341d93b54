// `ps` rows as Docker's container context has them (ID, Image, Command, RunningFor, Status, Ports, Names, ...):
// the fields --format templates name, and the default table. Pure, given the time now and each box's start time.

import type { ListedBox } from './list-boxes.js';
import { describeDockerState, describeDockerStatus, lifecycleFields } from './docker-fields.js';
import { describeDuration } from './format.js';
import { groupPorts, networkMode, spellBinding } from './inspect-json.js';

/** Docker's default `docker ps` table. */
export const PS_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/** Column titles of each field (Docker's). */
export const PS_HEADERS: Readonly<Record<string, unknown>> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Status: 'STATUS',
  State: 'STATE',
  Ports: 'PORTS',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  Networks: 'NETWORKS',
  LocalVolumes: 'LOCAL VOLUMES',
  Pid: 'PID',
  Label: () => 'LABEL',
};

export interface PsRowOptions {
  readonly truncate: boolean;
  readonly now?: number;
  /** When each box's PID 1 started (ISO), by box id; the record's creation time otherwise. */
  readonly startedAt?: ReadonlyMap<string, string>;
}

export interface PsRow {
  readonly ID: string;
  readonly Image: string;
  readonly Command: string;
  readonly CreatedAt: string;
  readonly RunningFor: string;
  readonly Status: string;
  readonly State: string;
  readonly Ports: string;
  readonly Names: string;
  readonly Labels: string;
  readonly Mounts: string;
  readonly Networks: string;
  readonly LocalVolumes: string;
  /** nsbox's addition: the host PID of the box's command while it runs. */
  readonly Pid: string;
  /** `{{.Label "key"}}`: one label's value (a method: JSON leaves it out). */
  readonly Label: (key: unknown) => string;
}

/** One box as a ps row. */
export function toPsRow(box: ListedBox, options: PsRowOptions): PsRow {
  const { record, now: state } = box;
  const now = options.now ?? Date.now();
  const extra = lifecycleFields(record);
  const running = state.status === 'running';
  const command = record.command.join(' ');
  const attachment = record.network?.attachment;
  const labels = extra.labels;
  const config = record.config;
  return {
    ID: options.truncate ? record.id.slice(0, 12) : record.id,
    Image: record.image ?? '',
    Command: JSON.stringify(options.truncate ? ellipsis(command, 20) : command),
    CreatedAt: formatGoTime(record.created),
    RunningFor: `${describeDuration(now - Date.parse(record.created))} ago`,
    Status: describeDockerStatus(state, extra.startedAt ?? options.startedAt?.get(record.id) ?? record.created, extra, now),
    State: describeDockerState(state, extra),
    Ports: running && attachment ? groupPorts(attachment.ports).flatMap(([key, bindings]) => bindings.map((b) => `${spellBinding(b)}->${key}`)).join(', ') : '',
    Names: record.name ?? '',
    Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
    Mounts: (config?.volumes ?? []).flatMap((v) => (v.kind === 'bind' ? [options.truncate ? ellipsis(v.source, 15) : v.source] : [])).join(','),
    Networks: networkMode(record),
    LocalVolumes: '0',
    Pid: state.pid === undefined ? '' : String(state.pid),
    Label: (key) => labels[String(key)] ?? '',
  };
}

/** A box whose record is unusable: its id and status, nothing the record would have said. */
export function toUnreadablePsRow(id: string, status: string, truncate: boolean): PsRow {
  return {
    ID: truncate ? id.slice(0, 12) : id, Image: '', Command: '', CreatedAt: '', RunningFor: '', Status: status, State: 'unknown',
    Ports: '', Names: '', Labels: '', Mounts: '', Networks: '', LocalVolumes: '0', Pid: '', Label: () => '',
  };
}

/** Docker's Ellipsis: at most `max` characters, the last one "…" when cut. */
export function ellipsis(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Go's time.String() in UTC: "2026-12-01 08:31:00 +0000 UTC". */
export function formatGoTime(iso: string): string {
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}
