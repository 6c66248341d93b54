// `nsbox history IMAGE`: Docker's top-level name for `nsbox image history`.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { resolveStoreRoot } from '../image/store.js';
import { runHistory } from './image-actions.js';

interface HistoryArgs {
  image: string;
  root: string | undefined;
}

export const command: NsboxCommand<HistoryArgs> = {
  usage: 'history <image>',
  describe: 'show how an image was made, one row per layer, newest first (the same as nsbox image history)',
  builder: (y: Argv) =>
    y
      .positional('image', { type: 'string', describe: 'NAME[:TAG]' })
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' }) as unknown as Argv<HistoryArgs>,
  handler: (args) => runHistory(resolveStoreRoot(args.root), String(args.image)),
};
