// `nsbox rmi NAME...`: Docker's alias of `nsbox image rm`.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { resolveStoreRoot } from '../image/store.js';
import { runRemove } from './image-actions.js';

interface RmiArgs {
  images: string[];
  root: string | undefined;
}

export const command: NsboxCommand<RmiArgs> = {
  usage: 'rmi <images..>',
  describe: 'remove images (the same as nsbox image rm)',
  builder: (y: Argv) =>
    y
      .positional('images', { type: 'string', array: true, describe: 'NAME[:TAG]...' })
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' }) as unknown as Argv<RmiArgs>,
  handler: (args) => runRemove(resolveStoreRoot(args.root), args.images.map(String)),
};
