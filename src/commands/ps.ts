// `nsbox ps`: the boxes in Docker's columns, with running/stopped read from /proc at this moment; -a, -q, -n/--last,
// -l, --no-trunc, -f/--filter KEY=VALUE, --format (a Go template over Docker's fields, `table ...`, `json`), --json.

import { terminalJson } from '../format/terminal-text.js';
import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { openStateFromArgs } from '../lifecycle/open-box.js';
import { listBoxes, toBoxJson } from '../lifecycle/list-boxes.js';
import { filtersImplyAll, matchesPsFilters, parsePsFilters } from '../lifecycle/ps-filter.js';
import { PS_HEADERS, PS_TABLE, toPsRow, toUnreadablePsRow } from '../lifecycle/ps-rows.js';
import { describeUnreadable, findBoxCgroupDirs, listPidsIn, listUnreadableBoxes, UNREADABLE_STATUS } from '../lifecycle/unreadable-box.js';
import { startTimeToIso } from '../lifecycle/inspect-live.js';
import { formatRows } from '../format/template.js';
import { flagError } from '../errors.js';

interface PsArgs {
  all: boolean;
  quiet: boolean;
  json: boolean;
  last: number | undefined;
  latest: boolean;
  /** --no-trunc sets it false (yargs's negation). */
  trunc: boolean;
  filter: string[] | string | undefined;
  format: string | undefined;
  state: string | undefined;
}

export const command: NsboxCommand<PsArgs> = {
  usage: 'ps',
  describe: 'list running boxes (-a: all)',
  builder: (y: Argv) =>
    y
      .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'show stopped and dead boxes too' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'only the ids' })
      .option('last', { alias: 'n', type: 'number', describe: 'the N most recently created boxes (any state)' })
      .option('latest', { alias: 'l', type: 'boolean', default: false, describe: 'the most recently created box (any state)' })
      .option('trunc', { type: 'boolean', default: true, describe: 'shorten ids and commands (--no-trunc: in full)' })
      .option('filter', { alias: 'f', type: 'string', array: true, describe: 'name=, status=, label=KEY[=VALUE], ancestor=IMAGE, id=, exited=CODE' })
      .option('format', { type: 'string', describe: 'Go template over {{.ID}} {{.Names}} {{.Image}} {{.Command}} {{.Status}} {{.Ports}} {{.Labels}} ...; "table ..." adds a header; "json"' })
      .option('json', { type: 'boolean', default: false, describe: 'print nsbox\'s own JSON' })
      .example('$0 ps -a --filter status=exited --format \'{{.Names}}: {{.Status}}\'', 'the stopped boxes, one line each')
      .options(STATE_OPTION) as unknown as Argv<PsArgs>,
  async handler(args) {
    const filters = parsePsFilters(list(args.filter));
    const last = args.latest ? 1 : args.last;
    if (last !== undefined && (!Number.isInteger(last) || last < -1)) throw flagError('--last', last, 'expected a number of boxes');
    const all = args.all || filtersImplyAll(filters) || (last !== undefined && last !== -1);
    const state = openStateFromArgs(args);
    const listed = listBoxes(state);
    let boxes = listed.filter((b) => all || b.now.status === 'running' || b.now.status === 'restarting' || b.now.status === 'creating');
    boxes = boxes.filter((b) => matchesPsFilters(b, filters));
    if (last !== undefined && last !== -1) boxes = boxes.slice(0, last);
    // A box whose record is unusable is never hidden: warned about, and listed (without -a only while its cgroup
    // has processes) unless a filter or -n asks for what only a record can say.
    const unreadable = listUnreadableBoxes(state, new Set(listed.map((b) => b.record.id)));
    for (const u of unreadable) process.stderr.write(`nsbox: warning: ${describeUnreadable(u)}\n`);
    const strays = filters.size > 0 || last !== undefined ? [] : unreadable.filter((u) => all || listPidsIn(findBoxCgroupDirs(u.id)).length > 0);
    const truncate = args.trunc;
    if (args.quiet) {
      process.stdout.write([...boxes.map((b) => b.record.id), ...strays.map((u) => u.id)].map((id) => `${truncate ? id.slice(0, 12) : id}\n`).join(''));
      return 0;
    }
    if (args.json) {
      const shown = [...boxes.map(toBoxJson), ...strays.map((u) => ({ id: u.id, name: null, status: 'unknown', error: `state unreadable: ${u.paths.record}: ${u.reason}`, pid: null }))];
      process.stdout.write(`${terminalJson(shown, 2)}\n`);
      return 0;
    }
    const startedAt = new Map<string, string>();
    for (const b of boxes) {
      const who = b.record.phase === 'started' ? b.record.init ?? b.record.supervisor : undefined;
      const at = who ? startTimeToIso(who) : undefined;
      if (at) startedAt.set(b.record.id, at);
    }
    const rows = [...boxes.map((b) => toPsRow(b, { truncate, startedAt })), ...strays.map((u) => toUnreadablePsRow(u.id, UNREADABLE_STATUS, truncate))];
    process.stdout.write(formatRows(args.format ?? PS_TABLE, rows, PS_HEADERS));
    return 0;
  },
};

function list(value: string[] | string | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
