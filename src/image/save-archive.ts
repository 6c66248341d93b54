// `nsbox image save`: images as one archive that both `docker load`/`podman load` (manifest.json + repositories)
// and OCI tools (`skopeo inspect oci-archive:`; oci-layout + index.json) read, the layout Docker 25+ writes.
//
// Layers are stored extracted, so each is packed again from its directory: overlay whiteouts become .wh. files
// (the same conversion as commit), xattrs become SCHILY.xattr records. The packed tar is a new blob with its own
// digest (tar bytes are not kept at import), so the saved config's diff_ids are those of the packed tars.

import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Writable } from 'node:stream';
import * as tarStream from 'tar-stream';
import { NsboxError } from '../errors.js';
import { convertUpperEntries } from './commit-entries.js';
import { walkUpperDir } from './commit-walk.js';
import { packLayer } from './commit-pack.js';
import { formatImageRef } from './reference.js';
import { normalizeRepoName } from './choose-images.js';
import { layerFsDir, type Store } from './store.js';
import { createWorkDir, newTempName } from './staging.js';
import type { HistoryEntry, ImageRecord } from './records.js';
import { buildHistory } from './image-history.js';

interface Blob {
  readonly digest: string;
  readonly size: number;
  /** A file in the work dir, or the bytes themselves (JSON blobs). */
  readonly file?: string;
  readonly bytes?: Buffer;
}

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json';
const CONFIG_TYPE = 'application/vnd.oci.image.config.v1+json';
const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar';

