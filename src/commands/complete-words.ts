// `nsbox __complete boxes|images|networks`: the names a completion script offers, one per line. Hidden from
// --help; never fails loudly (a completion must not print errors into the user's command line).

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';

interface CompleteArgs {
  kind: string;
}

export const command: NsboxCommand<CompleteArgs> = {
  usage: '__complete <kind>',
  describe: 'names for shell completion: boxes, images or networks',
  hidden: true,
  builder: (y: Argv) => y.positional('kind', { type: 'string' }) as unknown as Argv<CompleteArgs>,
  async handler(args) {
    try {
      process.stdout.write(
        (await namesOf(args.kind))
          .filter(Boolean)
          .map((n) => `${n}\n`)
          .join(''),
      );
    } catch {
      // no state yet, or unreadable: nothing to offer
    }
    return 0;
  },
};

async function namesOf(kind: string): Promise<string[]> {
  if (kind === 'boxes') {
    const [{ listBoxes }, { describeState, resolveStateRoot }] = await Promise.all([import('../lifecycle/list-boxes.js'), import('../state/paths.js')]);
    return listBoxes(describeState(resolveStateRoot(undefined))).map((b) => b.record.name ?? b.record.id.slice(0, 12));
  }
  if (kind === 'images') {
    const [{ listImageRecords }, { describeStore, resolveStoreRoot }] = await Promise.all([import('../image/records.js'), import('../image/store.js')]);
    return (await listImageRecords(describeStore(resolveStoreRoot(undefined)))).map((r) => `${r.name}:${r.tag}`);
  }
  if (kind === 'networks') {
    const { listNetworks } = await import('../net/manage-networks.js');
    return listNetworks().map((n) => n.network.name);
  }
  return [];
}
