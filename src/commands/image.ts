// `nsbox image import|ls|inspect|rm|tag|history|save`: the thin adapter between yargs and the image store
// (src/image/); the actions themselves are in image-actions.ts.

import type { Argv } from 'yargs';
import { NsboxError } from '../errors.js';
import type { NsboxCommand } from './command.js';
import { PRUNE_OPTIONS } from './prune-flags.js';
import { resolveStoreRoot } from '../image/store.js';
import { runHistory, runImport, runInspect, runList, runRemove, runSave, runTag } from './image-actions.js';

interface ImageArgs {
  action: string;
  operands: (string | number)[];
  root: string | undefined;
  json: boolean;
  format: string | undefined;
  fromHostBusybox: boolean;
  output: string | undefined;
  force: boolean;
  all: boolean;
  filter: string[] | undefined;
}

const ACTIONS = ['import', 'ls', 'inspect', 'rm', 'tag', 'history', 'save', 'prune'] as const;

export const command: NsboxCommand<ImageArgs> = {
  usage: 'image <action> [operands..]',
  describe: 'manage images: import SOURCE[:TAG] [NAME[:TAG]] | ls | inspect NAME | rm NAME... | tag SRC DST | history NAME | save NAME... -o FILE | prune [-a] [-f]',
  builder: (y: Argv) =>
    y
      // Flags may follow the action (`image import --from-host-busybox busybox`): do not halt at "import".
      .parserConfiguration({ 'populate--': true, 'halt-at-non-option': false })
      .positional('action', { type: 'string', describe: `one of: ${ACTIONS.join(', ')}` })
      .positional('operands', { type: 'string', array: true, describe: 'SOURCE and/or NAME[:TAG]' })
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' })
      .option('json', { type: 'boolean', default: false, describe: 'ls: print JSON' })
      .option('format', { type: 'string', describe: 'ls: Go template over {{.Repository}} {{.Tag}} {{.ID}} {{.Size}} ...; "table ..." adds a header' })
      .option('output', { alias: 'o', type: 'string', describe: 'save: the archive to write (default: stdout, if not a terminal)' })
      .options(PRUNE_OPTIONS)
      .option('from-host-busybox', { type: 'boolean', default: false, describe: "import: build the image from the host's static busybox" })
      .example('nsbox image import --from-host-busybox busybox', 'a tiny image, no download')
      .example('nsbox image import rootfs.tar.xz debian:12', 'a rootfs tarball, an OCI layout or a docker save archive')
      .example('nsbox image import saved.tar', 'a docker save archive: every image, under its RepoTags')
      .example('nsbox image import ./layout:v2 app:v2', 'the image tagged v2 in an OCI layout')
      .example('nsbox image save busybox -o busybox.tar', 'an archive docker load, podman load and skopeo read') as unknown as Argv<ImageArgs>,
  async handler(args) {
    const operands = (args.operands ?? []).map(String);
    const root = resolveStoreRoot(args.root);
    switch (args.action) {
      case 'import':
        return runImport(root, operands, args.fromHostBusybox);
      case 'ls':
        expectOperands('ls', operands, 0);
        return runList(root, args.json, args.format);
      case 'inspect':
        expectOperands('inspect NAME', operands, 1);
        return runInspect(root, operands[0]!);
      case 'rm':
        if (operands.length === 0) expectOperands('rm NAME...', operands, 1);
        return runRemove(root, operands);
      case 'tag':
        expectOperands('tag SOURCE[:TAG] TARGET[:TAG]', operands, 2);
        return runTag(root, operands[0]!, operands[1]!);
      case 'history':
        expectOperands('history NAME', operands, 1);
        return runHistory(root, operands[0]!);
      case 'save':
        if (operands.length === 0) expectOperands('save NAME... -o FILE', operands, 1);
        return runSave(root, operands, args.output);
      case 'prune': {
        expectOperands('prune [-a] [-f]', operands, 0);
        const { runPrune } = await import('./prune.js');
        return runPrune('image', { force: args.force, all: args.all, volumes: false, filter: args.filter ?? [], root: args.root, state: undefined });
      }
      default:
        throw new NsboxError(`unknown image action ${JSON.stringify(args.action)}: use ${ACTIONS.join(', ')}`);
    }
  },
};

function expectOperands(usage: string, operands: readonly string[], count: number): void {
  if (operands.length !== count) throw new NsboxError(`usage: nsbox image ${usage} (got ${operands.length} operand(s))`);
}
