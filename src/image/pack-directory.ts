// Turns a rootfs directory into a tar stream with GNU tar, so a directory import goes through the same
// confined extractor (and gets a digest) like any tarball.

import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { NsboxError } from '../errors.js';
import { requireImageTool } from './host-tools.js';
import { TAR_XATTRS } from './export-container.js';

/** `tar -C dir -cf - .` as a stream (sorted names and numeric owners: the same tree gives the same digest; xattrs kept). */
export function packDirectory(dir: string): Promise<Readable> {
  const xattrs = TAR_XATTRS.map((f) => f.replace(/'/g, '')); // no shell here: the patterns go as they are
  const tar = spawn(requireImageTool('tar'), ['-C', dir, '--sort=name', '--numeric-owner', ...xattrs, '-cf', '-', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = new PassThrough();
  let stderr = '';
  tar.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  tar.stdout.pipe(out, { end: false });
  let ended = false;
  let code: number | null | undefined;
  const finish = (): void => {
    if (!ended || code === undefined) return;
    // exit 1 is "some files differ/changed while read": the archive is still complete.
    if (code === 0 || code === 1) out.end();
    else out.destroy(new NsboxError(`cannot read directory ${dir}: tar: ${stderr.trim().split('\n')[0] || `exit ${code}`}`));
  };
  tar.stdout.on('end', () => ((ended = true), finish()));
  tar.on('close', (c) => ((code = c), (ended = true), finish()));
  tar.on('error', (e) => out.destroy(e));
  out.on('close', () => {
    if (tar.exitCode === null) tar.kill('SIGTERM');
  });
  return Promise.resolve(out);
}
