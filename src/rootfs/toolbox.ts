// The toolbox: the host's setpriv, umount, env and unshare, their libraries and the dynamic loader, bind-mounted read-only
// into the box's /dev/.nsbox. After pivot_root only the box's files are reachable, yet the old root must still be
// detached (umount) and the capabilities dropped last (setpriv): these two run from here, through the loader
// with --library-path, so the host's /lib paths are never needed inside. Where setpriv has no --seccomp-filter, perl
// (and the libraries only it needs) joins them to load a box's seccomp filter, with the box's program file.

import { chmodSync, closeSync, copyFileSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, readSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { fnvHex } from '../host/fnv.js';
import { NsboxError } from '../errors.js';
import { findTool, requireTool } from '../host/tools.js';
import { HOST_ENV } from '../host/host-env.js';
import { setprivHasSeccompFilter } from '../seccomp/loader.js';
import type { ArchName } from '../seccomp/arches.js';

/** Where the toolbox appears inside the box (a directory in the box's own /dev tmpfs). */
export const TOOLBOX_DIR = '/dev/.nsbox';

export interface ToolboxFile {
  /** File name inside the toolbox directory. */
  readonly name: string;
  /**
   * Real path on the host (symlinks resolved before pivot_root: they would not resolve after it): with a store, the
   * toolbox's own copy of the host's file (pinToolbox), never the host's file itself.
   */
  readonly source: string;
}

export interface Toolbox {
  /** The loader's name in the toolbox, or undefined when the tools are static. */
  readonly loader: string | undefined;
  readonly files: readonly ToolboxFile[];
  /** Names in `files` only perl needs (perl, the seccomp loader, and libraries only it uses); empty without perl. */
  readonly perlOnly?: readonly string[];
  /** The toolbox's setpriv takes --seccomp-filter (util-linux 2.41 and newer): no perl needed then. */
  readonly setprivSeccompFilter?: boolean;
  /** The toolbox's name of the host's sh (its real file's name: dash on Debian), for --init's reaper. */
  readonly shell?: string;
  /** A box's toolbox only: its seccomp program in the toolbox and the loader (so nsbox exec loads the same). */
  readonly seccomp?: { readonly loader: 'setpriv' | 'perl'; readonly file: string; readonly arch: ArchName };
  /** An image box's toolbox only: a host directory of exactly `files` (linkToolboxSet), bound read-only as a whole. */
  readonly dir?: string;
  /** A box's toolbox only: its filter may let keyctl through (not nsbox's default), so exec and cp give what they start a session keyring of its own. */
  readonly ownSessionKeyring?: boolean;
}

/** umount detaches the old root, setpriv drops privileges, env applies the box's environment (final-exec.ts);
 * unshare gives the command a cgroup namespace once the box joined its cgroup (src/rootfs/cgroup-view.ts);
 * sh is the reaper that --init makes PID 1 once the box has dropped its privileges (it runs only builtins);
 * setsid: `nsbox exec -t` makes the command a session leader with the pty as its terminal, inside the box;
 * tar: `nsbox cp` archives and extracts the box's files inside the box, so no box path is resolved on the host. */
const TOOLS = ['setpriv', 'umount', 'env', 'unshare', 'sh', 'setsid', 'tar'] as const;
/** Optional: perl loads the seccomp filter where setpriv cannot (src/seccomp/loader.ts). */
const OPTIONAL_TOOLS = ['perl'] as const;
/** Bumped when the cached toolbox's shape changes. */
const CACHE_VERSION = 'v4';

/** argv that runs toolbox tool `name` inside the box (after pivot_root). */
export function toolboxArgv(toolbox: Toolbox, name: string): string[] {
  if (!toolbox.loader) return [`${TOOLBOX_DIR}/${name}`];
  return [`${TOOLBOX_DIR}/${toolbox.loader}`, '--library-path', TOOLBOX_DIR, `${TOOLBOX_DIR}/${name}`];
}

/**
 * The host's toolbox: found with the loader's --list (like ldd). The answer is cached in cacheFile, keyed by the
 * tools' and ld.so.cache's identity, so a run does not pay for two extra processes.
 */
export function resolveToolbox(cacheFile: string | undefined): Toolbox {
  // realpath(3) itself: node's own realpathSync walks each path a component at a time (an lstat/readlink each).
  const tools = TOOLS.map((name) => realpathSync.native(requireTool(name)));
  const optional = OPTIONAL_TOOLS.map((name) => findTool(name)).filter((p): p is string => p !== undefined).map((p) => realpathSync.native(p));
  const key = [CACHE_VERSION, ...[...tools, ...optional, '/etc/ld.so.cache'].map(identify)].join(' ');
  if (cacheFile) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as { key: string; toolbox: Toolbox };
      if (cached.key === key) return pinToolbox(cached.toolbox, copiesDir(cacheFile, key));
    } catch {
      // no cache yet, or unreadable: resolve again
    }
  }
  const toolbox = { ...withOptionalTools(listToolbox(tools), tools, optional), shell: basename(tools[TOOLS.indexOf('sh')]!) };
  if (cacheFile) {
    try {
      writeFileSync(`${cacheFile}.${process.pid}`, JSON.stringify({ key, toolbox }), { mode: 0o600 });
      renameSync(`${cacheFile}.${process.pid}`, cacheFile);
    } catch {
      // the cache is an optimisation only
    }
    return pinToolbox(toolbox, copiesDir(cacheFile, key));
  }
  return toolbox;
}

