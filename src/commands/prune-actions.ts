// The prune commands, as Docker's: `container prune` (stopped boxes), `image prune [-a]` (unreferenced layers; -a:
// images no box uses), `volume prune [-a]` (anonymous volumes no box uses; -a: all unused), `network prune` (user
// networks no box is on or names), and `system prune` (all of them). Each touches only the store and state dir it
// is given, asks first unless -f, and prints what it removed and the space it gave back.

import { lstat, readdir } from 'node:fs/promises';
import { readSync } from 'node:fs';
import { join } from 'node:path';
import { reportError } from '../report-error.js';
import { describeStore, openStore, layerDir, type Store } from '../image/store.js';
import type { StatePaths } from '../state/paths.js';

export interface Pruned {
  /** What was removed, one line each, in Docker's words for the kind ("<id>", "untagged: a:1", "deleted: sha256:..."). */
  readonly lines: string[];
  reclaimed: number;
  /** The exit code of the first removal that failed (reported on stderr as it happened), else 0. */
  failed: number;
}

const newPruned = (): Pruned => ({ lines: [], reclaimed: 0, failed: 0 });

/** Runs one removal; a failure is reported on stderr and remembered, and the prune goes on (as docker's does). */
async function attempt(pruned: Pruned, remove: () => Promise<void>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    const code = reportError(error);
    if (pruned.failed === 0) pruned.failed = code;
  }
}

/** Every stopped box (exited, created, dead): its id; the space is its upper layer's (docker's SizeRw). */
export async function pruneContainers(state: StatePaths, storeRoot: string): Promise<Pruned> {
  const [{ listBoxes }, { openBox }, { removeBox }] = await Promise.all([
    import('../lifecycle/list-boxes.js'),
    import('../lifecycle/open-box.js'),
    import('../lifecycle/remove-box.js'),
  ]);
  const pruned = newPruned();
  const store = describeStore(storeRoot);
  for (const box of listBoxes(state)) {
    if (!['exited', 'created', 'dead'].includes(box.now.status)) continue;
    const id = box.record.id;
    await attempt(pruned, async () => {
      const size = await treeSize(join(store.containers, id, 'upper'));
      // removeBox re-reads the record under the box's lock: a box started meanwhile is refused, not killed.
      for (const w of await removeBox(openBox(state, id), false)) process.stderr.write(`nsbox: warning: ${w}\n`);
      pruned.lines.push(id);
      pruned.reclaimed += size;
    });
  }
  return pruned;
}

/**
 * Without `all`: the layers no image refers to (nsbox has no untagged images, Docker's "dangling" ones; what is
 * left behind is layers, e.g. of an import killed before its record). With `all`: every image no box uses (a stopped
 * box too, and a created one, which has no container directory yet: its record in the state dir names the image).
 */
export async function pruneImages(storeRoot: string, all: boolean, state: StatePaths): Promise<Pruned> {
  const [{ listImageRecords }, { isImageInUse }, { removeImage }, { removeUnreferencedLayers }, { removeStaleWork }, { formatImageRef }, { readLayerSizes }] = await Promise.all([
    import('../image/records.js'),
    import('../image/in-use.js'),
    import('../image/remove-image.js'),
    import('../image/layer-store.js'),
    import('../image/staging.js'),
    import('../image/reference.js'),
    import('../image/layer-sharing.js'),
  ]);
  const pruned = newPruned();
  const store = await openStore(storeRoot);
  const records = await listImageRecords(store);
  const sizes = new Map(await readLayerSizes(store, records));
  for (const hex of await unreferencedLayers(store, records)) sizes.set(`sha256:${hex}`, await treeSize(layerDir(store, hex)));
  const deleted = (digests: readonly string[]) => {
    for (const d of digests) {
      pruned.lines.push(`deleted: ${d}`);
      pruned.reclaimed += sizes.get(d) ?? 0;
    }
  };
  if (all) {
    const { listBoxes } = await import('../lifecycle/list-boxes.js');
    const named = new Set(listBoxes(state).map((b) => b.record.image));
    for (const record of records) {
      if (named.has(formatImageRef(record)) || named.has(record.id) || (await isImageInUse(store, record, record.id))) continue;
      await attempt(pruned, async () => {
        const layers = await removeImage(store, record);
        pruned.lines.push(`untagged: ${formatImageRef(record)}`);
        deleted(layers);
      });
    }
  }
  // An import running now has committed layers whose record it has not written yet: they are not residue.
  await attempt(pruned, async () => {
    if (!(await removeStaleWork(store)).othersLive) deleted(await removeUnreferencedLayers(store));
  });
  return pruned;
}

