// `nsbox logs [-f] [-t] [--tail N] BOX`: what a detached box wrote, its stdout to our stdout and its stderr to our
// stderr (lifecycle/box-log.ts reads the log back).

import { setTimeout as sleep } from 'node:timers/promises';
import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { NsboxError, flagError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { LogPrinter, printFrom, readWholeLog, tailChunks } from '../lifecycle/box-log.js';
import { readRecordAt } from '../state/store.js';
import { deriveState } from '../state/status.js';
import { parseLogTime } from '../lifecycle/log-time.js';

interface LogsArgs {
  box: string;
  follow: boolean;
  timestamps: boolean;
  tail: string | undefined;
  since: string | undefined;
  until: string | undefined;
  state: string | undefined;
}

/** --tail's value: a number of lines, or undefined for all of them. */
export function parseTail(value: string | undefined): number | undefined {
  if (value === undefined || value === 'all') return undefined;
  if (!/^\d+$/.test(value)) throw flagError('--tail', value, 'expected a number of lines or "all"');
  return Number(value);
}

export const command: NsboxCommand<LogsArgs> = {
  usage: 'logs <box>',
  describe: 'print the output of a detached box, its stdout on stdout and its stderr on stderr (-f: follow until it stops)',
  builder: (y: Argv) =>
    y
      .positional('box', { type: 'string' })
      .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'keep printing new output until the box stops' })
      .option('timestamps', { alias: 't', type: 'boolean', default: false, describe: 'start each line with the time it was written (UTC)' })
      .option('tail', { alias: 'n', type: 'string', describe: 'only the last N lines ("all" for everything)' })
      .option('since', { type: 'string', describe: 'only what was written at or after this time: 2026-12-02T10:00:00Z, Unix seconds, or back from now (10m, 1h30m)' })
      .option('until', { type: 'string', describe: 'only what was written before this time (the same forms); -f stops following then' })
      .options(STATE_OPTION) as unknown as Argv<LogsArgs>,
  async handler(args) {
    const tail = parseTail(args.tail);
    const box = openBox(openStateFromArgs(args), String(args.box));
    if (!box.record.detached) throw new NsboxError(`box ${args.box} has no log: only detached boxes (run -d) write one`);
    const printer = new LogPrinter(args.timestamps);
    const whole = readWholeLog(box.record, box.paths);
    const now = Date.now();
    const since = args.since === undefined ? undefined : parseLogTime('--since', args.since, now);
    const until = args.until === undefined ? undefined : parseLogTime('--until', args.until, now);
    let chunks = whole.chunks;
    if (since !== undefined || until !== undefined) {
      // a box with a terminal logs its pty's bytes raw: no time to filter by
      if (chunks.some((c) => c.time === undefined)) throw new NsboxError(`cannot filter the log of box ${args.box} by time: it has no timestamps (a box with a terminal, -t, logs raw)`);
      chunks = chunks.filter((c) => {
        const at = Date.parse(c.time!);
        return (since === undefined || at >= since) && (until === undefined || at < until);
      });
    }
    for (const chunk of tail === undefined ? chunks : tailChunks(chunks, tail)) printer.write(chunk);
    if (!args.follow || (until !== undefined && Date.now() >= until)) return 0;
    let offset = whole.offset;
    for (;;) {
      if (until !== undefined && Date.now() >= until) return 0;
      const record = readRecordAt(box.paths.record);
      const running = record !== undefined && ['running', 'creating'].includes(deriveState(record, box.paths).status);
      offset = printFrom(whole.follow, offset, printer);
      if (!running) return 0;
      await sleep(100);
    }
  },
};
