// Reads a `docker save` directory: manifest.json lists images (each with RepoTags, a config and layer tars,
// bottom-most first). Layer files named blobs/sha256/<hex> (Docker 25+) are checked against their names.

import { stat } from 'node:fs/promises';
import { NsboxError } from '../errors.js';
import type { ImageSource, SourceImage } from './image-source.js';
import { pickImageConfig } from './image-source.js';
import { openUncompressed } from './decompress.js';
import { readSourceJson, resolveSourceFile } from './source-files.js';
import { verifyNamedBlob } from './oci-blobs.js';

interface SaveManifestEntry {
  readonly Config?: unknown;
  readonly Layers?: unknown;
  readonly RepoTags?: unknown;
}

/** The images of an extracted `docker save` archive, in manifest.json's order. */
export async function listDockerSaveImages(dir: string): Promise<readonly SourceImage[]> {
  const manifest = await readSourceJson(await resolveSourceFile(dir, 'manifest.json', 'manifest'), 'manifest.json');
  const entries = (Array.isArray(manifest) ? manifest : []) as SaveManifestEntry[];
  if (entries.length === 0 || entries.some((e) => !e || !Array.isArray(e.Layers))) {
    throw new NsboxError('cannot import: manifest.json of the docker save archive lists no image with Layers');
  }
  return entries.map((entry, i) => {
    const tags = Array.isArray(entry.RepoTags) ? entry.RepoTags.filter((t): t is string => typeof t === 'string' && t !== '') : [];
    // ARCHIVE:TAG may give a whole RepoTag (busybox:latest) or its tag alone (latest), as an OCI ref.name would.
    const selectors = [...new Set([...tags, ...tags.map((t) => t.slice(t.lastIndexOf(':') + 1))])];
    return { selectors, refs: tags, label: tags[0] ?? `image ${i + 1} of manifest.json`, load: () => readDockerSaveImage(dir, entry) };
  });
}

async function readDockerSaveImage(dir: string, entry: SaveManifestEntry): Promise<ImageSource> {
  const configFile = await resolveSourceFile(dir, entry.Config, 'docker save config');
  await verifyNamedBlob(configFile, String(entry.Config), 'the image config');
  const config = (await readSourceJson(configFile, 'the image config')) as { config?: unknown; rootfs?: { diff_ids?: unknown }; history?: unknown };
  const diffIds = Array.isArray(config.rootfs?.diff_ids) ? (config.rootfs!.diff_ids as unknown[]) : [];
  const names = entry.Layers as unknown[];
  const layerFiles: string[] = [];
  for (const [i, layer] of names.entries()) {
    const file = await resolveSourceFile(dir, layer, 'docker save layer');
    await verifyNamedBlob(file, String(layer), `layer ${i + 1}/${names.length}`);
    layerFiles.push(file);
  }
  const sizes = await Promise.all(layerFiles.map(async (f) => (await stat(f)).size));
  return {
    kind: 'docker-save',
    config: pickImageConfig(config.config),
    history: config.history,
    layers: layerFiles.map((file, i) => ({
      label: `layer ${i + 1}/${layerFiles.length}`,
      expectedDigest: diffIds.length === layerFiles.length && typeof diffIds[i] === 'string' ? (diffIds[i] as string) : undefined,
      size: sizes[i]!,
      open: (onRead) => openUncompressed(file, `docker save layer ${String(names[i])}`, onRead),
    })),
  };
}
