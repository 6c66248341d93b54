// `nsbox images`: Docker's alias of `nsbox image ls`.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { resolveStoreRoot } from '../image/store.js';
import { runList } from './image-actions.js';

interface ImagesArgs {
  root: string | undefined;
  json: boolean;
  format: string | undefined;
}

export const command: NsboxCommand<ImagesArgs> = {
  usage: 'images',
  describe: 'list images (the same as nsbox image ls)',
  builder: (y: Argv) =>
    y
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .option('format', { type: 'string', describe: 'Go template over {{.Repository}} {{.Tag}} {{.ID}} {{.Size}} ...' }) as unknown as Argv<ImagesArgs>,
  handler: (args) => runList(resolveStoreRoot(args.root), args.json, args.format),
};
