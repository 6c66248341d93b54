// Reads an OCI image layout directory (oci-layout, index.json -> manifest -> config + layers).

import { NsboxError } from '../errors.js';
import type { ImageSource } from './image-source.js';
import { pickImageConfig } from './image-source.js';
import { openUncompressed } from './decompress.js';
import { readSourceJson, resolveSourceFile } from './source-files.js';

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

interface Descriptor {
  readonly mediaType?: string;
  readonly digest?: unknown;
  readonly platform?: { readonly os?: string; readonly architecture?: string };
}

/** The image of an OCI layout (the first manifest for linux on this machine's architecture). */
export async function readOciLayout(dir: string): Promise<ImageSource> {
  const index = (await readSourceJson(await resolveSourceFile(dir, 'index.json', 'OCI index'), 'index.json')) as { manifests?: unknown };
  let manifest = await readManifest(dir, pickDescriptor(index.manifests, 'index.json'));
  // One level of nested index (multi-platform images).
  if (manifest.manifests !== undefined) manifest = await readManifest(dir, pickDescriptor(manifest.manifests, 'nested index'));
  const configDescriptor = manifest.config as Descriptor | undefined;
  const layers = manifest.layers as Descriptor[] | undefined;
  if (!configDescriptor || !Array.isArray(layers)) throw new NsboxError('cannot import: the OCI manifest has no config or layers');
  const config = (await readSourceJson(await blobPath(dir, configDescriptor.digest), 'the OCI image config')) as {
    config?: unknown;
    rootfs?: { diff_ids?: unknown };
  };
  const diffIds = Array.isArray(config.rootfs?.diff_ids) ? (config.rootfs!.diff_ids as unknown[]) : [];
  const files: string[] = [];
  for (const layer of layers) files.push(await blobPath(dir, layer.digest));
  return {
    kind: 'oci-layout',
    config: pickImageConfig(config.config),
    layers: files.map((file, i) => ({
      label: `layer ${i + 1}/${files.length}`,
      expectedDigest: diffIds.length === files.length && typeof diffIds[i] === 'string' ? (diffIds[i] as string) : undefined,
      open: () => openUncompressed(file, `OCI layer ${String(layers[i]!.digest)}`),
    })),
  };
}

async function readManifest(dir: string, descriptor: Descriptor): Promise<Record<string, unknown>> {
  return (await readSourceJson(await blobPath(dir, descriptor.digest), 'an OCI manifest')) as Record<string, unknown>;
}

function pickDescriptor(list: unknown, where: string): Descriptor {
  if (!Array.isArray(list) || list.length === 0) throw new NsboxError(`cannot import: ${where} lists no manifest`);
  const descriptors = list as Descriptor[];
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return (
    descriptors.find((d) => d.platform?.os === 'linux' && d.platform.architecture === arch) ??
    descriptors.find((d) => !d.platform || INDEX_TYPES.has(d.mediaType ?? '')) ??
    descriptors[0]!
  );
}

/** blobs/<alg>/<hex> for a digest; only sha256 digests are accepted (they name files, so they are checked). */
async function blobPath(dir: string, digest: unknown): Promise<string> {
  if (typeof digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(digest)) {
    throw new NsboxError(`refusing OCI blob digest ${JSON.stringify(digest)}: expected sha256:<64 hex digits>`);
  }
  return resolveSourceFile(dir, `blobs/sha256/${digest.slice(7)}`, 'OCI blob');
}
