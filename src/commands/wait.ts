// `nsbox wait BOX...`: block until each box ends, then print its exit code.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { loadRecord } from '../state/store.js';
import { deriveState } from '../state/status.js';
import { NsboxError } from '../errors.js';

interface WaitArgs {
  boxes: string[];
  state: string | undefined;
}

export const command: NsboxCommand<WaitArgs> = {
  usage: 'wait <boxes..>',
  describe: 'wait for boxes to stop, then print their exit codes',
  builder: (y: Argv) => y.positional('boxes', { type: 'string', array: true }).options(STATE_OPTION) as unknown as Argv<WaitArgs>,
  async handler(args) {
    const state = openStateFromArgs(args);
    const boxes = args.boxes.map(String).map((ref) => openBox(state, ref));
    for (const box of boxes) {
      for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
        let now;
        try {
          now = deriveState(loadRecord(state, box.record.id), box.paths);
        } catch {
          throw new NsboxError(`box ${box.record.name ?? box.record.id.slice(0, 12)} was removed while waiting`);
        }
        if (now.status === 'exited' || now.status === 'dead') {
          process.stdout.write(`${now.exitCode ?? -1}\n`);
          break;
        }
        await sleep(delay);
      }
    }
    return 0;
  },
};
