// `nsbox logs [-f] [--tail N] BOX`: what a detached box wrote to stdout and stderr.

import { closeSync, openSync, readSync, fstatSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { NsboxError, flagError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { readRecordAt } from '../state/store.js';
import { deriveState } from '../state/status.js';

interface LogsArgs {
  box: string;
  follow: boolean;
  tail: string | undefined;
  state: string | undefined;
}

/** The last `n` lines of `text` (a final line without newline counts). */
export function tailLines(text: string, n: number): string {
  if (n <= 0) return '';
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.length === 0 ? '' : `${lines.slice(-n).join('\n')}${text.endsWith('\n') ? '\n' : ''}`;
}

export const command: NsboxCommand<LogsArgs> = {
  usage: 'logs <box>',
  describe: 'print the output of a detached box (-f: follow until it stops)',
  builder: (y: Argv) =>
    y
      .positional('box', { type: 'string' })
      .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'keep printing new output until the box stops' })
      .option('tail', { alias: 'n', type: 'string', describe: 'only the last N lines ("all" for everything)' })
      .options(STATE_OPTION) as unknown as Argv<LogsArgs>,
  async handler(args) {
    const tail = args.tail === undefined || args.tail === 'all' ? undefined : /^\d+$/.test(args.tail) ? Number(args.tail) : NaN;
    if (Number.isNaN(tail)) throw flagError('--tail', args.tail, 'expected a number of lines or "all"');
    const box = openBox(openStateFromArgs(args), String(args.box));
    if (!box.record.detached) throw new NsboxError(`box ${args.box} has no log: only detached boxes (run -d) write one`);
    let fd: number;
    try {
      fd = openSync(box.paths.log, 'r');
    } catch {
      return 0; // not started yet: nothing written
    }
    try {
      const text = readFileSync(fd, 'utf8');
      process.stdout.write(tail === undefined ? text : tailLines(text, tail));
      let offset = Buffer.byteLength(text);
      if (!args.follow) return 0;
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const record = readRecordAt(box.paths.record);
        const running = record !== undefined && ['running', 'creating'].includes(deriveState(record, box.paths).status);
        while (fstatSync(fd).size > offset) {
          const n = readSync(fd, buffer, 0, buffer.length, offset);
          if (n <= 0) break;
          offset += n;
          process.stdout.write(buffer.subarray(0, n));
        }
        if (!running) return 0;
        await sleep(100);
      }
    } finally {
      closeSync(fd);
    }
  },
};
