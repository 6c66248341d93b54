// Reads an OCI image layout directory: index.json lists images (named by their ref.name annotation), each a
// manifest -> config + layers. Every blob is checked against its descriptor's digest and size (oci-blobs.ts).

import { NsboxError } from '../errors.js';
import type { ImageSource, SourceImage } from './image-source.js';
import { pickImageConfig } from './image-source.js';
import { openUncompressed } from './decompress.js';
import { readSourceJson, resolveSourceFile } from './source-files.js';
import { readVerifiedJson, verifiedBlobPath, type Descriptor } from './oci-blobs.js';
import { stat } from 'node:fs/promises';

export const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

/** The images index.json lists: entries sharing a ref name (platform variants) are one image. */
export async function listOciImages(dir: string): Promise<readonly SourceImage[]> {
  const index = (await readSourceJson(await resolveSourceFile(dir, 'index.json', 'OCI index'), 'index.json')) as { manifests?: unknown };
  if (!Array.isArray(index.manifests) || index.manifests.length === 0) throw new NsboxError('cannot import: index.json lists no manifest');
  const groups = new Map<string, Descriptor[]>();
  for (const d of index.manifests as Descriptor[]) {
    const key = annotation(d, REF_NAME) ?? annotation(d, CONTAINERD_NAME) ?? '';
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  return [...groups.entries()].map(([key, descriptors]) => {
    const containerd = descriptors.map((d) => annotation(d, CONTAINERD_NAME)).find((n) => n !== undefined);
    const refName = annotation(descriptors[0]!, REF_NAME);
    // A ref.name is often only a tag ("latest", as skopeo and umoci write it); it names an image only with a ":".
    const refs = containerd ? [containerd] : refName?.includes(':') ? [refName] : [];
    return {
      selectors: key === '' ? [] : [...new Set([key, ...(containerd ? [containerd] : [])])],
      refs,
      label: key === '' ? 'the unnamed manifest' : key,
      load: () => readOciImage(dir, descriptors, key),
    };
  });
}

/** The image of an index entry (one level of nested index: a multi-platform image), checked blob by blob. */
async function readOciImage(dir: string, entries: readonly Descriptor[], name: string): Promise<ImageSource> {
  let manifest = await readVerifiedJson(dir, pickDescriptor(entries, name === '' ? 'index.json' : `index.json (${name})`), 'the OCI manifest');
  if (manifest.manifests !== undefined) {
    if (!Array.isArray(manifest.manifests) || manifest.manifests.length === 0) throw new NsboxError('cannot import: the nested OCI index lists no manifest');
    manifest = await readVerifiedJson(dir, pickDescriptor(manifest.manifests as Descriptor[], 'the nested index'), 'the OCI manifest');
  }
  const configDescriptor = manifest.config as Descriptor | undefined;
  const layers = manifest.layers as Descriptor[] | undefined;
  if (!configDescriptor || !Array.isArray(layers)) throw new NsboxError('cannot import: the OCI manifest has no config or layers');
  const config = (await readVerifiedJson(dir, configDescriptor, 'the OCI image config')) as { config?: unknown; rootfs?: { diff_ids?: unknown }; history?: unknown };
  const diffIds = Array.isArray(config.rootfs?.diff_ids) ? (config.rootfs!.diff_ids as unknown[]) : [];
  const files: string[] = [];
  for (const [i, layer] of layers.entries()) files.push(await verifiedBlobPath(dir, layer, `OCI layer ${i + 1}/${layers.length}`));
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  return {
    kind: 'oci-layout',
    config: pickImageConfig(config.config),
    history: config.history,
    layers: files.map((file, i) => ({
      label: `layer ${i + 1}/${files.length}`,
      expectedDigest: diffIds.length === files.length && typeof diffIds[i] === 'string' ? (diffIds[i] as string) : undefined,
      size: sizes[i]!,
      open: (onRead) => openUncompressed(file, `OCI layer ${String(layers[i]!.digest)}`, onRead),
    })),
  };
}

function annotation(d: Descriptor, key: string): string | undefined {
  const value = d.annotations?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * One of several descriptors for the same image: the one for linux on this machine's architecture. Several that
 * platform cannot tell apart are refused: importing the first would be a guess.
 */
function pickDescriptor(list: readonly Descriptor[], where: string): Descriptor {
  if (list.length === 1) return list[0]!;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const matching = list.filter((d) => d.platform?.os === 'linux' && d.platform.architecture === arch);
  if (matching.length === 1) return matching[0]!;
  if (list.every((d) => d.platform) && matching.length === 0) {
    const platforms = list.map((d) => `${d.platform!.os}/${d.platform!.architecture}`).join(', ');
    throw new NsboxError(`cannot import: ${where} has no manifest for linux/${arch} (it has ${platforms})`);
  }
  throw new NsboxError(`cannot import: ${where} lists ${list.length} manifests that neither a ref name nor a platform tells apart`, {
    hint: 'nsbox will not guess: import a layout with one manifest, or tag them (org.opencontainers.image.ref.name) and import DIR:TAG',
  });
}
