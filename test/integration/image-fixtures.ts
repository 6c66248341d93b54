// Builds image fixtures at test time (never committed binaries): tars, docker save archives, OCI layouts,
// and hashes file trees for victim checks.

import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tarStream from 'tar-stream';

export interface FixtureEntry {
  readonly name: string;
  readonly type?: tarStream.Header['type'];
  readonly content?: string | Buffer;
  readonly linkname?: string;
  readonly mode?: number;
  readonly devmajor?: number;
  readonly devminor?: number;
  readonly pax?: Record<string, string>;
}

/** A tar archive of entries, in order (tar-stream adds the end-of-archive blocks). */
export async function packTar(entries: readonly FixtureEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644),
      mtime: new Date(1_700_000_000_000),
      uid: 0,
      gid: 0,
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      ...(e.devmajor !== undefined ? { devmajor: e.devmajor, devminor: e.devminor ?? 0 } : {}),
      ...(e.pax ? { pax: e.pax } : {}),
    };
    if (type === 'file') pack.entry(header as unknown as tarStream.Header, e.content ?? '');
    else pack.entry(header as unknown as tarStream.Header);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** sha256:<hex> of bytes. */
export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export interface ImageFixture {
  readonly layers: readonly (readonly FixtureEntry[])[];
  readonly config?: Record<string, unknown>;
  /** gzip the layer blobs (OCI) */
  readonly gzip?: boolean;
}

/** A `docker save` archive (legacy layout: <id>/layer.tar, <config>.json, manifest.json) written to path. */
export async function writeDockerSave(path: string, image: ImageFixture, layerPaths?: readonly string[]): Promise<readonly string[]> {
  const tars = await Promise.all(image.layers.map((l) => packTar(l)));
  const diffIds = tars.map((t) => sha256(t));
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: image.config ?? {}, rootfs: { type: 'layers', diff_ids: diffIds } });
  const configName = `${sha256(config).slice(7)}.json`;
  const names = layerPaths ?? tars.map((_, i) => `${String(i).padStart(64, 'a')}/layer.tar`);
  const outer: FixtureEntry[] = [];
  tars.forEach((tar, i) => {
    const dir = names[i]!.split('/').slice(0, -1).join('/');
    if (dir && !names[i]!.startsWith('/') && !names[i]!.includes('..')) outer.push({ name: `${dir}/`, type: 'directory' });
    if (!names[i]!.startsWith('/') && !names[i]!.includes('..')) outer.push({ name: names[i]!, content: tar });
  });
  outer.push({ name: configName, content: config });
  outer.push({ name: 'manifest.json', content: JSON.stringify([{ Config: configName, RepoTags: ['fixture:latest'], Layers: names }]) });
  await writeFile(path, await packTar(outer));
  return diffIds;
}

/** An OCI image layout directory; returns the diff_ids. */
export async function writeOciLayout(dir: string, image: ImageFixture): Promise<readonly string[]> {
  return (await writeOciIndex(dir, [{ image }]))[0]!.diffIds;
}

export interface OciIndexEntry {
  readonly image: ImageFixture;
  /** org.opencontainers.image.ref.name */
  readonly refName?: string;
}

/** An OCI layout whose index.json lists several images; returns each one's diff_ids and blob paths. */
export async function writeOciIndex(dir: string, images: readonly OciIndexEntry[]): Promise<readonly { diffIds: readonly string[]; layerBlobs: readonly string[]; configBlob: string; manifestBlob: string }[]> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const putBlob = async (bytes: Buffer | string): Promise<{ digest: string; size: number }> => {
    const digest = sha256(bytes);
    await writeFile(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
    return { digest, size: Buffer.byteLength(bytes) };
  };
  const blobFile = (digest: string): string => join(dir, 'blobs', 'sha256', digest.slice(7));
  const manifests = [];
  const out = [];
  for (const { image, refName } of images) {
    const tars = await Promise.all(image.layers.map((l) => packTar(l)));
    const diffIds = tars.map((t) => sha256(t));
    const layerDescs = [];
    for (const tar of tars) {
      const blob = image.gzip ? gzipSync(tar) : tar;
      const mediaType = image.gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar';
      layerDescs.push({ mediaType, ...(await putBlob(blob)) });
    }
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: image.config ?? {}, rootfs: { type: 'layers', diff_ids: diffIds } });
    const configDesc = { mediaType: 'application/vnd.oci.image.config.v1+json', ...(await putBlob(config)) };
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configDesc, layers: layerDescs });
    const manifestDesc = { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...(await putBlob(manifest)) };
    manifests.push({ ...manifestDesc, ...(refName ? { annotations: { 'org.opencontainers.image.ref.name': refName } } : {}) });
    out.push({ diffIds, layerBlobs: layerDescs.map((d) => blobFile(d.digest)), configBlob: blobFile(configDesc.digest), manifestBlob: blobFile(manifestDesc.digest) });
  }
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
  return out;
}

