// `nsbox box-exited --state DIR ID STATUS` (hidden): what a detached box's supervisor becomes when the box ends, if
// the box has a restart policy or --rm. Its output goes to the box's log.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { openStateFromArgs } from '../lifecycle/open-box.js';
import { handleBoxExit } from '../lifecycle/after-exit.js';
import { NsboxError } from '../errors.js';

interface BoxExitedArgs {
  id: string;
  status: number;
  state: string | undefined;
}

export const command: NsboxCommand<BoxExitedArgs> = {
  usage: 'box-exited <id> <status>',
  describe: 'restart or remove a detached box that ended (run by its supervisor)',
  hidden: true,
  builder: (y: Argv) => y.positional('id', { type: 'string' }).positional('status', { type: 'number' }).options(STATE_OPTION) as unknown as Argv<BoxExitedArgs>,
  async handler(args) {
    const id = String(args.id);
    if (!/^[0-9a-f]{64}$/.test(id)) throw new NsboxError(`invalid box id ${JSON.stringify(id)}`);
    try {
      await handleBoxExit(openStateFromArgs(args), id, Number(args.status));
    } catch (error) {
      // Removed meanwhile (rm): nothing left to do.
      if (error instanceof NsboxError && /no longer exists|no such box/.test(error.message)) return 0;
      throw error;
    }
    return 0;
  },
};
