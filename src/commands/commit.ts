// `nsbox commit CONTAINER NAME[:TAG]`: a stopped container's changes become a new image (src/image/commit-image.ts).

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { describeState, resolveStateRoot, STATE_OPTION } from '../state/paths.js';
import { openStore, resolveStoreRoot } from '../image/store.js';
import { formatImageRef, parseImageRef } from '../image/reference.js';
import { findContainer } from '../image/commit-container.js';
import { commitContainer } from '../image/commit-image.js';
import { createProgress } from '../image/progress.js';

interface CommitArgs {
  container: string;
  image: string;
  root: string | undefined;
  state: string | undefined;
}

export const command: NsboxCommand<CommitArgs> = {
  usage: 'commit <container> <image>',
  describe: "make a new image NAME[:TAG] from a stopped container's changes (its base image's layers plus one)",
  builder: (y: Argv) =>
    y
      .positional('container', { type: 'string', describe: 'container id, unique id prefix, or box name' })
      .positional('image', { type: 'string', describe: 'NAME[:TAG] of the new image' })
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' })
      .options(STATE_OPTION)
      .example('nsbox commit 3f2a9c busybox:patched', 'the changes of container 3f2a9c... on top of its image') as unknown as Argv<CommitArgs>,
  async handler(args) {
    const ref = parseImageRef(String(args.image), 'image name');
    const store = await openStore(resolveStoreRoot(args.root));
    const found = findContainer(store, String(args.container), describeState(resolveStateRoot(args.state)).names);
    const result = await commitContainer(store, found, ref, createProgress(`committing ${formatImageRef(ref)}`));
    for (const entry of result.dropped) process.stderr.write(`nsbox: warning: left out of the layer: ${entry}\n`);
    const layers = result.record.layers.length;
    const note = result.newLayer ? '' : ', no changes';
    process.stdout.write(`committed ${formatImageRef(ref)} ${result.record.id.slice(7, 19)} (${layers} layer${layers === 1 ? '' : 's'}${note})\n`);
    return 0;
  },
};
