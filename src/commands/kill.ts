// `nsbox kill [-s SIG] BOX...`: send a signal to each box's command (PID 1); SIGKILL by default.

import { constants } from 'node:os';
import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { eachBox } from './each-box.js';
import { thawBox } from '../lifecycle/freeze-box.js';
import { NsboxError, flagError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs, refreshBox } from '../lifecycle/open-box.js';
import { signalInit } from '../lifecycle/signal-box.js';
import { withLock } from '../state/lock.js';

interface KillArgs {
  boxes: string[];
  signal: string;
  state: string | undefined;
}

/** "KILL", "SIGKILL", "kill" or "9" -> a signal Node knows. */
export function parseSignal(text: string): NodeJS.Signals | number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = `SIG${text.toUpperCase().replace(/^SIG/, '')}` as NodeJS.Signals;
    if (name in constants.signals) return name;
  }
  throw flagError('--signal', text, 'not a signal name or number (e.g. TERM, KILL, 15)');
}

export const command: NsboxCommand<KillArgs> = {
  usage: 'kill <boxes..>',
  describe: 'send a signal to the command of running boxes',
  builder: (y: Argv) =>
    y
      .positional('boxes', { type: 'string', array: true })
      .option('signal', { alias: 's', type: 'string', default: 'KILL', describe: 'signal name or number' })
      .options(STATE_OPTION) as unknown as Argv<KillArgs>,
  async handler(args) {
    const signal = parseSignal(String(args.signal));
    const state = openStateFromArgs(args);
    return eachBox(args.boxes.map(String), async (ref) => {
      const box = openBox(state, ref);
      await withLock(box.paths.lock, `box ${ref}`, async () => {
        const { record, now } = refreshBox(box);
        if (now.status !== 'running' || !signalInit(record, signal)) throw new NsboxError(`cannot kill box ${ref}: it is not running`);
        // A paused box: SIGKILL takes effect once it thaws (Docker's kill of a paused box); other signals wait for unpause.
        if (signal === 'SIGKILL' || signal === 9) await thawBox(record);
      });
    });
  },
};
