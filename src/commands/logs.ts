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

interface LogsArgs {
  box: string;
  follow: boolean;
  timestamps: boolean;
  tail: string | undefined;
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
      .options(STATE_OPTION) as unknown as Argv<LogsArgs>,
  async handler(args) {
    const tail = parseTail(args.tail);
    const box = openBox(openStateFromArgs(args), String(args.box));
    if (!box.record.detached) throw new NsboxError(`box ${args.box} has no log: only detached boxes (run -d) write one`);
    const printer = new LogPrinter(args.timestamps);
    const whole = readWholeLog(box.record, box.paths);
    for (const chunk of tail === undefined ? whole.chunks : tailChunks(whole.chunks, tail)) printer.write(chunk);
    if (!args.follow) return 0;
    let offset = whole.offset;
    for (;;) {
      const record = readRecordAt(box.paths.record);
      const running = record !== undefined && ['running', 'creating'].includes(deriveState(record, box.paths).status);
      offset = printFrom(whole.follow, offset, printer);
      if (!running) return 0;
      await sleep(100);
    }
  },
};
