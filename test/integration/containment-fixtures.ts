// Shared pieces of the containment tests (SECURITY.md): a host-side victim (files, a host-only marker, a
// sacrificial copy of a host binary) fingerprinted before and after, probes compiled with gcc at test time, and
// the busybox image's tree to build hostile images on.

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { findFilesWithContent, sha256, type FixtureEntry } from './image-fixtures.js';
export { treeEntries } from './image-fixtures.js';

export interface Victim {
  readonly dir: string;
  /** Host-only: mode 0600, random content that must never show up in a box's output or files. */
  readonly marker: string;
  readonly secret: Buffer;
  /** A copy of a host binary (env) that no box may change. */
  readonly binary: string;
}

/** The victim directory under base: a file, a sub-directory, the marker and the sacrificial binary. */
export function makeVictim(base: string): Victim {
  const dir = join(base, 'victim');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'file'), 'victim file\n');
  writeFileSync(join(dir, 'sub', 'precious'), 'do not touch\n');
  const secret = Buffer.from(`host-only ${randomBytes(16).toString('hex')}\n`);
  const marker = join(dir, 'host-only-marker');
  writeFileSync(marker, secret, { mode: 0o600 });
  const binary = join(dir, 'sacrificial-env');
  copyFileSync('/usr/bin/env', binary);
  chmodSync(binary, 0o755);
  return { dir, marker, secret, binary };
}

/** Every entry under the victim: name, type, mode, owner, nlink, size, mtime and content hash (no link followed). */
export function fingerprint(victim: Victim): string {
  const lines: string[] = [];
  const walk = (dir: string, rel: string): void => {
    const self = lstatSync(dir);
    lines.push(`${rel || '.'} ${self.mode.toString(8)} ${self.uid}:${self.gid} n${self.nlink} m${self.mtimeMs}`);
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const s = lstatSync(path);
      if (s.isDirectory()) walk(path, `${rel}${name}/`);
      else {
        const what = s.isFile() ? sha256(readFileSync(path)) : s.isSymbolicLink() ? `-> ${readlinkSync(path)}` : `special ${s.rdev}`;
        lines.push(`${rel}${name} ${s.mode.toString(8)} ${s.uid}:${s.gid} n${s.nlink} ${s.size} m${s.mtimeMs} ${what}`);
      }
    }
  };
  walk(victim.dir, '');
  return lines.join('\n');
}

/** One host file: content hash, mode, owner, nlink, size, mtime. */
export function fingerprintFile(path: string): string {
  const s = lstatSync(path);
  return `${path} ${s.mode.toString(8)} ${s.uid}:${s.gid} n${s.nlink} ${s.size} m${s.mtimeMs} ${sha256(readFileSync(path))}`;
}

/** The host side after a hostile attempt: victim unchanged (no new file), marker never seen, nowhere copied. */
export async function assertVictimIntact(victim: Victim, before: string, seen: string, searchRoots: readonly string[], what: string): Promise<void> {
  assert.fixture(fingerprint(victim), before, `${what}: the victim changed`);
  assert.not.ok(seen.includes(victim.secret.toString().trim()), `${what}: the host-only marker was read: ${seen}`);
  for (const root of searchRoots) {
    const copies = (await findFilesWithContent(root, victim.secret)).filter((p) => p !== victim.marker);
    assert.equal(copies, [], `${what}: the marker was copied to ${copies.join(', ')}`);
  }
}

/** gcc, for probes only (nsbox itself has no compiled code). */
export const hasGcc = spawnSync('gcc', ['--version']).status === 0;

/** Compile C source to out with extra gcc flags; throws with gcc's message. */
export function compile(source: string, out: string, flags: readonly string[]): void {
  const src = `${out}.c`;
  writeFileSync(src, source);
  const r = spawnSync('gcc', ['-O1', '-Wall', '-o', out, src, ...flags], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc ${out}: ${r.stderr}`);
}

/** A C string literal. */
export function cString(text: string): string {
  return JSON.stringify(text);
}

/** The box's ends of a binary file: a file entry with mode 0755. */
export function binaryEntry(name: string, path: string): FixtureEntry {
  return { name, content: readFileSync(path), mode: 0o755 };
}

/** C for a probe: field("CapEff:", out, n) copies that line's value of /proc/self/status (needs fcntl.h, string.h, unistd.h). */
export const STATUS_FIELD_C = `static void field(const char *key, char *out, int n) {
  char buf[4096] = {0}; int fd = open("/proc/self/status", O_RDONLY); if (fd < 0) return;
  read(fd, buf, sizeof buf - 1); close(fd);
  char *p = strstr(buf, key); if (!p) return; p += strlen(key);
  while (*p == ' ' || *p == '\\t') p++;
  int i = 0; while (p[i] && p[i] != '\\n' && i < n - 1) { out[i] = p[i]; i++; } out[i] = 0;
}`;
