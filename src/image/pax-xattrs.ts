// Extended attributes in tar pax headers (SCHILY.xattr.NAME=VALUE, as GNU tar and Docker write them; LIBARCHIVE.xattr
// with base64 values), read and written byte for byte. tar-stream decodes pax values as UTF-8, which mangles binary
// values such as security.capability, so reading uses a small header walker of its own over the same bytes, and
// writing emits the pax header itself. Values are Buffers throughout.

/** xattr name -> value, in the order the archive gives them. */
export type Xattrs = ReadonlyMap<string, Buffer>;

/** Namespaces kept: overlayfs's own (trusted.overlay.*, user.overlay.*) never; POSIX ACLs (system.*) need their text form. */
export function isKeptXattr(name: string): boolean {
  if (/^(trusted|user)\.overlay\./.test(name)) return false;
  return /^(user|security|trusted)\./.test(name);
}

/**
 * Walks tar headers as bytes pass through `push` and records the xattrs of each member, by ordinal (0 = the first
 * member that is not a pax or GNU long-name header: the order tar-stream yields entries in).
 */
export class PaxXattrWalker {
  private readonly found = new Map<number, Xattrs>();
  private buffer = Buffer.alloc(0);
  /** Bytes of the current member's body still to skip, or of the pax body to collect. */
  private remaining = 0;
  private padding = 0;
  private collecting: Buffer[] | undefined;
  private pending: Map<string, Buffer> | undefined;
  private ordinal = 0;
  private ended = false;

  /** The xattrs the archive gave member `ordinal`, if any. */
  xattrsOf(ordinal: number): Xattrs | undefined {
    return this.found.get(ordinal);
  }

  push(chunk: Buffer): void {
    let data = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    this.buffer = Buffer.alloc(0);
    while (data.length > 0 && !this.ended) {
      if (this.remaining > 0 || this.padding > 0) {
        const body = Math.min(this.remaining, data.length);
        if (body > 0) {
          this.collecting?.push(data.subarray(0, body));
          this.remaining -= body;
          data = data.subarray(body);
          if (this.remaining === 0 && this.collecting) this.finishPax();
          continue;
        }
        const pad = Math.min(this.padding, data.length);
        this.padding -= pad;
        data = data.subarray(pad);
        continue;
      }
      if (data.length < 512) {
        this.buffer = Buffer.from(data);
        return;
      }
      this.header(data.subarray(0, 512));
      data = data.subarray(512);
    }
  }

  private header(block: Buffer): void {
    if (block.every((b) => b === 0)) return; // end-of-archive blocks (or padding between archives)
    const size = readSize(block.subarray(124, 136));
    const type = String.fromCharCode(block[156]!);
    this.remaining = size;
    this.padding = (512 - (size % 512)) % 512;
    // tar-stream refuses headers over 4 MiB: such a pax body is not collected here either.
    if (type === 'x' && size <= 4 * 1024 * 1024) this.collecting = [];
    else if (type === 'g' || type === 'L' || type === 'K') this.collecting = undefined;
    else {
      if (this.pending && this.pending.size > 0) this.found.set(this.ordinal, this.pending);
      this.pending = undefined;
      this.ordinal += 1;
      this.collecting = undefined;
    }
    if (this.remaining === 0 && this.collecting) this.finishPax();
  }

  private finishPax(): void {
    const records = parsePaxRecords(Buffer.concat(this.collecting ?? []));
    this.collecting = undefined;
    const xattrs = new Map<string, Buffer>();
    for (const [key, value] of records) {
      if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice('SCHILY.xattr.'.length), value);
      else if (key.startsWith('LIBARCHIVE.xattr.')) {
        const name = safeDecode(key.slice('LIBARCHIVE.xattr.'.length));
        if (name !== undefined) xattrs.set(name, Buffer.from(value.toString('latin1'), 'base64'));
      }
    }
    this.pending = xattrs;
  }
}

/** libarchive's %-encoded xattr name, or undefined when it is malformed (the record is then ignored). */
function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** "LEN KEY=VALUE\n" records; VALUE is raw bytes (LEN counts bytes). Stops at the first malformed record. */
export function parsePaxRecords(body: Buffer): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    if (space === -1) break;
    const length = Number(body.subarray(at, space).toString('latin1'));
    if (!Number.isSafeInteger(length) || length <= space - at + 1 || at + length > body.length) break;
    const record = body.subarray(space + 1, at + length - 1); // without the trailing newline
    const eq = record.indexOf(0x3d);
    if (eq > 0) out.push([record.subarray(0, eq).toString('utf8'), Buffer.from(record.subarray(eq + 1))]);
    at += length;
  }
  return out;
}

/** Encodes pax records (binary-safe): each "LEN KEY=VALUE\n" with LEN its own length in bytes. */
export function encodePaxRecords(records: readonly (readonly [string, Buffer])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of records) {
    const rest = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
    let length = rest.length + 1;
    while (String(length).length + rest.length !== length) length = String(length).length + rest.length;
    parts.push(Buffer.from(String(length), 'latin1'), rest);
  }
  return Buffer.concat(parts);
}

/** The tar size field: octal text, or base-256 when the first byte's high bit is set (GNU, for huge files). */
function readSize(field: Buffer): number {
  if (field[0]! & 0x80) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** A whole pax extended header member (typeflag 'x'): its ustar header block, the records, the padding. */
export function encodePaxMember(records: readonly (readonly [string, Buffer])[], mtime: Date): Buffer {
  const body = encodePaxRecords(records);
  const header = Buffer.alloc(512);
  const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, '0')}\0`;
  header.write('PaxHeader', 0, 'latin1');
  header.write(octal(0o644, 8), 100, 'latin1');
  header.write(octal(0, 8), 108, 'latin1');
  header.write(octal(0, 8), 116, 'latin1');
  header.write(octal(body.length, 12), 124, 'latin1');
  header.write(octal(Math.max(0, Math.floor(mtime.getTime() / 1000)), 12), 136, 'latin1');
  header.write('x', 156, 'latin1');
  header.write('ustar\x0000', 257, 'latin1');
  header.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return Buffer.concat([header, body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}
