// Finds the system tools nsbox composes, and names the Debian package to install when one is missing.

import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { currentFactsKey, identifyFile, isFactCurrent, loadToolFacts, readBootId, saveToolFacts } from './facts-cache.js';

/** Tool -> Debian/Ubuntu package that ships it. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  unshare: 'util-linux',
  nsenter: 'util-linux',
  setpriv: 'util-linux',
  lsns: 'util-linux',
  prlimit: 'util-linux',
  mount: 'mount',
  umount: 'mount',
  hostname: 'hostname',
  ip: 'iproute2',
  sh: 'dash',
  newuidmap: 'uidmap',
  newgidmap: 'uidmap',
  cgcreate: 'cgroup-tools',
  cgset: 'cgroup-tools',
  cgexec: 'cgroup-tools',
  cgdelete: 'cgroup-tools',
  busybox: 'busybox-static',
  capsh: 'libcap2-bin',
  tar: 'tar',
  ps: 'procps',
  setfattr: 'attr',
  getfattr: 'attr',
  xz: 'xz-utils',
  mknod: 'coreutils',
  pivot_root: 'util-linux',
  iptables: 'iptables',
  nft: 'nftables',
  perl: 'perl-base',
};

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The absolute path of an executable found in PATH (plus the sbin dirs root expects), or undefined. */
export function findTool(name: string, pathVar: string = process.env.PATH ?? ''): string | undefined {
  if (pathVar !== (process.env.PATH ?? '') || process.env.NSBOX_NO_FACTS_CACHE) return scanForTool(name, searchDirs(pathVar));
  processFinder ??= createToolFinder(join(factsDir ?? (process.env.NSBOX_STATE || '/run/nsbox'), 'host-facts.json'), pathVar, readBootId());
  return processFinder.find(name);
}

let processFinder: ToolFinder | undefined;
let factsDir: string | undefined;

/**
 * Keeps the tool-path cache in DIR instead of nsbox's state dir: nsbox-runtime's is its --root, so a runtime
 * called by podman or containerd never writes nsbox's own state (/run/nsbox). Call before the first findTool.
 */
export function keepToolFactsIn(dir: string): void {
  factsDir = dir;
}

export interface ToolFinder {
  find(name: string): string | undefined;
  /** Writes what this process looked up (called at exit when anything was new). */
  save(): void;
}

/**
 * Tool lookups through the per-boot facts file (facts-cache.ts): a cached answer costs one stat instead of an
 * access(2) per PATH directory; a new answer is written back at exit.
 */
export function createToolFinder(file: string, pathVar: string, bootId: string, onNew: (finder: ToolFinder) => void = (f) => process.once('exit', () => f.save())): ToolFinder {
  const dirs = searchDirs(pathVar);
  const key = currentFactsKey(bootId, dirs, pathVar);
  const tools = loadToolFacts(file, key);
  let dirty = false;
  const finder: ToolFinder = {
    find(name) {
      const known = tools.get(name);
      if (known !== undefined && isFactCurrent(known)) return known?.path;
      const found = scanForTool(name, dirs);
      const id = found === undefined ? undefined : identifyFile(found);
      tools.set(name, found === undefined || id === undefined ? null : { path: found, id });
      if (!dirty) onNew(finder);
      dirty = true;
      return found;
    },
    save() {
      if (dirty) saveToolFacts(file, key, tools);
      dirty = false;
    },
  };
  return finder;
}

function searchDirs(pathVar: string): string[] {
  return [...new Set([...pathVar.split(':'), ...DEFAULT_PATH.split(':')].filter((d) => d.startsWith('/')))];
}

function scanForTool(name: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    const candidate = `${dir}/${name}`;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** Like findTool, but a missing tool is an NsboxError naming the package that provides it. */
export function requireTool(name: string, find: (name: string) => string | undefined = findTool): string {
  const found = find(name);
  if (found) return found;
  const pkg = TOOL_PACKAGES[name];
  throw new NsboxError(`cannot find ${name} in PATH`, {
    hint: pkg ? `install it: apt-get install ${pkg}` : undefined,
  });
}
