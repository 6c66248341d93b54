// `nsbox image import|ls|inspect|rm`: the thin adapter between yargs and the image store (src/image/).

import type { Argv } from 'yargs';
import { stat } from 'node:fs/promises';
import { NsboxError } from '../errors.js';
import type { NsboxCommand } from './command.js';
import { describeStore, openStore, resolveStoreRoot, layerFsDir } from '../image/store.js';
import { formatImageRef, parseImageRef } from '../image/reference.js';
import { listImageRecords, readImageRecord, type ImageRecord } from '../image/records.js';
import { findContainersUsingImage } from '../image/in-use.js';
import { importImage } from '../image/import-image.js';
import { removeImage } from '../image/remove-image.js';
import { createProgress } from '../image/progress.js';
import { formatImageTable } from '../image/format-table.js';

interface ImageArgs {
  action: string;
  operands: (string | number)[];
  root: string | undefined;
  json: boolean;
  fromHostBusybox: boolean;
}

const ACTIONS = ['import', 'ls', 'inspect', 'rm'] as const;

export const command: NsboxCommand<ImageArgs> = {
  usage: 'image <action> [operands..]',
  describe: 'manage images: import SOURCE NAME[:TAG] | import --from-host-busybox NAME | ls | inspect NAME | rm NAME',
  builder: (y: Argv) =>
    y
      // Flags may follow the action (`image import --from-host-busybox busybox`): do not halt at "import".
      .parserConfiguration({ 'populate--': true, 'halt-at-non-option': false })
      .positional('action', { type: 'string', describe: `one of: ${ACTIONS.join(', ')}` })
      .positional('operands', { type: 'string', array: true, describe: 'SOURCE and/or NAME[:TAG]' })
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' })
      .option('json', { type: 'boolean', default: false, describe: 'ls: print JSON' })
      .option('from-host-busybox', { type: 'boolean', default: false, describe: "import: build the image from the host's static busybox" })
      .example('nsbox image import --from-host-busybox busybox', 'a tiny image, no download')
      .example('nsbox image import rootfs.tar.xz debian:12', 'a rootfs tarball, an OCI layout or a docker save archive') as unknown as Argv<ImageArgs>,
  async handler(args) {
    const operands = (args.operands ?? []).map(String);
    const root = resolveStoreRoot(args.root);
    switch (args.action) {
      case 'import':
        return runImport(root, operands, args.fromHostBusybox);
      case 'ls':
        expectOperands('ls', operands, 0);
        return runList(root, args.json);
      case 'inspect':
        expectOperands('inspect NAME', operands, 1);
        return runInspect(root, operands[0]!);
      case 'rm':
        expectOperands('rm NAME', operands, 1);
        return runRemove(root, operands[0]!);
      default:
        throw new NsboxError(`unknown image action ${JSON.stringify(args.action)}: use import, ls, inspect or rm`);
    }
  },
};

function expectOperands(usage: string, operands: readonly string[], count: number): void {
  if (operands.length !== count) throw new NsboxError(`usage: nsbox image ${usage} (got ${operands.length} operand(s))`);
}

async function runImport(root: string, operands: readonly string[], fromBusybox: boolean): Promise<number> {
  if (fromBusybox) expectOperands('import --from-host-busybox NAME[:TAG]', operands, 1);
  else expectOperands('import SOURCE NAME[:TAG]', operands, 2);
  const ref = parseImageRef(operands[operands.length - 1], 'image name');
  const source = fromBusybox ? undefined : operands[0]!;
  if (source !== undefined && !(await stat(source).catch(() => undefined))) {
    throw new NsboxError(`cannot import ${source}: no such file or directory`);
  }
  const store = await openStore(root);
  const record = await importImage({
    store,
    ref,
    from: source === undefined ? { kind: 'host-busybox' } : { kind: 'path', path: source },
    progress: createProgress(`importing ${formatImageRef(ref)}`),
  });
  for (const flagged of record.flaggedPaths) {
    process.stderr.write(`nsbox: warning: ${flagged.path} in the image is a symlink to ${flagged.target}; the runtime will refuse to use it\n`);
  }
  const layers = `${record.layers.length} layer${record.layers.length === 1 ? '' : 's'}`;
  process.stdout.write(`imported ${formatImageRef(ref)} ${record.id.slice(7, 19)} (${layers}, ${(record.size / 1e6).toFixed(1)} MB)\n`);
  return 0;
}

async function runList(root: string, json: boolean): Promise<number> {
  const records = await listImageRecords(describeStore(root));
  process.stdout.write(json ? `${JSON.stringify(records.map(summarize), null, 2)}\n` : formatImageTable(records));
  return 0;
}

async function runInspect(root: string, name: string): Promise<number> {
  const store = describeStore(root);
  const ref = parseImageRef(name);
  const record = await readImageRecord(store, ref);
  const lowerDirs = [...record.layers].reverse().map((d) => layerFsDir(store, d));
  const usedBy = await findContainersUsingImage(store, ref, record.id);
  process.stdout.write(`${JSON.stringify({ ...record, lowerDirs, usedBy }, null, 2)}\n`);
  return 0;
}

async function runRemove(root: string, name: string): Promise<number> {
  const store = describeStore(root);
  const ref = parseImageRef(name);
  const deleted = await removeImage(store, ref);
  process.stdout.write(`removed ${formatImageRef(ref)}\n`);
  for (const digest of deleted) process.stdout.write(`deleted layer ${digest}\n`);
  return 0;
}

function summarize(record: ImageRecord): Record<string, unknown> {
  return {
    name: record.name,
    tag: record.tag,
    id: record.id,
    created: record.created,
    layers: record.layers.length,
    size: record.size,
    source: record.source.kind,
  };
}
