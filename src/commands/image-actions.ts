// The actions of `nsbox image` (and of the `images` / `rmi` aliases): each reads or changes the store, then prints.

import { terminalJson } from '../format/terminal-text.js';
import { stat } from 'node:fs/promises';
import { NsboxError } from '../errors.js';
import { describeStore, openStore, layerFsDir } from '../image/store.js';
import { formatImageRef, parseImageRef, type ImageRef } from '../image/reference.js';
import { listImageRecords, readImageRecord, writeImageRecord, type ImageRecord } from '../image/records.js';
import { findContainersUsingImage } from '../image/in-use.js';
import { importFromPath, importImage } from '../image/import-image.js';
import { removeImage } from '../image/remove-image.js';
import { createProgress } from '../image/progress.js';
import { formatHistoryTable, formatImageTable } from '../image/format-table.js';
import { computeSharing, readLayerSizes } from '../image/layer-sharing.js';
import { buildHistory } from '../image/image-history.js';
import { parseSourceOperand } from '../image/source-operand.js';

/** `image import SOURCE[:TAG] [NAME[:TAG]]` and `image import --from-host-busybox NAME[:TAG]`. */
export async function runImport(root: string, operands: readonly string[], fromBusybox: boolean): Promise<number> {
  if (fromBusybox ? operands.length !== 1 : operands.length < 1 || operands.length > 2) {
    const usage = fromBusybox ? 'import --from-host-busybox NAME[:TAG]' : 'import SOURCE[:TAG] [NAME[:TAG]]';
    throw new NsboxError(`usage: nsbox image ${usage} (got ${operands.length} operand(s))`);
  }
  const name = fromBusybox || operands.length === 2 ? parseImageRef(operands[operands.length - 1], 'image name') : undefined;
  let records: readonly ImageRecord[];
  if (fromBusybox) {
    const store = await openStore(root);
    records = [await importImage({ store, ref: name!, from: { kind: 'host-busybox' }, progress: createProgress(`importing ${formatImageRef(name!)}`) })];
  } else {
    const { path, selector } = parseSourceOperand(operands[0]!);
    if (!(await stat(path).catch(() => undefined))) throw new NsboxError(`cannot import ${operands[0]}: no such file or directory`);
    const store = await openStore(root);
    const progress = createProgress(`importing ${name ? formatImageRef(name) : path}`);
    records = await importFromPath({ store, path, ...(selector !== undefined ? { selector } : {}), ...(name ? { name } : {}), progress });
  }
  for (const record of records) {
    for (const flagged of record.flaggedPaths) {
      process.stderr.write(`nsbox: warning: ${flagged.path} in ${formatImageRef(record)} is a symlink to ${flagged.target}; the runtime will refuse to use it\n`);
    }
    const layers = `${record.layers.length} layer${record.layers.length === 1 ? '' : 's'}`;
    process.stdout.write(`imported ${formatImageRef(record)} ${record.id.slice(7, 19)} (${layers}, ${(record.size / 1e6).toFixed(1)} MB)\n`);
  }
  return 0;
}

/** `image ls` / `images`: the table (with shared and unique sizes) or JSON. */
/** `image ls`: the table, --json, or each image through a --format Go template (Docker's fields). */
export async function runList(root: string, json: boolean, format?: string): Promise<number> {
  const store = describeStore(root);
  const records = await listImageRecords(store);
  const layerSizes = await readLayerSizes(store, records);
  const sizes = computeSharing(records, (d) => layerSizes.get(d) ?? 0);
  if (json) {
    const rows = records.map((r, i) => ({ ...summarize(r), sharedSize: sizes[i]!.shared, uniqueSize: sizes[i]!.unique }));
    process.stdout.write(`${terminalJson(rows, 2)}\n`);
  } else if (format !== undefined) {
    const [{ formatRows }, { toImageRow, IMAGE_HEADERS }] = await Promise.all([import('../format/template.js'), import('../image/image-rows.js')]);
    process.stdout.write(formatRows(format, records.map((r, i) => toImageRow(r, sizes[i])), IMAGE_HEADERS));
  } else process.stdout.write(formatImageTable(records, sizes));
  return 0;
}