/** A `docker save` archive of several images, each with its RepoTags (layers as blobs/sha256/<hex>, Docker 25). */
export async function writeDockerSaveImages(path: string, images: readonly { image: ImageFixture; repoTags: readonly string[] }[]): Promise<void> {
  const outer: FixtureEntry[] = [{ name: 'blobs/', type: 'directory' }, { name: 'blobs/sha256/', type: 'directory' }];
  const seen = new Set<string>();
  const put = (bytes: Buffer | string): string => {
    const name = `blobs/sha256/${sha256(bytes).slice(7)}`;
    if (!seen.has(name)) outer.push({ name, content: bytes });
    seen.add(name);
    return name;
  };
  const manifest = [];
  for (const { image, repoTags } of images) {
    const tars = await Promise.all(image.layers.map((l) => packTar(l)));
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: image.config ?? {}, rootfs: { type: 'layers', diff_ids: tars.map((t) => sha256(t)) } });
    manifest.push({ Config: put(config), RepoTags: repoTags, Layers: tars.map(put) });
  }
  outer.push({ name: 'manifest.json', content: JSON.stringify(manifest) });
  await writeFile(path, await packTar(outer));
}

/**
 * A stable description of a tree (path, type, mode, owner, content hash, link target), never following links.
 * With `exact`, also each entry's link count and mtime (a victim check: a hardlink to it or a write that restores
 * the content still shows), and the root itself.
 */
export async function hashTree(root: string, options: { readonly exact?: boolean } = {}): Promise<string> {
  const lines: string[] = [];
  const describe = (info: import('node:fs').Stats) =>
    `${info.mode.toString(8)} ${info.uid}:${info.gid} ${info.size}${options.exact ? ` nlink=${info.nlink} mtime=${info.mtimeMs} ino=${info.ino}` : ''}`;
  if (options.exact) lines.push(`. ${describe(await lstat(root))}`);
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const info = await lstat(path);
      const base = `${rel}${name} ${describe(info)}`;
      if (info.isDirectory()) {
        lines.push(`${base} dir`);
        await walk(path, `${rel}${name}/`);
      } else if (info.isSymbolicLink()) lines.push(`${base} -> ${await readlink(path)}`);
      else if (info.isFile()) lines.push(`${base} ${sha256(await readFile(path))}`);
      else lines.push(`${base} special ${info.rdev}`);
    }
  };
  await walk(root, '');
  return lines.join('\n');
}

/** Regular files (not following links) under root whose content equals needle: evidence of a read breakout. */
export async function findFilesWithContent(root: string, needle: Buffer): Promise<readonly string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const path = join(dir, name);
      const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined; // gone meanwhile (a box still running changes its files)
        throw error;
      });
      if (info === undefined) continue;
      if (info.isDirectory()) await walk(path);
      else if (info.isFile() && info.size === needle.length && (await readFile(path)).equals(needle)) found.push(path);
    }
  };
  await walk(root);
  return found;
}

/** A directory tree as tar entries (to build images on the busybox one). */
export function treeEntries(dir: string, rel = '', skip: readonly string[] = []): FixtureEntry[] {
  const out: FixtureEntry[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const member = `${rel}${name}`;
    if (skip.includes(member)) continue;
    const info = lstatSync(path);
    if (info.isDirectory()) {
      out.push({ name: `${member}/`, type: 'directory', mode: info.mode & 0o7777 });
      out.push(...treeEntries(path, `${member}/`, skip));
    } else if (info.isSymbolicLink()) out.push({ name: member, type: 'symlink', linkname: readlinkSync(path) });
    else if (info.isFile()) out.push({ name: member, content: readFileSync(path), mode: info.mode & 0o7777 });
  }
  return out;
}
