// Finds the system tools nsbox composes, and names the Debian package to install when one is missing.

import { accessSync, constants } from 'node:fs';
import { NsboxError } from '../errors.js';

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
  const dirs = [...pathVar.split(':'), ...DEFAULT_PATH.split(':')].filter((d) => d.startsWith('/'));
  for (const dir of new Set(dirs)) {
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