/** The directory of the toolbox's copies beside its cache, one per toolbox identity (a host upgrade: a new one). */
function copiesDir(cacheFile: string, key: string): string {
  return join(dirname(cacheFile), 'toolbox-copies', fnvHex(key, 2));
}

/**
 * The toolbox as copies of the host's files, made once (then only checked), and what boxes get bound: never the
 * host's own inodes. A box process can open a toolbox file (or /proc/PID/exe of one running) for writing: the
 * kernel refuses it on the read-only bind, but only after it has counted the inode as open for writing for an
 * instant, and an execve(2) of that inode meanwhile fails with ETXTBSY. With the host's loader or libc bound in, a
 * box that opens them in a loop makes the host's own programs fail at random (seen: a test's probe did it to
 * nsbox's own tools). The copies are nsbox's alone: only boxes and their toolbox run them.
 */
function pinToolbox(toolbox: Toolbox, dir: string): Toolbox {
  const pinned = (f: ToolboxFile): ToolboxFile => ({ name: f.name, source: join(dir, f.name) });
  if (!existsSync(dir)) {
    const temp = `${dir}.${process.pid}.tmp`;
    try {
      rmSync(temp, { recursive: true, force: true });
      mkdirSync(temp, { recursive: true, mode: 0o755 });
      for (const f of toolbox.files) {
        copyFileSync(f.source, join(temp, f.name));
        chmodSync(join(temp, f.name), 0o555);
      }
      renameSync(temp, dir);
    } catch (error) {
      rmSync(temp, { recursive: true, force: true });
      // Another nsbox made it meanwhile (the rename found it there): theirs is the same.
      if (!existsSync(dir)) throw new NsboxError(`cannot copy the toolbox into ${dir}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { ...toolbox, files: toolbox.files.map(pinned) };
}

/**
 * A box's toolbox as one directory: hard links to exactly its files (the copies, its seccomp program), made once per
 * set of files under STORE/toolbox-sets/, so the box binds it read-only as a whole: one mount where a bind and a
 * remount per file were ~40 mount(2) calls at each start. The same inodes as the copies (nothing of the host's);
 * a file that cannot be linked is copied. The name holds each file's inode and mtime: a changed file, a new set.
 */
export function linkToolboxSet(toolbox: Toolbox, storeRoot: string): Toolbox {
  const key = toolbox.files.map((f) => {
    const stat = statSync(f.source);
    return `${f.name}=${f.source}:${stat.ino}:${stat.mtimeMs}`;
  }).join(' ');
  const dir = join(storeRoot, 'toolbox-sets', fnvHex(key, 2));
  if (!existsSync(dir)) {
    const temp = `${dir}.${process.pid}.tmp`;
    try {
      rmSync(temp, { recursive: true, force: true });
      mkdirSync(temp, { recursive: true, mode: 0o755 });
      for (const f of toolbox.files) linkOrCopy(f.source, join(temp, f.name));
      renameSync(temp, dir);
    } catch (error) {
      rmSync(temp, { recursive: true, force: true });
      // Another nsbox made it meanwhile (the rename found it there): theirs is the same.
      if (!existsSync(dir)) throw new NsboxError(`cannot link the toolbox into ${dir}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { ...toolbox, dir };
}

function linkOrCopy(source: string, target: string): void {
  try {
    linkSync(source, target);
  } catch {
    copyFileSync(source, target);
    chmodSync(target, 0o555);
  }
}

/** Adds perl (when it uses the same loader) and whether setpriv has --seccomp-filter. */
function withOptionalTools(base: Toolbox, tools: readonly string[], optional: readonly string[]): Toolbox {
  const setprivSeccompFilter = setprivHasSeccompFilter(helpText(tools[0]!));
  if (optional.length === 0) return { ...base, perlOnly: [], setprivSeccompFilter };
  let full: Toolbox;
  try {
    full = listToolbox([...tools, ...optional]);
  } catch {
    return { ...base, perlOnly: [], setprivSeccompFilter }; // perl needs another loader: not usable from here
  }
  const baseNames = new Set(base.files.map((f) => f.name));
  return { ...full, perlOnly: full.files.map((f) => f.name).filter((n) => !baseNames.has(n)), setprivSeccompFilter };
}

/** The toolbox without perl's files (a box whose filter setpriv loads, or one without a filter). */
export function withoutPerl(toolbox: Toolbox): Toolbox {
  const drop = new Set(toolbox.perlOnly ?? []);
  return drop.size === 0 ? toolbox : { ...toolbox, files: toolbox.files.filter((f) => !drop.has(f.name)), perlOnly: [] };
}

/** The toolbox with one more file (e.g. the box's seccomp program), mounted read-only like the tools. */
export function withFile(toolbox: Toolbox, file: ToolboxFile): Toolbox {
  return { ...toolbox, files: [...toolbox.files.filter((f) => f.name !== file.name), file] };
}

function helpText(setpriv: string): string {
  try {
    return execFileSync(setpriv, ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: HOST_ENV });
  } catch {
    return '';
  }
}

function listToolbox(tools: readonly string[]): Toolbox {
  const interpreters = new Set(tools.map(readInterpreter).filter((i): i is string => i !== undefined));
  if (interpreters.size > 1) throw new NsboxError(`cannot build the toolbox: ${tools.join(' and ')} use different loaders`);
  const [interpreter] = [...interpreters];
  const files = new Map<string, string>();
  for (const tool of tools) files.set(basename(tool), tool);
  if (interpreter === undefined) return { loader: undefined, files: [...files].map(([name, source]) => ({ name, source })) };
  const loader = realpathSync(interpreter);
  files.set(basename(interpreter), loader);
  for (const tool of tools) {
    const listing = execFileSync(loader, ['--list', tool], { encoding: 'utf8', env: HOST_ENV });
    for (const match of listing.matchAll(/^\s*([^\s/]+) => (\/\S+) \(/gm)) files.set(match[1]!, realpathSync(match[2]!));
  }
  return { loader: basename(interpreter), files: [...files].map(([name, source]) => ({ name, source })) };
}

/** PT_INTERP of an ELF64 little-endian executable (the loader the kernel would run), or undefined if static. */
export function readInterpreter(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n < 64 || head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) {
      throw new NsboxError(`cannot build the toolbox: ${path} is not a 64-bit little-endian ELF executable`);
    }
    const phoff = Number(head.readBigUInt64LE(32));
    const phentsize = head.readUInt16LE(54);
    const phnum = head.readUInt16LE(56);
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize;
      const ph = Buffer.alloc(56);
      readSync(fd, ph, 0, 56, at);
      if (ph.readUInt32LE(0) !== 3) continue; // PT_INTERP
      const offset = Number(ph.readBigUInt64LE(8));
      const size = Number(ph.readBigUInt64LE(32));
      const text = Buffer.alloc(size);
      readSync(fd, text, 0, size, offset);
      return text.toString('utf8').replace(/\0.*$/s, '');
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function identify(path: string): string {
  try {
    const s = statSync(path);
    return `${path}:${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return `${path}:-`;
  }
}