export async function runInspect(root: string, name: string): Promise<number> {
  const store = describeStore(root);
  const ref = parseImageRef(name);
  const record = await readImageRecord(store, ref);
  const lowerDirs = [...record.layers].reverse().map((d) => layerFsDir(store, d));
  const usedBy = await findContainersUsingImage(store, ref, record.id);
  process.stdout.write(`${terminalJson({ ...record, lowerDirs, usedBy }, 2)}\n`);
  return 0;
}

/** `image rm NAME...` / `rmi NAME...`: each in turn; the first failure stops (the ones before stay removed). */
export async function runRemove(root: string, names: readonly string[]): Promise<number> {
  const store = describeStore(root);
  const refs = names.map((n) => parseImageRef(n));
  for (const ref of refs) {
    await refuseIfCreatedBoxUses(ref, (await readImageRecord(store, ref)).id);
    const deleted = await removeImage(store, ref);
    process.stdout.write(`removed ${formatImageRef(ref)}\n`);
    for (const digest of deleted) process.stdout.write(`deleted layer ${digest}\n`);
  }
  return 0;
}

/** A created box (no container directory yet, which removeImage reads) would fail at its start without its image. */
async function refuseIfCreatedBoxUses(ref: ImageRef, id: string): Promise<void> {
  const [{ boxesUsingImage }, { describeState, resolveStateRoot }] = await Promise.all([import('../lifecycle/boxes-using.js'), import('../state/paths.js')]);
  const users = boxesUsingImage(describeState(resolveStateRoot(undefined)), formatImageRef(ref), id).filter((r) => r.phase !== 'started');
  if (users.length === 0) return;
  const names = users.map((r) => r.name ?? r.id.slice(0, 12));
  throw new NsboxError(`cannot remove image ${formatImageRef(ref)}: in use by box${names.length > 1 ? 'es' : ''} ${names.join(', ')}`, { hint: `remove ${names.length > 1 ? 'them' : 'it'} first: nsbox rm ${names.join(' ')}` });
}

/** `image tag SOURCE TARGET`: a second name for the same layers and config (TARGET is replaced if it exists). */
export async function runTag(root: string, sourceName: string, targetName: string): Promise<number> {
  const store = await openStore(root);
  const source = await readImageRecord(store, parseImageRef(sourceName));
  const target = parseImageRef(targetName, 'target image name');
  await writeImageRecord(store, { ...source, name: target.name, tag: target.tag });
  process.stdout.write(`tagged ${formatImageRef(source)} as ${formatImageRef(target)}\n`);
  return 0;
}

/** `image history NAME`: how the image was built, one row per step, newest first. */
export async function runHistory(root: string, name: string): Promise<number> {
  const store = describeStore(root);
  const record = await readImageRecord(store, parseImageRef(name));
  const sizes = await readLayerSizes(store, [record]);
  process.stdout.write(formatHistoryTable(buildHistory(record, (d) => sizes.get(d) ?? 0)));
  return 0;
}

/** `image save NAME... -o FILE`: a docker save archive with an OCI index (see src/image/save-archive.ts). */
export async function runSave(root: string, names: readonly string[], output: string | undefined): Promise<number> {
  const { saveImages } = await import('../image/save-archive.js');
  if (output === undefined && process.stdout.isTTY) {
    throw new NsboxError('cannot save: refusing to write an archive to a terminal', { hint: 'give -o FILE, or redirect stdout' });
  }
  const store = describeStore(root);
  const records = [];
  for (const n of names) records.push(await readImageRecord(store, parseImageRef(n)));
  await saveImages(await openStore(root), records, output);
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