async function unreferencedLayers(store: Store, records: readonly { readonly layers: readonly string[] }[]): Promise<string[]> {
  const referenced = new Set(records.flatMap((r) => r.layers.map((d) => d.replace(/^sha256:/, ''))));
  return (await readdir(store.layers).catch(() => [] as string[])).filter((hex) => !referenced.has(hex));
}

/**
 * Volumes no box mounts: the anonymous ones (a 64-hex name, as `volume create` without NAME makes), or all. A created
 * box has no container directory yet (UsedBy misses it): its record's -v names the volume.
 */
export async function pruneVolumes(storeRoot: string, all: boolean, state: StatePaths): Promise<Pruned> {
  const [{ listVolumes, removeVolume }, { listBoxes }] = await Promise.all([import('../image/volumes.js'), import('../lifecycle/list-boxes.js')]);
  const pruned = newPruned();
  const named = new Set(listBoxes(state).flatMap((b) => (b.record.config?.volumes ?? []).flatMap((v) => (v.kind === 'bind' && !v.source.startsWith('/') ? [v.source] : []))));
  for (const volume of await listVolumes(storeRoot)) {
    if (volume.UsedBy.length > 0 || named.has(volume.Name) || (!all && !/^[a-f0-9]{64}$/.test(volume.Name))) continue;
    await attempt(pruned, async () => {
      const size = await treeSize(volume.Mountpoint);
      await removeVolume(storeRoot, volume.Name);
      pruned.lines.push(volume.Name);
      pruned.reclaimed += size;
    });
  }
  return pruned;
}

/** User networks no box is on now (a live lease) or would join at its next start (its record names the network). */
export async function pruneNetworks(state: StatePaths): Promise<Pruned> {
  const [{ listNetworks, removeNetwork }, { listBoxes }, { netEnvFor }] = await Promise.all([
    import('../net/manage-networks.js'),
    import('../lifecycle/list-boxes.js'),
    import('../net/box-network.js'),
  ]);
  const pruned = newPruned();
  const env = netEnvFor(state.root);
  const named = new Set(listBoxes(state).flatMap((b) => [b.record.network?.request?.network, b.record.network?.attachment?.network]));
  for (const { network, leases } of listNetworks(env)) {
    if (leases.length > 0 || named.has(network.name)) continue;
    await attempt(pruned, async () => {
      removeNetwork(network.name, env);
      pruned.lines.push(network.name);
    });
  }
  return pruned;
}

/** Bytes of the files under path (as docker counts a layer's size: file sizes, not blocks); 0 when it is missing. */
export async function treeSize(path: string): Promise<number> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.isFile() || info.isSymbolicLink() ? info.size : 0;
  let total = 0;
  for (const name of await readdir(path).catch(() => [] as string[])) total += await treeSize(join(path, name));
  return total;
}

/** Docker's size spelling (go-units HumanSize): 4 significant digits, decimal units: "0B", "212B", "1.234kB", "12.35MB". */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${Number(value.toPrecision(4))}${units[i]}`;
}

/** One prune's report: "Deleted Containers:" and its lines (when any), then the total, as docker prints it. */
export function formatPruned(sections: readonly (readonly [string, Pruned])[], total = true): string {
  let out = '';
  for (const [title, pruned] of sections) if (pruned.lines.length > 0) out += `${title}:\n${pruned.lines.join('\n')}\n\n`;
  // network prune alone has no total (networks take no space), as in docker
  return total ? `${out}Total reclaimed space: ${humanSize(sections.reduce((n, [, p]) => n + p.reclaimed, 0))}\n` : out.replace(/\n$/, '');
}

/**
 * Docker's question before a prune: the warning and "Are you sure you want to continue? [y/N] " on stdout, one line
 * read from stdin (a terminal or not, as docker reads it: `yes | nsbox system prune` works); y or yes goes on.
 */
export function confirmPrune(warning: string): boolean {
  process.stdout.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  const answer = readLine(0);
  // a terminal echoed the answer and its newline; from a pipe, the report would start on the prompt's line
  if (!process.stdin.isTTY) process.stdout.write('\n');
  return /^y(es)?$/i.test(answer.trim());
}

/** One line from fd, a byte at a time (nothing past the newline is consumed); '' at end of input. */
function readLine(fd: number): string {
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, one, 0, 1, null);
    } catch (error) {
      // a non-blocking stdin with nothing yet: wait a little, not spin
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        continue;
      }
      if ((error as NodeJS.ErrnoException).code === 'EOF') return Buffer.from(bytes).toString('utf8');
      throw error;
    }
    if (n === 0 || one[0] === 0x0a) return Buffer.from(bytes).toString('utf8');
    bytes.push(one[0]!);
  }
}
