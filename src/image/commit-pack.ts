// Writes layer members (commit-entries.ts) as one tar stream, reading file data from the upper dir as it goes.
// A member with xattrs gets a pax header written here, byte for byte (tar-stream would encode values as UTF-8).

import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import * as tarStream from 'tar-stream';
import type { LayerMember } from './commit-entries.js';
import { encodePaxMember } from './pax-xattrs.js';

/** S_IFREG: tar-stream replaces a mode of 0 with its default, so the type bit keeps 0000 files at 0000. */
const TYPE_BIT = 0o100000;

/** A tar stream of members; file members read `source` under dir (O_NOFOLLOW: the upper dir is the box's data). */
export function packLayer(dir: string, members: readonly LayerMember[]): Readable {
  const pack = tarStream.pack();
  void (async () => {
    for (const m of members) {
      const long = Buffer.byteLength(m.name) > 99 || Buffer.byteLength(m.linkname ?? '') > 99;
      if (m.xattrs && m.xattrs.size > 0) {
        // The pax header carries the names too, so the ustar header needs none of tar-stream's own pax.
        const records: [string, Buffer][] = [['path', Buffer.from(m.name)]];
        if (m.linkname !== undefined) records.push(['linkpath', Buffer.from(m.linkname)]);
        for (const [name, value] of m.xattrs) records.push([`SCHILY.xattr.${name}`, value]);
        // Between two entries the pack stream holds nothing of its own: the member goes out as raw blocks.
        pack.push(encodePaxMember(records, m.mtime));
      }
      const header = {
        name: m.xattrs && m.xattrs.size > 0 && long ? placeholder(m.name) : m.name,
        type: m.type,
        mode: m.mode | TYPE_BIT,
        uid: m.uid,
        gid: m.gid,
        mtime: m.mtime,
        size: m.type === 'file' ? m.size : 0,
        ...(m.linkname !== undefined ? { linkname: m.xattrs && m.xattrs.size > 0 && long ? placeholder(m.linkname) : m.linkname } : {}),
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

/** A short ASCII stand-in for a long name whose real value is in the member's own pax header. */
function placeholder(name: string): string {
  return `nsbox-long-name${name.endsWith('/') ? '/' : ''}`;
}
