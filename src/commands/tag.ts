// `nsbox tag SOURCE TARGET`: Docker's top-level name for `nsbox image tag`.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { resolveStoreRoot } from '../image/store.js';
import { runTag } from './image-actions.js';

interface TagArgs {
  source: string;
  target: string;
  root: string | undefined;
}

export const command: NsboxCommand<TagArgs> = {
  usage: 'tag <source> <target>',
  describe: 'give an image a second name NAME[:TAG] (the same as nsbox image tag)',
  builder: (y: Argv) =>
    y
      .positional('source', { type: 'string', describe: 'NAME[:TAG]' })
      .positional('target', { type: 'string', describe: 'NAME[:TAG]' })
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' }) as unknown as Argv<TagArgs>,
  handler: (args) => runTag(resolveStoreRoot(args.root), String(args.source), String(args.target)),
};
