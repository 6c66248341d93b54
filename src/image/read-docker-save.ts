// Reads a `docker save` directory (manifest.json -> config + layer tars, bottom-most first).

import { NsboxError } from '../errors.js';
import type { ImageSource } from './image-source.js';
import { pickImageConfig } from './image-source.js';
import { openUncompressed } from './decompress.js';
import { readSourceJson, resolveSourceFile } from './source-files.js';

interface SaveManifestEntry {
  readonly Config?: unknown;
  readonly Layers?: unknown;
  readonly RepoTags?: unknown;
}

/** The image in an extracted `docker save` archive (the first image when it holds several). */
export async function readDockerSave(dir: string): Promise<ImageSource> {
  const manifest = await readSourceJson(await resolveSourceFile(dir, 'manifest.json', 'manifest'), 'manifest.json');
  const entry = (Array.isArray(manifest) ? manifest[0] : undefined) as SaveManifestEntry | undefined;
  if (!entry || !Array.isArray(entry.Layers)) {
    throw new NsboxError('cannot import: manifest.json of the docker save archive lists no image with Layers');
  }
  const configFile = await resolveSourceFile(dir, entry.Config, 'docker save config');
  const config = (await readSourceJson(configFile, 'the image config')) as { config?: unknown; rootfs?: { diff_ids?: unknown } };
  const diffIds = Array.isArray(config.rootfs?.diff_ids) ? (config.rootfs!.diff_ids as unknown[]) : [];
  const layerFiles: string[] = [];
  for (const layer of entry.Layers as unknown[]) layerFiles.push(await resolveSourceFile(dir, layer, 'docker save layer'));
  return {
    kind: 'docker-save',
    config: pickImageConfig(config.config),
    layers: layerFiles.map((file, i) => ({
      label: `layer ${i + 1}/${layerFiles.length}`,
      expectedDigest: diffIds.length === layerFiles.length && typeof diffIds[i] === 'string' ? (diffIds[i] as string) : undefined,
      open: () => openUncompressed(file, `docker save layer ${String((entry.Layers as unknown[])[i])}`),
    })),
  };
}
