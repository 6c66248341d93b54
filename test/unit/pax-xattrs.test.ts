// Unit: pax records with binary values, written by nsbox and read back byte for byte by the header walker.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tarStream from 'tar-stream';
import { encodePaxMember, encodePaxRecords, isKeptXattr, parsePaxRecords, PaxXattrWalker } from '../../src/image/pax-xattrs.js';

const CAP = Buffer.from('0100000280200000000000000000000000000000', 'hex');

test('records: LEN counts bytes (its own digits too), values are raw bytes', () => {
  const body = encodePaxRecords([['SCHILY.xattr.security.capability', CAP], ['path', Buffer.from('é')]]);
  const parsed = parsePaxRecords(body);
  assert.is(parsed[0]![0], 'SCHILY.xattr.security.capability');
  assert.ok(parsed[0]![1].equals(CAP));
  assert.is(parsed[1]![1].toString(), 'é');
  assert.equal(encodePaxRecords([['a', Buffer.from('b')]]).toString(), '6 a=b\n');
  assert.equal(encodePaxRecords([['k', Buffer.alloc(3, 0x61)]]).toString(), '8 k=aaa\n');
  assert.equal(encodePaxRecords([['key', Buffer.alloc(2, 0x62)]]).toString(), '9 key=bb\n');
  assert.equal(encodePaxRecords([['kkkk', Buffer.alloc(2, 0x62)]]).toString(), '11 kkkk=bb\n', 'the length field grows to two digits');
});

test('walker: xattrs by member ordinal across chunk boundaries; tar-stream still reads the archive', async () => {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  await new Promise<void>((r) => pack.entry({ name: 'a', mode: 0o644 }, 'A', () => r()));
  pack.push(encodePaxMember([['path', Buffer.from('bin/capbox')], ['SCHILY.xattr.security.capability', CAP], ['SCHILY.xattr.user.x', Buffer.from([0x80, 0xff])]], new Date(0)));
  await new Promise<void>((r) => pack.entry({ name: 'placeholder', mode: 0o755 }, 'B', () => r()));
  pack.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  const walker = new PaxXattrWalker();
  for (let i = 0; i < tar.length; i += 7) walker.push(tar.subarray(i, i + 7));
  assert.is(walker.xattrsOf(0), undefined);
  assert.ok(walker.xattrsOf(1)!.get('security.capability')!.equals(CAP));
  assert.ok(walker.xattrsOf(1)!.get('user.x')!.equals(Buffer.from([0x80, 0xff])));
  const names: string[] = [];
  const extract = tarStream.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      names.push(entry.header.name);
      entry.resume();
    }
  })();
  extract.end(tar);
  await reading;
  assert.equal(names, ['a', 'bin/capbox'], 'the pax path names the member');
});

test('kept namespaces: user, security, trusted; never overlay\'s or ACLs', () => {
  assert.ok(isKeptXattr('security.capability') && isKeptXattr('user.a') && isKeptXattr('trusted.x'));
  assert.not.ok(isKeptXattr('trusted.overlay.opaque') || isKeptXattr('user.overlay.origin') || isKeptXattr('system.posix_acl_access'));
});

test.run();
