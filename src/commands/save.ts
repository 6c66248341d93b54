// `nsbox save IMAGE... -o FILE`: Docker's top-level name for `nsbox image save`.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { resolveStoreRoot } from '../image/store.js';
import { runSave } from './image-actions.js';

interface SaveArgs {
  images: string[];
  output: string | undefined;
  root: string | undefined;
}

export const command: NsboxCommand<SaveArgs> = {
  usage: 'save <images..>',
  describe: 'write images to a docker save archive (-o FILE, else stdout), as docker save (the same as nsbox image save)',
  builder: (y: Argv) =>
    y
      .positional('images', { type: 'string', array: true, describe: 'NAME[:TAG]...' })
      .option('output', { alias: 'o', type: 'string', describe: 'the archive to write (default: stdout, if not a terminal)' })
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' }) as unknown as Argv<SaveArgs>,
  handler: (args) => runSave(resolveStoreRoot(args.root), args.images.map(String), args.output),
};
