// `nsbox inspect BOX...`: the record of each box and its state now, as a JSON array.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { toBoxJson } from '../lifecycle/list-boxes.js';
import { deriveState } from '../state/status.js';

interface InspectArgs {
  boxes: string[];
  state: string | undefined;
}

export const command: NsboxCommand<InspectArgs> = {
  usage: 'inspect <boxes..>',
  describe: 'print what nsbox knows about boxes, as JSON',
  builder: (y: Argv) => y.positional('boxes', { type: 'string', array: true }).options(STATE_OPTION) as unknown as Argv<InspectArgs>,
  async handler(args) {
    const state = openStateFromArgs(args);
    const out = args.boxes.map(String).map((ref) => {
      const box = openBox(state, ref);
      const now = deriveState(box.record, box.paths);
      return { ...toBoxJson({ ...box, now }), state: now, logPath: box.paths.log, record: box.record };
    });
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  },
};