/** Writes the archive of records to output (a file, written to a temp name and renamed) or to stdout. */
export async function saveImages(store: Store, records: readonly ImageRecord[], output: string | undefined): Promise<void> {
  const work = await createWorkDir(store, 'save');
  const target = output === undefined ? undefined : resolve(output);
  const temp = target === undefined ? undefined : join(dirname(target), `.${basename(target)}.${newTempName('save')}`);
  let handle: FileHandle | undefined;
  try {
    // Open the output first: a missing or unwritable directory is one line, before any layer is packed.
    if (temp !== undefined) handle = await openOutput(temp, target!, output!);
    const blobs = new Map<string, Blob>();
    const packed = new Map<string, Blob>();
    const manifestJson: unknown[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    const index: unknown[] = [];
    // One entry per image id: two names of the same image are two RepoTags of one entry.
    const byId = new Map<string, ImageRecord[]>();
    for (const r of records) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
    for (const group of byId.values()) {
      const record = group[0]!;
      const layers: Blob[] = [];
      for (const digest of record.layers) {
        let blob = packed.get(digest);
        if (!blob) {
          blob = await packStoredLayer(store, digest, work);
          packed.set(digest, blob);
          blobs.set(blob.digest, blob);
        }
        layers.push(blob);
      }
      const config = jsonBlob(buildConfig(record, layers.map((l) => l.digest)));
      blobs.set(config.digest, config);
      const manifest = jsonBlob({
        schemaVersion: 2,
        mediaType: MANIFEST_TYPE,
        config: { mediaType: CONFIG_TYPE, digest: config.digest, size: config.size },
        layers: layers.map((l) => ({ mediaType: LAYER_TYPE, digest: l.digest, size: l.size })),
      });
      blobs.set(manifest.digest, manifest);
      const tags = [...new Set(group.map((r) => formatImageRef(r)))];
      manifestJson.push({ Config: blobName(config), RepoTags: tags, Layers: layers.map(blobName) });
      for (const r of group) {
        (repositories[r.name] ??= {})[r.tag] = layers.length > 0 ? layers[layers.length - 1]!.digest.slice(7) : '';
        index.push({
          mediaType: MANIFEST_TYPE,
          digest: manifest.digest,
          size: manifest.size,
          annotations: { 'io.containerd.image.name': fullName(formatImageRef(r)), 'org.opencontainers.image.ref.name': r.tag },
        });
      }
    }
    const out: Writable = handle === undefined ? process.stdout : handle.createWriteStream();
    handle = undefined; // the stream closes it
    await writeArchive(out, blobs, {
      'index.json': Buffer.from(`${JSON.stringify({ schemaVersion: 2, mediaType: INDEX_TYPE, manifests: index })}\n`),
      'manifest.json': Buffer.from(`${JSON.stringify(manifestJson)}\n`),
      'oci-layout': Buffer.from(`${JSON.stringify({ imageLayoutVersion: '1.0.0' })}\n`),
      repositories: Buffer.from(`${JSON.stringify(repositories)}\n`),
    });
    if (temp !== undefined && target !== undefined) await rename(temp, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    if (temp !== undefined) await rm(temp, { force: true });
    throw error;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The temp file beside target, opened for writing; an output that cannot be written is an NsboxError. */
async function openOutput(temp: string, target: string, output: string): Promise<FileHandle> {
  if ((await stat(target).catch(() => undefined))?.isDirectory()) throw new NsboxError(`cannot save to ${output}: it is a directory`);
  try {
    return await open(temp, 'wx', 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new NsboxError(`cannot save to ${output}: ${code === 'ENOENT' ? `no such directory ${dirname(target)}` : code === 'EACCES' || code === 'EROFS' ? `${dirname(target)} is not writable` : (error as Error).message}`);
  }
}

/** Packs a stored layer dir back into an OCI layer tar in the work dir; returns its digest and size. */
async function packStoredLayer(store: Store, digest: string, work: string): Promise<Blob> {
  const dir = layerFsDir(store, digest);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) throw new NsboxError(`cannot save: layer ${digest} is missing from the store`);
  const { members } = convertUpperEntries(await walkUpperDir(dir));
  const file = join(work, `layer-${digest.slice(7, 19)}.tar`);
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(packLayer(dir, members), tap, createWriteStream(file, { mode: 0o600 }));
  return { digest: `sha256:${hash.digest('hex')}`, size, file };
}

/** The OCI image config of a record; history is kept only when it accounts for every layer (else one step each). */
function buildConfig(record: ImageRecord, diffIds: readonly string[]): Record<string, unknown> {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const given = record.history ?? [];
  const history: readonly HistoryEntry[] =
    given.filter((h) => !h.empty_layer).length === diffIds.length
      ? given
      : [...buildHistory(record, () => 0)].reverse().filter((row) => row.layer !== undefined).map((row) => ({ created: row.created ?? record.created, created_by: row.createdBy }));
  return {
    created: record.created,
    architecture: arch,
    os: 'linux',
    config: record.config,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history,
  };
}

function jsonBlob(value: unknown): Blob {
  const bytes = Buffer.from(JSON.stringify(value));
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length, bytes };
}

function blobName(blob: Blob): string {
  return `blobs/sha256/${blob.digest.slice(7)}`;
}

/** "busybox:latest" -> "docker.io/library/busybox:latest", the name containerd and Docker 25 annotate. */
function fullName(ref: string): string {
  const name = normalizeRepoName(ref);
  const first = name.split('/')[0]!;
  if (name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return name;
  return name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
}

/** The outer tar: blobs/sha256/<hex> for every blob, then the top-level files. */
async function writeArchive(out: Writable, blobs: ReadonlyMap<string, Blob>, files: Readonly<Record<string, Buffer>>): Promise<void> {
  const pack = tarStream.pack();
  const written = pipeline(pack as unknown as NodeJS.ReadableStream, out);
  const mtime = new Date(0);
  const add = (header: Partial<tarStream.Header> & { name: string }, body?: Buffer): Promise<void> =>
    new Promise((resolvePromise, reject) => pack.entry({ mtime, uid: 0, gid: 0, ...header }, body ?? Buffer.alloc(0), (e) => (e ? reject(e) : resolvePromise())));
  try {
    await add({ name: 'blobs/', type: 'directory', mode: 0o755 });
    await add({ name: 'blobs/sha256/', type: 'directory', mode: 0o755 });
    for (const blob of blobs.values()) {
      const name = blobName(blob);
      if (blob.bytes) {
        await add({ name, mode: 0o644 }, blob.bytes);
        continue;
      }
      await new Promise<void>((resolvePromise, reject) => {
        const sink = pack.entry({ name, mode: 0o644, size: blob.size, mtime, uid: 0, gid: 0 }, (e) => (e ? reject(e) : resolvePromise()));
        const input = createReadStream(blob.file!);
        input.on('error', (e) => (sink.destroy(e), reject(e)));
        input.pipe(sink as unknown as NodeJS.WritableStream);
      });
    }
    for (const [name, body] of Object.entries(files)) await add({ name, mode: 0o644 }, body);
    pack.finalize();
  } catch (error) {
    pack.destroy(error instanceof Error ? error : new Error(String(error)));
  }
  await written;
}
