// What an import reads: an ordered list of layers (each opened as uncompressed tar bytes) plus the config.

import type { Readable } from 'node:stream';
import type { ImageConfig, SourceKind } from './records.js';

export interface LayerSource {
  /** Names the layer in progress lines and errors. */
  readonly label: string;
  /** The diff_id the image config promises, checked after extraction (and used to skip known layers). */
  readonly expectedDigest: string | undefined;
  /** Bytes of the file `open` reads (compressed), when known: the progress line's total. */
  readonly size?: number;
  /** The layer as uncompressed tar bytes; onRead counts the file's bytes as they are read. */
  open(onRead?: (bytes: number) => void): Promise<Readable>;
}

export interface ImageSource {
  readonly kind: SourceKind;
  /** Bottom-most first. */
  readonly layers: readonly LayerSource[];
  readonly config: ImageConfig;
  /** The image config's `history` as found (checked when the record is built). */
  readonly history?: unknown;
}

/** One image of a source that may hold several (a docker save archive, an OCI index). */
export interface SourceImage {
  /** What SOURCE:TAG may name it by: docker save RepoTags, an OCI ref.name annotation. */
  readonly selectors: readonly string[];
  /** Full image names (name:tag) the source gives it, used when no NAME is given. */
  readonly refs: readonly string[];
  /** Names it in errors. */
  readonly label: string;
  /** Reads its manifest and config (and checks its blobs); the layers are opened later. */
  load(): Promise<ImageSource>;
}

/** Keeps only the config fields nsbox honours, with the types the OCI image spec gives them. */
export function pickImageConfig(raw: unknown): ImageConfig {
  const c = (raw ?? {}) as Record<string, unknown>;
  const strings = (v: unknown): readonly string[] | undefined =>
    Array.isArray(v) && v.every((s) => typeof s === 'string') ? [...(v as string[])] : undefined;
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const config: Record<string, unknown> = {
    Env: strings(c.Env),
    Cmd: strings(c.Cmd),
    Entrypoint: strings(c.Entrypoint),
    WorkingDir: text(c.WorkingDir),
    User: text(c.User),
    ExposedPorts: portKeys(c.ExposedPorts),
  };
  for (const key of Object.keys(config)) if (config[key] === undefined) delete config[key];
  return config as ImageConfig;
}

/** ExposedPorts keys that look like "PORT[/PROTO]" (the values are always {} in the spec), or undefined for none. */
function portKeys(v: unknown): Record<string, Record<string, never>> | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const keys = Object.keys(v).filter((k) => /^\d+(-\d+)?(\/[a-z]+)?$/.test(k));
  return keys.length > 0 ? Object.fromEntries(keys.map((k) => [k, {}])) : undefined;
}
