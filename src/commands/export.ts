// `nsbox export CONTAINER [-o FILE]`: a container's merged file system as a tarball (src/image/export-container.ts).

import type { Argv } from 'yargs';
import { closeSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { NsboxError } from '../errors.js';
import type { NsboxCommand } from './command.js';
import { describeState, resolveStateRoot, STATE_OPTION } from '../state/paths.js';
import { describeStore, resolveStoreRoot } from '../image/store.js';
import { findContainer } from '../image/commit-container.js';
import { exportContainer } from '../image/export-container.js';

interface ExportArgs {
  container: string;
  output: string | undefined;
  root: string | undefined;
  state: string | undefined;
}

export const command: NsboxCommand<ExportArgs> = {
  usage: 'export <container>',
  describe: "write a container's merged file system as a tar archive (stdout, or -o FILE)",
  builder: (y: Argv) =>
    y
      .positional('container', { type: 'string', describe: 'container id, unique id prefix, or box name' })
      .option('output', { alias: 'o', type: 'string', describe: 'write to FILE instead of stdout' })
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' })
      .options(STATE_OPTION)
      .example('nsbox export 3f2a9c -o rootfs.tar', 'the container\'s files, as `docker export`') as unknown as Argv<ExportArgs>,
  async handler(args) {
    const store = describeStore(resolveStoreRoot(args.root));
    const found = findContainer(store, String(args.container), describeState(resolveStateRoot(args.state)).names);
    if (args.output === undefined || args.output === '-') {
      if (process.stdout.isTTY) throw new NsboxError('refusing to write a tar archive to a terminal', { hint: 'redirect stdout, or use -o FILE' });
      // The reader closed the pipe early: 128+SIGPIPE, as a shell reports tar's own death by it.
      return (await exportContainer(found, 1)) === 'closed' ? 141 : 0;
    }
    if (args.output === '') throw new NsboxError('invalid --output "": expected a file path');
    // Written beside the target, then renamed: FILE is either the old one or the complete archive.
    const target = resolve(args.output);
    const temp = join(dirname(target), `.${basename(target)}.nsbox-${process.pid}`);
    let fd: number;
    try {
      fd = openSync(temp, 'wx', 0o644);
    } catch (error) {
      throw new NsboxError(`invalid --output ${JSON.stringify(args.output)}: ${(error as Error).message.split('\n')[0]}`);
    }
    try {
      await exportContainer(found, fd);
      closeSync(fd);
      renameSync(temp, target);
    } catch (error) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      rmSync(temp, { force: true });
      throw error;
    }
    return 0;
  },
};
