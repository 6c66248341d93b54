// Builds the single layer of a tiny image from the host's static busybox: no download needed.

import { readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import * as tarStream from 'tar-stream';
import { NsboxError } from '../errors.js';
import type { ImageSource } from './image-source.js';
import { runProgram } from './host-tools.js';

export const HOST_BUSYBOX = '/bin/busybox';
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n';

/** True when an ELF file has no PT_INTERP program header (it is statically linked). */
export function isStaticElf(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false; // ELF64 only
  const little = elf[5] === 1;
  const u16 = (o: number): number => (little ? elf.readUInt16LE(o) : elf.readUInt16BE(o));
  const u32 = (o: number): number => (little ? elf.readUInt32LE(o) : elf.readUInt32BE(o));
  const phoff = Number(little ? elf.readBigUInt64LE(32) : elf.readBigUInt64BE(32));
  const phentsize = u16(54);
  const phnum = u16(56);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > elf.length) return false;
    if (u32(at) === 3) return false; // PT_INTERP: needs a dynamic loader
  }
  return true;
}

/** The applet paths busybox installs ("bin/sh", "usr/bin/awk", ...), from `busybox --list-full`. */
export async function listApplets(busybox: string): Promise<readonly string[]> {
  const full = await runProgram(busybox, ['--list-full'], 'list busybox applets').catch(() => undefined);
  const text = full ?? (await runProgram(busybox, ['--list'], 'list busybox applets')).replace(/^(?=.)/gm, 'bin/');
  const applets = text
    .split('\n')
    .map((l) => l.trim().replace(/^\/+/, ''))
    .filter((l) => /^[a-z0-9_./[-]+$/i.test(l) && !l.split('/').includes('..') && l !== 'bin/busybox');
  return [...new Set(applets)].sort();
}

/** The image source for `--from-host-busybox`: /bin/busybox, its applet symlinks, /etc/passwd, empty mount points. */
export async function readHostBusybox(busybox: string = HOST_BUSYBOX): Promise<ImageSource> {
  const info = await stat(busybox).catch(() => undefined);
  if (!info?.isFile()) {
    throw new NsboxError(`cannot find ${busybox}`, { hint: 'install it: apt-get install busybox-static' });
  }
  const binary = await readFile(busybox);
  if (!isStaticElf(binary)) {
    throw new NsboxError(`${busybox} is not a statically linked busybox`, { hint: 'install it: apt-get install busybox-static' });
  }
  const applets = await listApplets(busybox);
  const mtime = info.mtime;
  return {
    kind: 'host-busybox',
    config: { Env: [PATH_ENV], Cmd: ['sh'] },
    layers: [{ label: 'busybox layer', expectedDigest: undefined, open: async () => packBusybox(binary, applets, mtime) }],
  };
}

/** A deterministic tar of the busybox root (same busybox, same bytes: the layer dedups across imports). */
function packBusybox(binary: Buffer, applets: readonly string[], mtime: Date): Readable {
  const pack = tarStream.pack();
  const dir = (name: string, mode = 0o755): void => void pack.entry({ name: `${name}/`, type: 'directory', mode, mtime, uid: 0, gid: 0 });
  const dirs = new Set(['bin', 'dev', 'etc', 'proc', 'root', 'sys', 'tmp', 'usr', 'usr/bin', 'usr/sbin', 'sbin', 'var']);
  for (const applet of applets) {
    const parts = applet.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const name of [...dirs].sort()) dir(name, name === 'tmp' ? 0o1777 : name === 'root' ? 0o700 : 0o755);
  pack.entry({ name: 'bin/busybox', mode: 0o755, mtime, uid: 0, gid: 0 }, binary);
  for (const applet of applets) {
    pack.entry({ name: applet, type: 'symlink', linkname: '/bin/busybox', mode: 0o777, mtime, uid: 0, gid: 0 });
  }
  pack.entry({ name: 'etc/passwd', mode: 0o644, mtime, uid: 0, gid: 0 }, PASSWD);
  pack.entry({ name: 'etc/group', mode: 0o644, mtime, uid: 0, gid: 0 }, GROUP);
  pack.finalize();
  return pack as unknown as Readable;
}
