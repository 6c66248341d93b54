// `nsbox load [-i FILE]`, as docker load: the images of a docker save or OCI archive (FILE, else stdin), under the
// names the archive gives them. A root file system tarball is refused: that is `image import FILE NAME` (docker import).

import { createReadStream, createWriteStream, fstatSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isatty } from 'node:tty';
import type { Argv } from 'yargs';
import { NsboxError } from '../errors.js';
import type { NsboxCommand } from './command.js';
import { openStore, resolveStoreRoot } from '../image/store.js';
import { detectSource } from '../image/detect-source.js';
import { importFromPath } from '../image/import-image.js';
import { createProgress } from '../image/progress.js';
import { formatImageRef } from '../image/reference.js';
import { createWorkDir } from '../image/staging.js';

interface LoadArgs {
  input: string | undefined;
  quiet: boolean;
  root: string | undefined;
}

export const command: NsboxCommand<LoadArgs> = {
  usage: 'load',
  describe: 'load the images of a docker save or OCI archive (-i FILE, else stdin), as docker load',
  builder: (y: Argv) =>
    y
      .option('input', { alias: 'i', type: 'string', describe: 'the archive (default: stdin); .tar, .tar.gz, .tar.xz' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress line' })
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' })
      .example('nsbox load -i busybox.tar', 'the images of a docker save, podman save or skopeo docker-archive')
      .example('docker save app | nsbox load', 'straight from Docker') as unknown as Argv<LoadArgs>,
  async handler(args) {
    const root = resolveStoreRoot(args.root);
    if (args.input !== undefined) return load(root, args.input, args.input, args.quiet);
    if (isatty(0)) throw new NsboxError('cannot load: no archive (stdin is a terminal)', { hint: 'nsbox load -i FILE, or nsbox load < FILE' });
    // A file on stdin is read in place (by its /proc path, which children can open too); a pipe is spooled first:
    // an archive's manifest may come after its layers, so it is read twice.
    if (fstatSync(0).isFile()) return load(root, `/proc/${process.pid}/fd/0`, 'stdin', args.quiet);
    const store = await openStore(root);
    const work = await createWorkDir(store, 'load');
    try {
      const spooled = join(work, 'stdin.tar');
      await pipeline(createReadStream('', { fd: 0, autoClose: false }), createWriteStream(spooled, { mode: 0o600 }));
      if (statSync(spooled).size === 0) throw new NsboxError('cannot load: stdin is empty', { hint: 'nsbox load -i FILE, or nsbox load < FILE' });
      return await load(root, spooled, 'stdin', args.quiet);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};

/** Errors name the archive as the user gave it (stdin, not /proc/PID/fd/0 or the spool file), and load, not import. */
async function load(root: string, path: string, label: string, quiet: boolean): Promise<number> {
  try {
    return await loadFrom(root, path, label, quiet);
  } catch (error) {
    if (!(error instanceof NsboxError)) throw error;
    const renamed = new NsboxError(error.message.split(path).join(label).replace(/^cannot import /, 'cannot load '), { exitCode: error.exitCode, ...(error.hint ? { hint: error.hint.split(path).join('FILE') } : {}) });
    renamed.cleanupError = error.cleanupError;
    throw renamed;
  }
}

async function loadFrom(root: string, path: string, label: string, quiet: boolean): Promise<number> {
  const detected = await detectSource(path);
  if (detected.kind === 'tarball' || detected.kind === 'directory') {
    throw new NsboxError(`cannot load ${label}: it is a root file system ${detected.kind}, not a docker save or OCI archive`, {
      hint: `nsbox image import ${label === 'stdin' ? 'FILE' : label} NAME[:TAG] makes an image of it (as docker import)`,
    });
  }
  const store = await openStore(root);
  const progress = quiet ? undefined : createProgress(`loading ${label}`);
  const records = await importFromPath({ store, path, ...(progress ? { progress } : {}) });
  for (const record of records) process.stdout.write(`Loaded image: ${formatImageRef(record)}\n`);
  return 0;
}
