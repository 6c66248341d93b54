// `nsbox ps [-a] [-q] [--json]`: the boxes, with running/stopped read from /proc at this moment.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { openStateFromArgs } from '../lifecycle/open-box.js';
import { listBoxes, toBoxJson } from '../lifecycle/list-boxes.js';
import { describeStatus, renderTable } from '../lifecycle/format.js';
import { quoteArgv } from '../plan/quote.js';

interface PsArgs {
  all: boolean;
  quiet: boolean;
  json: boolean;
  state: string | undefined;
}

export const command: NsboxCommand<PsArgs> = {
  usage: 'ps',
  describe: 'list running boxes (-a: all)',
  builder: (y: Argv) =>
    y
      .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'show stopped and dead boxes too' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'only the ids' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .options(STATE_OPTION) as unknown as Argv<PsArgs>,
  async handler(args) {
    const boxes = listBoxes(openStateFromArgs(args)).filter((b) => args.all || b.now.status === 'running' || b.now.status === 'creating');
    if (args.json) process.stdout.write(`${JSON.stringify(boxes.map(toBoxJson), null, 2)}\n`);
    else if (args.quiet) process.stdout.write(boxes.map((b) => `${b.record.id.slice(0, 12)}\n`).join(''));
    else {
      const rows = [['BOX ID', 'NAME', 'PID', 'STATUS', 'COMMAND']];
      for (const { record, now } of boxes) {
        const command = quoteArgv(record.command);
        rows.push([record.id.slice(0, 12), record.name ?? '', now.pid === undefined ? '' : String(now.pid), describeStatus(now, record.created), command.length > 40 ? `${command.slice(0, 39)}…` : command]);
      }
      process.stdout.write(renderTable(rows));
    }
    return 0;
  },
};
