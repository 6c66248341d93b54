// `nsbox rename OLD NEW`: give a box another name, as docker rename (src/lifecycle/rename-box.ts).

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { renameBox } from '../lifecycle/rename-box.js';

interface RenameArgs {
  box: string;
  name: string;
  state: string | undefined;
}

export const command: NsboxCommand<RenameArgs> = {
  usage: 'rename <box> <name>',
  describe: 'rename a box, running or not (same rules as run --name)',
  builder: (y: Argv) =>
    y
      .positional('box', { type: 'string', describe: 'the box: name, id or unique id prefix' })
      .positional('name', { type: 'string', describe: 'its new name' })
      .options(STATE_OPTION) as unknown as Argv<RenameArgs>,
  async handler(args) {
    await renameBox(openBox(openStateFromArgs(args), String(args.box)), String(args.name));
    return 0;
  },
};
