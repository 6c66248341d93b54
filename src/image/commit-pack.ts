// Writes layer members (commit-entries.ts) as one tar stream, reading file data from the upper dir as it goes.

import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import * as tarStream from 'tar-stream';
import type { LayerMember } from './commit-entries.js';

/** S_IFREG: tar-stream replaces a mode of 0 with its default, so the type bit keeps 0000 files at 0000. */
const TYPE_BIT = 0o100000;

/** A tar stream of members; file members read `source` under dir (O_NOFOLLOW: the upper dir is the box's data). */
export function packLayer(dir: string, members: readonly LayerMember[]): Readable {
  const pack = tarStream.pack();
  void (async () => {
    for (const m of members) {
      const header = {
        name: m.name,
        type: m.type,
        mode: m.mode | TYPE_BIT,
        uid: m.uid,
        gid: m.gid,
        mtime: m.mtime,
        size: m.type === 'file' ? m.size : 0,
        ...(m.linkname !== undefined ? { linkname: m.linkname } : {}),
      };
      await new Promise<void>((resolve, reject) => {
        const done = (error?: Error | null): void => (error ? reject(error) : resolve());
        if (m.type !== 'file') {
          pack.entry(header, done);
          return;
        }
        if (m.size === 0 || m.source === undefined) {
          pack.entry(header, Buffer.alloc(0), done);
          return;
        }
        open(join(dir, m.source), constants.O_RDONLY | constants.O_NOFOLLOW).then((handle) => {
          const sink = pack.entry(header, done);
          const input = handle.createReadStream();
          input.on('error', (error) => {
            sink.destroy(error);
            reject(error);
          });
          input.pipe(sink as unknown as NodeJS.WritableStream);
        }, reject);
      });
    }
    pack.finalize();
  })().catch((error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))));
  return pack as unknown as Readable;
}
