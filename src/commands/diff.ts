// `nsbox diff CONTAINER`: the files a container added (A), changed (C) or deleted (D), as `docker diff` prints them,
// read from its upper layer on the host (src/image/diff-container.ts). Running or stopped.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { describeState, resolveStateRoot, STATE_OPTION } from '../state/paths.js';
import { describeStore, resolveStoreRoot } from '../image/store.js';
import { findContainer } from '../image/commit-container.js';
import { walkUpperDir } from '../image/commit-walk.js';
import { classifyChanges, layerDirs } from '../image/diff-container.js';
import { terminalField, terminalJson } from '../format/terminal-text.js';

interface DiffArgs {
  container: string;
  json: boolean;
  root: string | undefined;
  state: string | undefined;
}

export const command: NsboxCommand<DiffArgs> = {
  usage: 'diff <container>',
  describe: 'list the files a container added (A), changed (C) or deleted (D) in its own layer, as docker diff',
  builder: (y: Argv) =>
    y
      .positional('container', { type: 'string', describe: 'container id, unique id prefix, or box name' })
      .option('json', { type: 'boolean', default: false, describe: 'print [{"Kind":0|1|2,"Path":...}] as Docker\'s API does (0 changed, 1 added, 2 deleted)' })
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' })
      .options(STATE_OPTION)
      .example('nsbox diff web', 'C /etc, A /etc/new.conf, D /tmp/old') as unknown as Argv<DiffArgs>,
  async handler(args) {
    const store = describeStore(resolveStoreRoot(args.root));
    const found = findContainer(store, String(args.container), describeState(resolveStateRoot(args.state)).names);
    const changes = classifyChanges(await walkUpperDir(found.dir.upper), layerDirs(found.record.lowerDirs));
    if (args.json) {
      const kinds = { C: 0, A: 1, D: 2 } as const;
      process.stdout.write(`${terminalJson(changes.map((c) => ({ Kind: kinds[c.kind], Path: c.path })))}\n`);
    } else if (changes.length > 0) {
      // The box named these files: no control character reaches the terminal (--json keeps them, escaped).
      process.stdout.write(changes.map((c) => `${c.kind} ${terminalField(c.path)}\n`).join(''));
    }
    return 0;
  },
};
